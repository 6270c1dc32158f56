/**
 * Decoder: drained ring-buffer bytes → columns of the capture tables.
 * Offsets come from formats/gen/events.gen.ts (generated from bpf/events.h).
 * Record lengths are checked against the wire struct sizes; short records
 * are counted as malformed, never half-decoded.
 */
import * as W from '../formats/gen/events.gen.js';
import type { TableWriter } from './writer.js';

const O = W.OFF;
const S = W.SIZEOF;

export interface DecodeStats {
  events: Float64Array; // per enum kt_kind
  malformed: number;
}

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

const MAX_CPUS = 8192;
/** how far outside (tsStart, tsEnd) a calibrated arrival may fall and still be taken (then clamped) */
const CALIBRATION_SLACK_NS = 50_000;

export class Decoder {
  readonly stats: DecodeStats = { events: new Float64Array(W.KT_KIND_MAX), malformed: 0 };
  /** gaps found since the last takeGaps() */
  private gaps: SwitchGap[] = [];
  private lastNext = new Int32Array(MAX_CPUS).fill(-1);
  private lastTsLo = new Uint32Array(MAX_CPUS);
  private lastTsHi = new Uint32Array(MAX_CPUS);
  /** per CPU: ts of a switch-in minus the rq-clock arrival the kernel noted for it (NaN = not yet seen) */
  private arrivalOff = new Float64Array(MAX_CPUS).fill(NaN);
  private tgidOf: Int32Array;
  private td = new TextDecoder();
  constructor(private readonly t: Record<string, TableWriter>, pidMax: number) {
    this.tgidOf = new Int32Array(pidMax + 1).fill(-1);
  }

  takeGaps(): SwitchGap[] {
    const g = this.gaps;
    this.gaps = [];
    return g;
  }

  private str(u8: Uint8Array, off: number, max: number): string {
    let end = off;
    const lim = off + max;
    while (end < lim && u8[end] !== 0) end++;
    return this.td.decode(u8.subarray(off, end));
  }

  private noteTgid(ts32lo: number, ts32hi: number, tid: number, tgid: number): void {
    if (tid <= 0 || tid >= this.tgidOf.length || this.tgidOf[tid] === tgid) return;
    this.tgidOf[tid] = tgid;
    const w = this.t.task_ids;
    if (!w) return;
    const b = w.builder;
    const i = b.length++;
    const ts = b.w32.ts;
    ts[2 * i] = ts32lo;
    ts[2 * i + 1] = ts32hi;
    (b.cols.tid as Int32Array)[i] = tid;
    (b.cols.tgid as Int32Array)[i] = tgid;
    if (b.full) w.flush();
  }

