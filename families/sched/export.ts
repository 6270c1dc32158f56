/**
 * sched family exporters. Perfetto: the CPU tracks are one switch per sched_slices row (families/sched/export.sql),
 * so trace_processor's sched table holds the analyzer's slices, the kernel_gap ones included, from the window
 * start to its end; wakeups as CompactSched. Chrome: the slices as running intervals per thread and per CPU,
 * with a busy % counter per CPU.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import { F, L, V, fieldNumbers, type FtraceWriter } from '../../export/ftrace.js';
import type { ChromeContext, FamilyExport } from '../../export/handlers.js';
import { CPU_PID_BASE, us } from '../../export/chrome-format.js';
import { isValid, type Scan } from '../../export/scan.js';
import { Utilization } from './utilization.js';

const SW = fieldNumbers(pb.SchedSwitchFtraceEventSchema);
const WK = fieldNumbers(pb.SchedWakingFtraceEventSchema);
const WN = fieldNumbers(pb.SchedWakeupNewFtraceEventSchema);

/**
 * Slices (k 1) and wakeups (k 0) in one stream per CPU, by time: a CPU's bundles are then written in order.
 * This is the export's one sort; the switches are derived from it in order (SchedStream) rather than by a
 * window over the slices in SQL, which cost a second sort of every slice.
 */
const PERFETTO_SQL = `
SELECT 1 AS k, cpu::INTEGER AS cpu, ts::DOUBLE AS ts, end_ts::DOUBLE AS end_ts, tid, prio::INTEGER AS prio,
       end_state_raw::INTEGER AS end_state, comm::_export_sched_comm AS comm, kept, NULL::INTEGER AS target_cpu, NULL::BOOLEAN AS wakeup_new, NULL::INTEGER AS waker_tid
FROM _export_slices
UNION ALL
SELECT 0, cpu, ts::DOUBLE, NULL, tid, prio, NULL, comm::_export_sched_comm, true, target_cpu, wakeup_new, waker_tid FROM _export_sched_waking
ORDER BY cpu, ts, k, end_ts`;

/** the slice last seen on the current CPU: the prev side of the next switch */
interface Prev {
  tid: number;
  prio: number;
  state: number;
  comm: string;
  kept: boolean;
  endTs: number;
}

/**
 * The switch stream that reproduces the slices in trace_processor's sched table: one switch where each slice
 * begins (prev = the slice before it on the CPU, prev_state = how that one ended; the first slice of a CPU
 * begins with a switch from idle) and one at the end of the CPU's last slice from it to idle, so the slices
 * running at the window end end there instead of staying open (dur -1). prev_state NULL (ran to the end, or
 * left in a switch the kernel did not report) is written as 0. With --pid/--comm a switch is kept when
 * either side is selected.
 */
class SchedStream {
  private cpu = -1;
  private prev: Prev | null = null;
  constructor(
    private readonly compact: boolean,
    private readonly ft: FtraceWriter,
  ) {}

  private switchTo(c: number, ts: number, p: Prev | null, next: number, nextPrio: number, nextComm: string): void {
    const ft = this.ft,
      pt = p ? p.tid : 0,
      ps = p ? p.state : 0;
    if (this.compact && ft.lastNext(c) === pt) {
      ft.compactSwitch(c, ts, ps, next, nextPrio, nextComm);
      return;
    }
    ft.head(c, ts, pt, F.ev.sched_switch)
      .tag(SW.prev_comm, L)
      .string(p ? p.comm : `swapper/${c}`)
      .tag(SW.prev_pid, V)
      .int32(pt)
      .tag(SW.prev_prio, V)
      .int32(p ? p.prio : 120)
      .tag(SW.prev_state, V)
      .int64(ps)
      .tag(SW.next_comm, L)
      .string(nextComm)
      .tag(SW.next_pid, V)
      .int32(next)
      .tag(SW.next_prio, V)
      .int32(nextPrio);
    ft.switched(c, next);
    ft.done(c);
  }

  /** the CPU's stream ended: its last slice switches to idle at its end */
  endCpu(): void {
    const p = this.prev;
    if (p?.kept) this.switchTo(this.cpu, p.endTs, p, 0, 120, `swapper/${this.cpu}`);
    this.prev = null;
  }

