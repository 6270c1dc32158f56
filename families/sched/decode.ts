/**
 * sched decoder: sched_switch (with the kernel-gap and wait bookkeeping)
 * and the wakeups. Their columns are copies of wire fields, decoded in C
 * (record/copy-decoder.ts PlanSpec); the switch sequences are followed over
 * the decoded rows, in record order, before they are written.
 */
import * as W from '../../formats/gen/events.gen.js';
import type { DecodeCtx, DecodedRows, FamilyDecoder, InferredLoss } from '../family.js';
import type { PlanSpec } from '../../record/copy-decoder.js';
import { TABLES } from './tables.js';

const MAX_CPUS = 8192;
/** how far outside (tsStart, tsEnd) a calibrated arrival may fall and still be taken (then clamped) */
const CALIBRATION_SLACK_NS = 50_000;

/**
 * A break in a CPU's switch sequence: the previous switch on this CPU put
 * `hiddenTid` on it, but the next one switches out another task. The kernel
 * did not report at least one switch in (tsStart, tsEnd). Seen on kernels
 * that hide some tasks from tracepoints; recorded as losses, never silent.
 */
export interface SwitchGap {
  cpu: number;
  tsStart: bigint;
  tsEnd: bigint;
  hiddenTid: number;
  /** the task switched out at tsEnd (it resumed at the unreported switch) */
  resumeTid: number;
  /**
   * When the task switched out at tsEnd had arrived on the CPU (the kernel's
   * sched_info.last_arrival): the time of the unreported switch, inside
   * (tsStart, tsEnd). null when unknown (or further than the calibration
   * slack outside that window).
   */
  resumeTs: bigint | null;
  /** when the wait of the task switched out at tsEnd began (paired in the kernel), null if unknown */
  waitFrom: bigint | null;
  /** that wait began with a wakeup */
  woken: boolean;
}

/** The losses row of a gap (reason kernel_gap; count is a lower bound of 1). */
export function gapLoss(g: SwitchGap): InferredLoss {
  return {
    cpu: g.cpu,
    kind: 'sched_switch',
    count: 1,
    ts_start: g.tsStart,
    ts_end: g.tsEnd,
    reason: 'kernel_gap',
    resume_ts: g.resumeTs,
    resume_tid: g.resumeTid,
    resume_wait_from: g.waitFrom,
    resume_woken: g.waitFrom === null ? null : g.woken ? 1 : 0,
  };
}

const T = (name: string) => TABLES.find((t) => t.name === name)!;
const SIDE = ['prev_arrival', 'prev_wait_flags', 'prev_wait_since'];

/** The kinds' columns are copies of wire fields (decoded in C). */
const PLANS: Record<number, PlanSpec> = {
  [W.KT_SCHED_SWITCH]: {
    struct: 'kt_sched_switch',
    table: T('sched_switch'),
    rename: { prev_tid: 'h.tid', next_wait_ns: 'next_wait' },
    masks: { next_flags: W.KT_NEXT_WAIT | W.KT_NEXT_WOKEN | W.KT_NEXT_MIGRATED | W.KT_NEXT_CPU_KNOWN | W.KT_NEXT_UNWOKEN },
    tgids: [
      ['h.tid', 'prev_tgid'],
      ['next_tid', 'next_tgid'],
    ],
    side: SIDE,
  },
  [W.KT_SCHED_WAKING]: wake(0),
  [W.KT_SCHED_WAKEUP_NEW]: wake(1),
};

function wake(wakeupNew: number): PlanSpec {
  return {
    struct: 'kt_sched_wake',
    table: T('sched_waking'),
    constants: { wakeup_new: wakeupNew },
    tgids: [
      ['h.tid', 'tgid'],
      ['waker_tid', 'waker_tgid'],
    ],
  };
}

/** The per-CPU switch sequences, followed over the decoded sched_switch rows: breaks in them are kernel gaps. */
class SchedDecoder implements FamilyDecoder {
  private gaps: SwitchGap[] = [];
  private lastNext = new Int32Array(MAX_CPUS).fill(-1);
  private lastTsLo = new Uint32Array(MAX_CPUS);
  private lastTsHi = new Uint32Array(MAX_CPUS);
  /** per CPU: ts of a switch-in minus the rq-clock arrival the kernel noted for it (NaN = not yet seen) */
  private arrivalOff = new Float64Array(MAX_CPUS).fill(NaN);