  /** Decode `n` records laid out by ktring_drain in buf[0..len). */
  decode(ab: ArrayBuffer, len: number): void {
    const u8 = new Uint8Array(ab, 0, len);
    const u16 = new Uint16Array(ab, 0, len >> 1);
    const u32 = new Uint32Array(ab, 0, len >> 2);
    const i32 = new Int32Array(ab, 0, len >> 2);
    const ev = this.stats.events;
    let off = 0;
    while (off + 8 <= len) {
      const rlen = u32[off >> 2];
      const p = off + 8; // payload start, 8-aligned
      off = p + ((rlen + 7) & ~7);
      if (rlen < S.kt_hdr) { this.stats.malformed++; continue; }
      const kind = u16[(p + O.kt_hdr.kind) >> 1];
      const q = p >> 2; // u32 index of payload
      const tslo = u32[q], tshi = u32[q + 1];
      const cpu = u16[(p + O.kt_hdr.cpu) >> 1];
      const tid = i32[q + (O.kt_hdr.tid >> 2)];
      switch (kind) {
        case W.KT_SCHED_SWITCH: {
          if (rlen < S.kt_sched_switch) { this.stats.malformed++; continue; }
          const w = this.t.sched_switch; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++;
          b.w32.ts[2 * i] = tslo; b.w32.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.prev_tid as Int32Array)[i] = tid;
          if (cpu < MAX_CPUS) {
            const ln = this.lastNext[cpu];
            const aq = q + (O.kt_sched_switch.prev_arrival >> 2);
            const rawArrival = u32[aq + 1] * 4294967296 + u32[aq];
            if (ln !== -1 && ln !== tid) {
              const tsStart = (BigInt(this.lastTsHi[cpu]) << 32n) | BigInt(this.lastTsLo[cpu]);
              const tsEnd = (BigInt(tshi) << 32n) | BigInt(tslo);
              // prev's arrival in rq-clock time, moved to ts's clock with this CPU's last calibration
              const off = this.arrivalOff[cpu];
              const arrival = off === off ? rawArrival + off : NaN;
              // an estimate just outside the window is calibration error (the kernel's clock read precedes the
              // tracepoint by a varying delay, usually < 1 µs): clamp it into the window
              const lo = Number(tsStart) + 1, hi = Number(tsEnd) - 1;
              const resumeTs = arrival > lo - CALIBRATION_SLACK_NS && arrival < hi + CALIBRATION_SLACK_NS && lo <= hi
                ? BigInt(Math.round(Math.min(hi, Math.max(lo, arrival)))) : null;
              const pf = u32[q + (O.kt_sched_switch.prev_wait_flags >> 2)];
              const sq = q + (O.kt_sched_switch.prev_wait_since >> 2);
              const waitFrom = pf & W.KT_NEXT_WAIT ? (BigInt(u32[sq + 1]) << 32n) | BigInt(u32[sq]) : null;
              this.gaps.push({ cpu, tsStart, tsEnd, hiddenTid: ln, resumeTid: tid, resumeTs, waitFrom, woken: (pf & W.KT_NEXT_WOKEN) !== 0 });
            } else if (ln !== -1 && rawArrival > 0 && tid !== 0) {
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
          const nextTid = i32[q + (O.kt_sched_switch.next_tid >> 2)];
          (c.next_tid as Int32Array)[i] = nextTid;
          if (cpu < MAX_CPUS) this.lastNext[cpu] = nextTid;
          (c.prev_state as Uint16Array)[i] = u32[q + (O.kt_sched_switch.prev_state >> 2)];
          (c.prev_prio as Uint8Array)[i] = i32[q + (O.kt_sched_switch.prev_prio >> 2)];
          (c.next_prio as Uint8Array)[i] = i32[q + (O.kt_sched_switch.next_prio >> 2)];
          const nf = u32[q + (O.kt_sched_switch.next_flags >> 2)];
          (c.next_flags as Uint8Array)[i] = nf & (W.KT_NEXT_MIGRATED | W.KT_NEXT_CPU_KNOWN);
          if (b.full) w.flush();
          const ww = this.t.sched_wait;
          if (nf & W.KT_NEXT_WAIT && ww) {
            const wb = ww.builder, wc = wb.cols, j = wb.length++;
            wb.w32.ts[2 * j] = tslo; wb.w32.ts[2 * j + 1] = tshi;
            (wc.cpu as Uint16Array)[j] = cpu;
            (wc.tid as Int32Array)[j] = nextTid;
            const wq = q + (O.kt_sched_switch.next_wait >> 2);
            wb.w32.wait_ns[2 * j] = u32[wq]; wb.w32.wait_ns[2 * j + 1] = u32[wq + 1];
            (wc.woken as Uint8Array)[j] = nf & W.KT_NEXT_WOKEN ? 1 : 0;
            if (wb.full) ww.flush();
          }
          this.noteTgid(tslo, tshi, tid, i32[q + (O.kt_sched_switch.prev_tgid >> 2)]);
          this.noteTgid(tslo, tshi, nextTid, i32[q + (O.kt_sched_switch.next_tgid >> 2)]);
          break;
        }
        case W.KT_SCHED_WAKING:
        case W.KT_SCHED_WAKEUP_NEW: {
          if (rlen < S.kt_sched_wake) { this.stats.malformed++; continue; }
          const w = this.t.sched_waking; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++;
          b.w32.ts[2 * i] = tslo; b.w32.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          (c.target_cpu as Uint16Array)[i] = u32[q + (O.kt_sched_wake.target_cpu >> 2)];
          (c.prio as Uint8Array)[i] = i32[q + (O.kt_sched_wake.prio >> 2)];
          (c.wakeup_new as Uint8Array)[i] = kind === W.KT_SCHED_WAKEUP_NEW ? 1 : 0;
          const waker = i32[q + (O.kt_sched_wake.waker_tid >> 2)];
          (c.waker_tid as Int32Array)[i] = waker;
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, i32[q + (O.kt_sched_wake.tgid >> 2)]);
          this.noteTgid(tslo, tshi, waker, i32[q + (O.kt_sched_wake.waker_tgid >> 2)]);
          break;
        }
        case W.KT_TASK_NEWTASK: {
          if (rlen < S.kt_task_newtask) { this.stats.malformed++; continue; }
          const w = this.t.task_newtask; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++;
          b.w32.ts[2 * i] = tslo; b.w32.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.parent_tid as Int32Array)[i] = tid;
          const ptgid = i32[q + (O.kt_task_newtask.tgid >> 2)];
          (c.parent_tgid as Int32Array)[i] = ptgid;
          const ctid = i32[q + (O.kt_task_newtask.child_tid >> 2)];
          const ctgid = i32[q + (O.kt_task_newtask.child_tgid >> 2)];
          (c.child_tid as Int32Array)[i] = ctid;
          (c.child_tgid as Int32Array)[i] = ctgid;
          const cf = q + (O.kt_task_newtask.clone_flags >> 2);
          b.w32.clone_flags[2 * i] = u32[cf]; b.w32.clone_flags[2 * i + 1] = u32[cf + 1];
          (c.comm as string[])[i] = this.str(u8, p + O.kt_task_newtask.comm, W.KT_COMM_LEN);
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, ptgid);
          this.noteTgid(tslo, tshi, ctid, ctgid);
          break;
        }
        case W.KT_TASK_EXEC: {
          if (rlen < S.kt_task_exec) { this.stats.malformed++; continue; }
          const w = this.t.task_exec; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++;
          b.w32.ts[2 * i] = tslo; b.w32.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          const tgid = i32[q + (O.kt_task_exec.tgid >> 2)];
          (c.tgid as Int32Array)[i] = tgid;
          (c.old_tid as Int32Array)[i] = i32[q + (O.kt_task_exec.old_tid >> 2)];
          (c.comm as string[])[i] = this.str(u8, p + O.kt_task_exec.comm, W.KT_COMM_LEN);
          (c.filename as string[])[i] = this.str(u8, p + O.kt_task_exec.filename, W.KT_FILENAME_LEN);
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, tgid);
          break;
        }
        case W.KT_TASK_EXIT: {
          if (rlen < S.kt_task_exit) { this.stats.malformed++; continue; }
          const w = this.t.task_exit; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++;
          b.w32.ts[2 * i] = tslo; b.w32.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          const tgid = i32[q + (O.kt_task_exit.tgid >> 2)];
          (c.tgid as Int32Array)[i] = tgid;
          (c.exit_code as Int32Array)[i] = i32[q + (O.kt_task_exit.exit_code >> 2)];
          (c.group_dead as Uint8Array)[i] = u32[q + (O.kt_task_exit.group_dead >> 2)];
          (c.comm as string[])[i] = this.str(u8, p + O.kt_task_exit.comm, W.KT_COMM_LEN);
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, tgid);
          break;
        }
        case W.KT_TASK_RENAME: {
          if (rlen < S.kt_task_rename) { this.stats.malformed++; continue; }
          const w = this.t.task_rename; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++;
          b.w32.ts[2 * i] = tslo; b.w32.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          const tgid = i32[q + (O.kt_task_rename.tgid >> 2)];
          (c.tgid as Int32Array)[i] = tgid;
          (c.oldcomm as string[])[i] = this.str(u8, p + O.kt_task_rename.oldcomm, W.KT_COMM_LEN);
          (c.newcomm as string[])[i] = this.str(u8, p + O.kt_task_rename.newcomm, W.KT_COMM_LEN);
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, tgid);
          break;
        }
        case W.KT_TASK_FREE: {
          if (rlen < S.kt_task_free) { this.stats.malformed++; continue; }
          const w = this.t.task_free; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++;
          b.w32.ts[2 * i] = tslo; b.w32.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          (c.tgid as Int32Array)[i] = i32[q + (O.kt_task_free.tgid >> 2)];
          (c.comm as string[])[i] = this.str(u8, p + O.kt_task_free.comm, W.KT_COMM_LEN);
          if (b.full) w.flush();
          // a freed tid may be reused: forget its tgid
          if (tid > 0 && tid < this.tgidOf.length) this.tgidOf[tid] = -1;
          break;
        }
        case W.KT_SYS_ENTER: {
          if (rlen < S.kt_sys_enter) { this.stats.malformed++; continue; }
          const w = this.t.syscall_enter; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++, x = b.w32;
          x.ts[2 * i] = tslo; x.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          (c.nr as Int32Array)[i] = i32[q + (O.kt_sys_enter.nr >> 2)];
          const a = q + (O.kt_sys_enter.args >> 2);
          x.arg0[2 * i] = u32[a]; x.arg0[2 * i + 1] = u32[a + 1];
          x.arg1[2 * i] = u32[a + 2]; x.arg1[2 * i + 1] = u32[a + 3];
          x.arg2[2 * i] = u32[a + 4]; x.arg2[2 * i + 1] = u32[a + 5];
          x.arg3[2 * i] = u32[a + 6]; x.arg3[2 * i + 1] = u32[a + 7];
          x.arg4[2 * i] = u32[a + 8]; x.arg4[2 * i + 1] = u32[a + 9];
          x.arg5[2 * i] = u32[a + 10]; x.arg5[2 * i + 1] = u32[a + 11];
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, i32[q + (O.kt_sys_enter.tgid >> 2)]);
          break;
        }
        case W.KT_SYS_EXIT: {
          if (rlen < S.kt_sys_exit) { this.stats.malformed++; continue; }
          const w = this.t.syscall_exit; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++, x = b.w32;
          x.ts[2 * i] = tslo; x.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          (c.nr as Int32Array)[i] = i32[q + (O.kt_sys_exit.nr >> 2)];
          const r = q + (O.kt_sys_exit.ret >> 2);
          x.ret[2 * i] = u32[r]; x.ret[2 * i + 1] = u32[r + 1];
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, i32[q + (O.kt_sys_exit.tgid >> 2)]);
          break;
        }
        case W.KT_KMALLOC:
        case W.KT_KMEM_CACHE_ALLOC: {
          if (rlen < S.kt_kmem_alloc) { this.stats.malformed++; continue; }
          const w = this.t.kmem_alloc; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++, x = b.w32;
          x.ts[2 * i] = tslo; x.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          (c.cache as Uint8Array)[i] = kind === W.KT_KMEM_CACHE_ALLOC ? 1 : 0;
          const pp = q + (O.kt_kmem_alloc.ptr >> 2), cs = q + (O.kt_kmem_alloc.call_site >> 2);
          x.ptr[2 * i] = u32[pp]; x.ptr[2 * i + 1] = u32[pp + 1];
          x.call_site[2 * i] = u32[cs]; x.call_site[2 * i + 1] = u32[cs + 1];
          const br = q + (O.kt_kmem_alloc.bytes_req >> 2), ba = q + (O.kt_kmem_alloc.bytes_alloc >> 2);
          (c.bytes_req as Uint32Array)[i] = u32[br + 1] ? 0xffffffff : u32[br];
          (c.bytes_alloc as Uint32Array)[i] = u32[ba + 1] ? 0xffffffff : u32[ba];
          (c.gfp_flags as Uint32Array)[i] = u32[q + (O.kt_kmem_alloc.gfp_flags >> 2)];
          (c.node as Int16Array)[i] = i32[q + (O.kt_kmem_alloc.node >> 2)];
          (c.stack_id as Int32Array)[i] = i32[q + (O.kt_kmem_alloc.stack_id >> 2)];
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, i32[q + (O.kt_kmem_alloc.tgid >> 2)]);
          break;
        }
        case W.KT_KFREE:
        case W.KT_KMEM_CACHE_FREE: {
          if (rlen < S.kt_kmem_free) { this.stats.malformed++; continue; }
          const w = this.t.kmem_free; if (!w) break;
          const b = w.builder, c = b.cols, i = b.length++, x = b.w32;
          x.ts[2 * i] = tslo; x.ts[2 * i + 1] = tshi;
          (c.cpu as Uint16Array)[i] = cpu;
          (c.tid as Int32Array)[i] = tid;
          (c.cache as Uint8Array)[i] = kind === W.KT_KMEM_CACHE_FREE ? 1 : 0;
          const pp = q + (O.kt_kmem_free.ptr >> 2), cs = q + (O.kt_kmem_free.call_site >> 2);
          x.ptr[2 * i] = u32[pp]; x.ptr[2 * i + 1] = u32[pp + 1];
          x.call_site[2 * i] = u32[cs]; x.call_site[2 * i + 1] = u32[cs + 1];
          if (b.full) w.flush();
          this.noteTgid(tslo, tshi, tid, i32[q + (O.kt_kmem_free.tgid >> 2)]);
          break;
        }
        default:
          this.stats.malformed++;
          continue;
      }
      ev[kind]++;
    }
  }
}
