/**
 * sched family exporters. Perfetto: the CPU tracks are one switch per sched_slices row (families/sched/export.sql),
 * so trace_processor's sched table holds the analyzer's slices, the kernel_gap ones included, from the window
 * start to its end; wakeups as CompactSched. Chrome: the slices as running intervals per thread and per CPU,
 * with a busy % counter per CPU.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import { F, L, V, fieldNumbers } from '../../export/ftrace.js';
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { CPU_PID_BASE, us } from '../../export/chrome-format.js';
import type { Scan } from '../../export/scan.js';
import { Utilization } from './utilization.js';

const SW = fieldNumbers(pb.SchedSwitchFtraceEventSchema);
const WK = fieldNumbers(pb.SchedWakingFtraceEventSchema);
const WN = fieldNumbers(pb.SchedWakeupNewFtraceEventSchema);

/** switches (k 1) and wakeups (k 0) in one stream per CPU, by time: a CPU's bundles are then written in order */
const PERFETTO_SQL = `
SELECT 1 AS k, cpu::INTEGER AS cpu, ts::DOUBLE AS ts, prev_tid, prev_prio::INTEGER AS prev_prio, prev_state::INTEGER AS prev_state,
       prev_comm, next_tid, next_prio::INTEGER AS next_prio, next_comm, NULL::INTEGER AS target_cpu, NULL::BOOLEAN AS wakeup_new
FROM _export_sched_switch
UNION ALL
SELECT 0, cpu, ts::DOUBLE, waker_tid, NULL, NULL, NULL, tid, prio, comm, target_cpu, wakeup_new FROM _export_sched_waking
ORDER BY cpu, ts, k`;

function writeSched(ctx: PerfettoContext, s: Scan, ft: ReturnType<PerfettoContext['ftrace']>): void {
  const k = s.col('k'), cpu = s.col('cpu'), ts = s.col('ts'), prev = s.col('prev_tid'), prevPrio = s.col('prev_prio');
  const prevState = s.col('prev_state'), prevComm = s.col('prev_comm'), next = s.col('next_tid'), nextPrio = s.col('next_prio');
  const nextComm = s.col('next_comm'), target = s.col('target_cpu'), isNew = s.col('wakeup_new');
  for (let i = 0; i < s.rows; i++) {
    const c = cpu.getItem(i), t = ts.getItem(i), p = prev.getItem(i), n = next.getItem(i);
    if (k.getItem(i) === 1) {
      if (ctx.compact && ft.lastNext(c) === p) {
        ft.compactSwitch(c, t, prevState.getItem(i), n, nextPrio.getItem(i), nextComm.getItem(i));
        continue;
      }
      ft.head(c, t, p, F.ev.sched_switch).tag(SW.prev_comm, L).string(prevComm.getItem(i)).tag(SW.prev_pid, V).int32(p)
        .tag(SW.prev_prio, V).int32(prevPrio.getItem(i)).tag(SW.prev_state, V).int64(prevState.getItem(i))
        .tag(SW.next_comm, L).string(nextComm.getItem(i)).tag(SW.next_pid, V).int32(n).tag(SW.next_prio, V).int32(nextPrio.getItem(i));
      ft.switched(c, n);
      ft.done(c);
    } else if (isNew.getItem(i)) {
      ft.head(c, t, p, F.ev.sched_wakeup_new).tag(WN.comm, L).string(nextComm.getItem(i)).tag(WN.pid, V).int32(n)
        .tag(WN.prio, V).int32(nextPrio.getItem(i)).tag(WN.success, V).int32(1).tag(WN.target_cpu, V).int32(target.getItem(i));
      ft.done(c);
    } else if (ctx.compact) {
      ft.compactWaking(c, t, n, target.getItem(i), nextPrio.getItem(i), nextComm.getItem(i));
    } else {
      ft.head(c, t, p, F.ev.sched_waking).tag(WK.comm, L).string(nextComm.getItem(i)).tag(WK.pid, V).int32(n)
        .tag(WK.prio, V).int32(nextPrio.getItem(i)).tag(WK.success, V).int32(1).tag(WK.target_cpu, V).int32(target.getItem(i));
      ft.done(c);
    }
  }
}

/** Chrome: every slice of the window (CPU lanes and utilization see all of them; thread lanes the selected) */
const CHROME_SQL = `
SELECT cpu::INTEGER AS cpu, ts::DOUBLE AS ts, end_ts::DOUBLE AS end_ts, tid, tgid, comm, end_state, clipped, kept
FROM _export_slices ORDER BY cpu, ts, end_ts`;

function chromeSlices(ctx: ChromeContext, s: Scan, util: Utilization): void {
  const cpu = s.col('cpu'), ts = s.col('ts'), end = s.col('end_ts'), tid = s.col('tid'), tgid = s.col('tgid');
  const comm = s.col('comm'), state = s.col('end_state'), clipped = s.col('clipped'), kept = s.col('kept');
  for (let i = 0; i < s.rows; i++) {
    const c = cpu.getItem(i), from = ts.getItem(i), to = end.getItem(i), t = tid.getItem(i);
    util.cpu(c);
    if (t === 0 || to <= from) continue;
    if (kept.getItem(i)) {
      const name = JSON.stringify(comm.getItem(i)), pid = tgid.getItem(i), st = state.getItem(i);
      const extra = `${st ? `,"end_state":${JSON.stringify(st)}` : ''}${clipped.getItem(i) ? ',"clipped":true' : ''}`;
      ctx.lane(pid, t);
      ctx.emit(`{"ph":"X","cat":"sched","name":${name},"pid":${pid},"tid":${t},"ts":${us(from)},"dur":${us(to - from)},"args":{"cpu":${c}${extra}}}`);
      ctx.emit(`{"ph":"X","cat":"cpu","name":${name},"pid":${CPU_PID_BASE + c},"tid":${c},"ts":${us(from)},"dur":${us(to - from)},"args":{"tid":${t},"pid":${pid}${extra}}}`);
    }
    util.busy(from, to);
  }
}

export const schedExport: FamilyExport = {
  group: 'sched',
  sql: ['families/sched/export.sql'],
  // the kernel-paired waits serve the sched-latency report; the exports read the switches themselves
  unread: ['sched_wait'],
  perfettoRefs: () => `SELECT prev_tid AS tid, ts FROM _export_sched_switch UNION ALL SELECT next_tid, ts FROM _export_sched_switch
    UNION ALL SELECT tid, ts FROM _export_sched_waking UNION ALL SELECT waker_tid, ts FROM _export_sched_waking`,
  async perfetto(ctx) {
    const ft = ctx.ftrace();
    await ctx.scan(PERFETTO_SQL, (s) => writeSched(ctx, s, ft));
    ft.close();
  },
  async chrome(ctx) {
    const util = new Utilization(ctx);
    await ctx.scan(CHROME_SQL, (s) => chromeSlices(ctx, s, util));
    util.end();
    for (const c of util.cpus())
      ctx.syntheticProcess(CPU_PID_BASE + c, `CPU ${c}`, -100000 + c, { tid: c, name: `CPU ${c}` });
  },
};