  readonly handlers = {};
  readonly plans = PLANS;
  readonly after = { sched_switch: (_x: DecodeCtx, r: DecodedRows) => this.switches(r) };

  takeLosses(): InferredLoss[] {
    const g = this.gaps;
    this.gaps = [];
    return g.map(gapLoss);
  }

  private switches(r: DecodedRows): void {
    const c = r.builder.cols,
      ts = r.builder.w32.ts;
    const cpus = c.cpu as Uint16Array,
      prev = c.prev_tid as Int32Array,
      next = c.next_tid as Int32Array;
    for (let i = r.from; i < r.to; i++) {
      const cpu = cpus[i];
      if (cpu >= MAX_CPUS) continue;
      this.track(r, i, ts[2 * i], ts[2 * i + 1], cpu, prev[i]);
      this.lastNext[cpu] = next[i];
    }
  }

  /** The CPU's switch sequence: a gap when prev is not the task the last switch put there; else calibrate. */
  private track(r: DecodedRows, i: number, tslo: number, tshi: number, cpu: number, tid: number): void {
    const ln = this.lastNext[cpu];
    const arr = r.side.prev_arrival;
    const rawArrival = arr[2 * i + 1] * 4294967296 + arr[2 * i];
    if (ln !== -1 && ln !== tid) this.gap(r, i, tslo, tshi, cpu, tid, ln, rawArrival);
    else if (ln !== -1 && rawArrival > 0 && tid !== 0) {
      // a reported switch-in: prev arrived at the last switch's ts, at rawArrival in rq-clock time
      // (the idle task, tid 0, never has its arrival noted by the kernel). The kernel reads its
      // clock before the tracepoint fires, sometimes long before (a newidle balance in between), so
      // a sample is the offset plus a delay >= 0: follow the lowest samples, and drift up slowly.
      const sample = this.lastTsHi[cpu] * 4294967296 + this.lastTsLo[cpu] - rawArrival;
      const off = this.arrivalOff[cpu];
      this.arrivalOff[cpu] = !(sample >= off) ? sample : off + (sample - off) / 64;
    }
    this.lastTsLo[cpu] = tslo;
    this.lastTsHi[cpu] = tshi;
  }

  private gap(r: DecodedRows, i: number, tslo: number, tshi: number, cpu: number, tid: number, hiddenTid: number, rawArrival: number): void {
    const tsStart = (BigInt(this.lastTsHi[cpu]) << 32n) | BigInt(this.lastTsLo[cpu]);
    const tsEnd = (BigInt(tshi) << 32n) | BigInt(tslo);
    // prev's arrival in rq-clock time, moved to ts's clock with this CPU's last calibration
    const off = this.arrivalOff[cpu];
    const arrival = Number.isNaN(off) ? NaN : rawArrival + off;
    // an estimate just outside the window is calibration error (the kernel's clock read precedes the
    // tracepoint by a varying delay, usually < 1 µs): clamp it into the window
    const lo = Number(tsStart) + 1,
      hi = Number(tsEnd) - 1;
    const resumeTs =
      arrival > lo - CALIBRATION_SLACK_NS && arrival < hi + CALIBRATION_SLACK_NS && lo <= hi ? BigInt(Math.round(Math.min(hi, Math.max(lo, arrival)))) : null;
    const pf = r.side.prev_wait_flags[i];
    const since = r.side.prev_wait_since;
    const waitFrom = pf & W.KT_NEXT_WAIT ? (BigInt(since[2 * i + 1]) << 32n) | BigInt(since[2 * i]) : null;
    this.gaps.push({ cpu, tsStart, tsEnd, hiddenTid, resumeTid: tid, resumeTs, waitFrom, woken: (pf & W.KT_NEXT_WOKEN) !== 0 });
  }
}

export const schedDecoder = (): FamilyDecoder => new SchedDecoder();