  chunk(s: Scan): void {
    const k = s.num('k'),
      cpu = s.num('cpu'),
      ts = s.num('ts'),
      endTs = s.num('end_ts'),
      tid = s.num('tid'),
      prio = s.num('prio');
    const state = s.num('end_state'),
      stateValid = s.valid('end_state'),
      prioValid = s.valid('prio'),
      kept = s.num('kept');
    const { codes: comm, values: names } = s.dict('comm');
    const target = s.num('target_cpu'),
      isNew = s.num('wakeup_new'),
      waker = s.num('waker_tid');
    const ft = this.ft;
    for (let i = 0; i < s.rows; i++) {
      const c = cpu[i],
        t = ts[i],
        n = tid[i];
      if (c !== this.cpu) {
        this.endCpu();
        this.cpu = c;
      }
      if (k[i] === 1) {
        const p: Prev = {
          tid: n,
          prio: isValid(prioValid, i) ? prio[i] : 120,
          state: isValid(stateValid, i) ? state[i] : 0,
          comm: names[comm[i]],
          kept: kept[i] === 1,
          endTs: endTs[i],
        };
        if (p.kept || this.prev?.kept) this.switchTo(c, t, this.prev, n, p.prio, p.comm);
        this.prev = p;
      } else if (this.compact && !isNew[i]) {
        ft.compactWaking(c, t, n, target[i], prio[i], names[comm[i]]);
      } else {
        // sched_wakeup_new and sched_waking carry the same fields
        const f = isNew[i] ? WN : WK;
        ft.head(c, t, waker[i], isNew[i] ? F.ev.sched_wakeup_new : F.ev.sched_waking)
          .tag(f.comm, L)
          .string(names[comm[i]])
          .tag(f.pid, V)
          .int32(n)
          .tag(f.prio, V)
          .int32(prio[i])
          .tag(f.success, V)
          .int32(1)
          .tag(f.target_cpu, V)
          .int32(target[i]);
        ft.done(c);
      }
    }
  }
}

/** Chrome: every slice of the window (CPU lanes and utilization see all of them; thread lanes the selected) */
const CHROME_SQL = `
SELECT cpu::INTEGER AS cpu, ts::DOUBLE AS ts, end_ts::DOUBLE AS end_ts, tid, tgid, comm::_export_sched_comm AS comm, end_state, clipped, kept
FROM _export_slices ORDER BY cpu, ts, end_ts`;

function chromeSlices(ctx: ChromeContext, s: Scan, util: Utilization, json: Map<number, string>): void {
  const cpu = s.num('cpu'),
    ts = s.num('ts'),
    end = s.num('end_ts'),
    tid = s.num('tid'),
    tgid = s.num('tgid');
  const { codes: comm, values: names } = s.dict('comm'),
    state = s.str('end_state'),
    clipped = s.num('clipped'),
    kept = s.num('kept');
  for (let i = 0; i < s.rows; i++) {
    const c = cpu[i],
      from = ts[i],
      to = end[i],
      t = tid[i];
    util.cpu(c);
    if (t === 0 || to <= from) continue;
    if (kept[i]) {
      let name = json.get(comm[i]);
      if (name === undefined) json.set(comm[i], (name = JSON.stringify(names[comm[i]])));
      const pid = tgid[i],
        st = state.get(i);
      const extra = `${st ? `,"end_state":${JSON.stringify(st)}` : ''}${clipped[i] ? ',"clipped":true' : ''}`;
      ctx.lane(pid, t);
      ctx.emit(`{"ph":"X","cat":"sched","name":${name},"pid":${pid},"tid":${t},"ts":${us(from)},"dur":${us(to - from)},"args":{"cpu":${c}${extra}}}`);
      ctx.emit(
        `{"ph":"X","cat":"cpu","name":${name},"pid":${CPU_PID_BASE + c},"tid":${c},"ts":${us(from)},"dur":${us(to - from)},"args":{"tid":${t},"pid":${pid}${extra}}}`,
      );
    }
    util.busy(from, to);
  }
}

/** the threads of the kept switches (SchedStream's rule), from the slices: (tid, ts) pairs */
const REFS_FILTERED = `SELECT tid, ts FROM (
  WITH o AS (
    SELECT tid, ts, end_ts, kept, lag(kept) OVER w AS prev_kept, lead(kept) OVER w AS next_kept, lead(ts) OVER w AS next_ts
    FROM _export_slices WINDOW w AS (PARTITION BY cpu ORDER BY ts, end_ts)
  )
  SELECT tid, ts FROM o WHERE kept OR coalesce(prev_kept, false)
  UNION ALL SELECT tid, coalesce(next_ts, end_ts) FROM o WHERE coalesce(next_kept, kept)
)`;

export const schedExport: FamilyExport = {
  group: 'sched',
  sql: ['families/sched/export.sql'],
  // the kernel-paired waits serve the sched-latency report; the exports read the switches themselves
  unread: ['sched_wait'],
  // the wakeups are Perfetto events only
  perfettoOnly: ['sched_waking'],
  // every thread a kept switch names (either side, at the switch) and every wakeup's two threads; unfiltered,
  // a thread's first switch is the one into its first slice, so its slices' starts are enough
  perfettoRefs: (ctx) => `${ctx.filtered ? REFS_FILTERED : 'SELECT tid, ts FROM _export_slices'}
    UNION ALL SELECT tid, ts FROM _export_wakeups UNION ALL SELECT waker_tid, ts FROM _export_wakeups`,
  async perfetto(ctx) {
    const ft = ctx.ftrace();
    const st = new SchedStream(ctx.compact, ft);
    await ctx.scan(PERFETTO_SQL, (s) => st.chunk(s));
    st.endCpu();
    ft.close();
  },
  async chrome(ctx) {
    const util = new Utilization(ctx);
    const json = new Map<number, string>();
    await ctx.scan(CHROME_SQL, (s) => chromeSlices(ctx, s, util, json));
    util.end();
    for (const c of util.cpus()) ctx.syntheticProcess(CPU_PID_BASE + c, `CPU ${c}`, -100000 + c, { tid: c, name: `CPU ${c}` });
  },
};
