/**
 * sched decoder: sched_switch (with the kernel-gap and wait bookkeeping)
 * and the wakeups. Hand-written: the switch handler has logic, and both run
 * on the hot path of a context-switch storm.
 */
import * as W from '../../formats/gen/events.gen.js';
import type { DecodeCtx, FamilyDecoder, InferredLoss } from '../family.js';

const O = W.OFF;
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

class SchedDecoder implements FamilyDecoder {
  private gaps: SwitchGap[] = [];
  private lastNext = new Int32Array(MAX_CPUS).fill(-1);
  private lastTsLo = new Uint32Array(MAX_CPUS);
  private lastTsHi = new Uint32Array(MAX_CPUS);
  /** per CPU: ts of a switch-in minus the rq-clock arrival the kernel noted for it (NaN = not yet seen) */
  private arrivalOff = new Float64Array(MAX_CPUS).fill(NaN);

  readonly handlers = {
    [W.KT_SCHED_SWITCH]: (x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number) => this.sw(x, p, tslo, tshi, cpu, tid),
    [W.KT_SCHED_WAKING]: (x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number) => wake(x, p, tslo, tshi, cpu, tid, 0),
    [W.KT_SCHED_WAKEUP_NEW]: (x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number) => wake(x, p, tslo, tshi, cpu, tid, 1),
  };

  takeLosses(): InferredLoss[] {
    const g = this.gaps;
    this.gaps = [];
    return g.map(gapLoss);
  }

  private sw(x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number): void {
    const w = x.writers.sched_switch;
    if (!w) return;
    const { u32, i32 } = x;
    const q = p >> 2;
    const b = w.builder,
      c = b.cols,
      i = b.length++;
    b.w32.ts[2 * i] = tslo;
    b.w32.ts[2 * i + 1] = tshi;
    (c.cpu as Uint16Array)[i] = cpu;
    (c.prev_tid as Int32Array)[i] = tid;
    if (cpu < MAX_CPUS) this.track(x, q, tslo, tshi, cpu, tid);
    const nextTid = i32[q + (O.kt_sched_switch.next_tid >> 2)];
    (c.next_tid as Int32Array)[i] = nextTid;
    if (cpu < MAX_CPUS) this.lastNext[cpu] = nextTid;
    (c.prev_state as Uint16Array)[i] = u32[q + (O.kt_sched_switch.prev_state >> 2)];
    (c.prev_prio as Uint8Array)[i] = i32[q + (O.kt_sched_switch.prev_prio >> 2)];
    (c.next_prio as Uint8Array)[i] = i32[q + (O.kt_sched_switch.next_prio >> 2)];
    const nf = u32[q + (O.kt_sched_switch.next_flags >> 2)];
    (c.next_flags as Uint8Array)[i] = nf & (W.KT_NEXT_MIGRATED | W.KT_NEXT_CPU_KNOWN);
    if (b.full) w.flush();
    if (nf & W.KT_NEXT_WAIT) pairedWait(x, q, tslo, tshi, cpu, nextTid, nf);
    x.noteTgid(tslo, tshi, tid, i32[q + (O.kt_sched_switch.prev_tgid >> 2)]);
    x.noteTgid(tslo, tshi, nextTid, i32[q + (O.kt_sched_switch.next_tgid >> 2)]);
  }

  /** The CPU's switch sequence: a gap when prev is not the task the last switch put there; else calibrate. */
  private track(x: DecodeCtx, q: number, tslo: number, tshi: number, cpu: number, tid: number): void {
    const u32 = x.u32;
    const ln = this.lastNext[cpu];
    const aq = q + (O.kt_sched_switch.prev_arrival >> 2);
    const rawArrival = u32[aq + 1] * 4294967296 + u32[aq];
    if (ln !== -1 && ln !== tid) this.gap(x, q, tslo, tshi, cpu, tid, ln, rawArrival);
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

  private gap(x: DecodeCtx, q: number, tslo: number, tshi: number, cpu: number, tid: number, hiddenTid: number, rawArrival: number): void {
    const u32 = x.u32;
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
    const pf = u32[q + (O.kt_sched_switch.prev_wait_flags >> 2)];
    const sq = q + (O.kt_sched_switch.prev_wait_since >> 2);
    const waitFrom = pf & W.KT_NEXT_WAIT ? (BigInt(u32[sq + 1]) << 32n) | BigInt(u32[sq]) : null;
    this.gaps.push({ cpu, tsStart, tsEnd, hiddenTid, resumeTid: tid, resumeTs, waitFrom, woken: (pf & W.KT_NEXT_WOKEN) !== 0 });
  }
}

/** The wait the kernel paired with this switch-in: a sched_wait row. */
function pairedWait(x: DecodeCtx, q: number, tslo: number, tshi: number, cpu: number, nextTid: number, nf: number): void {
  const ww = x.writers.sched_wait;
  if (!ww) return;
  const wb = ww.builder,
    wc = wb.cols,
    j = wb.length++;
  wb.w32.ts[2 * j] = tslo;
  wb.w32.ts[2 * j + 1] = tshi;
  (wc.cpu as Uint16Array)[j] = cpu;
  (wc.tid as Int32Array)[j] = nextTid;
  const wq = q + (O.kt_sched_switch.next_wait >> 2);
  wb.w32.wait_ns[2 * j] = x.u32[wq];
  wb.w32.wait_ns[2 * j + 1] = x.u32[wq + 1];
  (wc.woken as Uint8Array)[j] = nf & W.KT_NEXT_WOKEN ? 1 : 0;
  if (wb.full) ww.flush();
}

function wake(x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number, wakeupNew: number): void {
  const w = x.writers.sched_waking;
  if (!w) return;
  const { u32, i32 } = x;
  const q = p >> 2;
  const b = w.builder,
    c = b.cols,
    i = b.length++;
  b.w32.ts[2 * i] = tslo;
  b.w32.ts[2 * i + 1] = tshi;
  (c.cpu as Uint16Array)[i] = cpu;
  (c.tid as Int32Array)[i] = tid;
  (c.target_cpu as Uint16Array)[i] = u32[q + (O.kt_sched_wake.target_cpu >> 2)];
  (c.prio as Uint8Array)[i] = i32[q + (O.kt_sched_wake.prio >> 2)];
  (c.wakeup_new as Uint8Array)[i] = wakeupNew;
  const waker = i32[q + (O.kt_sched_wake.waker_tid >> 2)];
  (c.waker_tid as Int32Array)[i] = waker;
  if (b.full) w.flush();
  x.noteTgid(tslo, tshi, tid, i32[q + (O.kt_sched_wake.tgid >> 2)]);
  x.noteTgid(tslo, tshi, waker, i32[q + (O.kt_sched_wake.waker_tgid >> 2)]);
}

export const schedDecoder = (): FamilyDecoder => new SchedDecoder();
