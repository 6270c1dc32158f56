/**
 * Perfetto ftrace output: per-CPU FtraceEventBundles of at most BUNDLE_EVENTS events, each sorted by time,
 * with sched_switch/sched_waking as CompactSched arrays. The per-event path writes FtraceEvents with
 * BinaryWriter, using field numbers read from the generated descriptors (the .proto stays the single source
 * of field numbers); test/unit checks the varint fast paths.
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import * as pb from '../formats/perfetto/gen/ktape_perfetto_pb.js';

/** events per FtraceEventBundle before it is flushed */
export const BUNDLE_EVENTS = 2048;
export const SEQ_FTRACE = 1;

/** field numbers of a generated message, by proto field name */
export function fieldNumbers(d: DescMessage): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of d.fields) out[f.name] = f.number;
  return out;
}
export const F = {
  trace: fieldNumbers(pb.TraceSchema),
  packet: fieldNumbers(pb.TracePacketSchema),
  bundle: fieldNumbers(pb.FtraceEventBundleSchema),
  compact: fieldNumbers(pb.FtraceEventBundle_CompactSchedSchema),
  ev: fieldNumbers(pb.FtraceEventSchema),
};
export const V = WireType.Varint;
export const L = WireType.LengthDelimited;

// Varint fast paths for the per-event encoder. BinaryWriter.uint64/int64 go through a generic 64-bit
// conversion that dominated the profile; these write the same bytes from a number (ts) or from the two
// 32-bit halves of a 64-bit value without creating a bigint.
const scratch = new Uint8Array(10);
const views = Array.from({ length: 11 }, (_, n) => scratch.subarray(0, n));
/** varint of the 64-bit value hi:lo (two's complement for negatives) */
export function writeVarint64(w: BinaryWriter, lo: number, hi: number): BinaryWriter {
  if (hi === 0) return w.uint32(lo >>> 0);
  let n = 0;
  for (let k = 0; k < 4; k++) {
    scratch[n++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  const b = (lo & 0x0f) | ((hi & 0x7) << 4);
  hi >>>= 3;
  if (hi === 0) scratch[n++] = b;
  else {
    scratch[n++] = b | 0x80;
    while (hi > 0x7f) {
      scratch[n++] = (hi & 0x7f) | 0x80;
      hi >>>= 7;
    }
    scratch[n++] = hi;
  }
  return w.raw(views[n]);
}
/** varint of a non-negative safe integer */
export function writeU64(w: BinaryWriter, v: number): BinaryWriter {
  if (v < 0x80000000) return w.uint32(v);
  return writeVarint64(w, v >>> 0, Math.floor(v / 4294967296));
}

class CpuBundle {
  /** the bundle's FtraceEvents, already framed as FtraceEventBundle.event fields */
  w = new BinaryWriter();
  lastEvTs = -Infinity;
  lastSwTs = -Infinity;
  lastWkTs = -Infinity;
  swTs: number[] = []; swState: number[] = []; swNext: number[] = []; swPrio: number[] = []; swComm: number[] = [];
  wkTs: number[] = []; wkPid: number[] = []; wkCpu: number[] = []; wkPrio: number[] = []; wkComm: number[] = [];
  intern = new Map<string, number>();
  count = 0;
  lost = false;
  /** next tid of the last sched_switch written on this CPU (CompactSched's implied prev) */
  lastNext: number | undefined = undefined;
  /** starts of the loss windows of this CPU not yet passed, ascending */
  constructor(readonly cpu: number, readonly losses: number[]) {}
}

/** One pass of ftrace events: per-CPU bundles; `close()` flushes what is left. */
export class FtraceWriter {
  private cpus = new Map<number, CpuBundle>();
  private cur: CpuBundle | null = null;
  private readonly tw = new BinaryWriter();

  constructor(
    private readonly out: (bytes: Uint8Array) => void,
    private readonly lossStarts: Map<number, number[]>,
    /** called once per event written (FtraceEvent or CompactSched entry) */
    private readonly counted: () => void = () => {},
    /** called the first time a CPU is written to */
    private readonly newCpu: (cpu: number) => void = () => {},
  ) {}

  private bundle(cpu: number): CpuBundle {
    if (this.cur && this.cur.cpu === cpu) return this.cur;
    let b = this.cpus.get(cpu);
    if (!b) {
      this.cpus.set(cpu, (b = new CpuBundle(cpu, [...(this.lossStarts.get(cpu) ?? [])].sort((x, y) => x - y))));
      this.newCpu(cpu);
    }
    return (this.cur = b);
  }

  /** A bundle that crosses the start of a loss window is flushed first; the next one says lost_events. */
  private noteLoss(b: CpuBundle, ts: number): void {
    const a = b.losses;
    if (!a.length || ts < a[0]) return;
    while (a.length && ts >= a[0]) a.shift();
    if (b.count) this.flush(b);
    b.lost = true;
  }

  /**
   * Start an FtraceEvent on a CPU: timestamp, pid, and open the payload submessage `field` (end it with
   * done()). An event older than the bundle's last one starts a new bundle, so every bundle is sorted.
   */
  head(cpu: number, ts: number, pid: number, field: number): BinaryWriter {
    const b = this.bundle(cpu);
    this.noteLoss(b, ts);
    if (ts < b.lastEvTs) this.flush(b);
    b.lastEvTs = ts;
    const w = b.w;
    w.tag(F.bundle.event, L).fork().tag(F.ev.timestamp, V);
    writeU64(w, ts).tag(F.ev.pid, V).uint32(pid < 0 ? 0 : pid).tag(field, L).fork();
    return w;
  }

  done(cpu: number): void {
    const b = this.bundle(cpu);
    b.w.join().join();
    this.counted();
    if (++b.count >= BUNDLE_EVENTS) this.flush(b);
  }

  /** the next tid of the last switch written on the CPU (a compact switch needs prev = this) */
  lastNext(cpu: number): number | undefined {
    return this.bundle(cpu).lastNext;
  }

  /** a plain sched_switch was written: remember its next task for CompactSched */
  switched(cpu: number, next: number): void {
    this.bundle(cpu).lastNext = next;
  }

  /** a sched_switch in the CPU's CompactSched arrays (its prev is the previous switch's next) */
  compactSwitch(cpu: number, ts: number, prevState: number, next: number, prio: number, comm: string): void {
    const b = this.bundle(cpu);
    this.noteLoss(b, ts);
    if (ts < b.lastSwTs) this.flush(b);
    b.lastSwTs = ts;
    b.swTs.push(ts); b.swState.push(prevState); b.swNext.push(next); b.swPrio.push(prio); b.swComm.push(this.internComm(b, comm));
    b.lastNext = next;
    this.counted();
    if (++b.count >= BUNDLE_EVENTS) this.flush(b);
  }

  /** a sched_waking in the CPU's CompactSched arrays */
  compactWaking(cpu: number, ts: number, tid: number, targetCpu: number, prio: number, comm: string): void {
    const b = this.bundle(cpu);
    this.noteLoss(b, ts);
    if (ts < b.lastWkTs) this.flush(b);
    b.lastWkTs = ts;
    b.wkTs.push(ts); b.wkPid.push(tid); b.wkCpu.push(targetCpu); b.wkPrio.push(prio); b.wkComm.push(this.internComm(b, comm));
    this.counted();
    if (++b.count >= BUNDLE_EVENTS) this.flush(b);
  }

  private internComm(b: CpuBundle, s: string): number {
    let k = b.intern.get(s);
    if (k === undefined) b.intern.set(s, (k = b.intern.size));
    return k;
  }

  private packed(field: number, a: number[], delta: boolean): void {
    if (!a.length) return;
    const tw = this.tw;
    tw.tag(field, L).fork();
    let prev = 0;
    for (let k = 0; k < a.length; k++) {
      const v = delta ? a[k] - prev : a[k];
      prev = a[k];
      if (delta) writeU64(tw, v);
      else tw.int32(v);
    }
    tw.join();
  }

  private writeCompact(b: CpuBundle): void {
    const tw = this.tw;
    tw.tag(F.bundle.compact_sched, L).fork();
    for (const s of b.intern.keys()) tw.tag(F.compact.intern_table, L).string(s);
    this.packed(F.compact.switch_timestamp, b.swTs, true);
    this.packed(F.compact.switch_prev_state, b.swState, false);
    this.packed(F.compact.switch_next_pid, b.swNext, false);
    this.packed(F.compact.switch_next_prio, b.swPrio, false);
    this.packed(F.compact.switch_next_comm_index, b.swComm, false);
    this.packed(F.compact.waking_timestamp, b.wkTs, true);
    this.packed(F.compact.waking_pid, b.wkPid, false);
    this.packed(F.compact.waking_target_cpu, b.wkCpu, false);
    this.packed(F.compact.waking_prio, b.wkPrio, false);
    this.packed(F.compact.waking_comm_index, b.wkComm, false);
    tw.join();
  }

  private flush(b: CpuBundle): void {
    if (b.count === 0) return;
    const tw = this.tw;
    tw.tag(F.trace.packet, L).fork();
    tw.tag(F.packet.trusted_packet_sequence_id, V).uint32(SEQ_FTRACE);
    tw.tag(F.packet.ftrace_events, L).fork();
    tw.tag(F.bundle.cpu, V).uint32(b.cpu);
    tw.raw(b.w.finish());
    if (b.lost) tw.tag(F.bundle.lost_events, V).bool(true);
    if (b.swTs.length || b.wkTs.length) this.writeCompact(b);
    tw.join();
    tw.join();
    this.out(tw.finish());
    b.lastEvTs = b.lastSwTs = b.lastWkTs = -Infinity;
    b.swTs = []; b.swState = []; b.swNext = []; b.swPrio = []; b.swComm = [];
    b.wkTs = []; b.wkPid = []; b.wkCpu = []; b.wkPrio = []; b.wkComm = [];
    b.intern = new Map(); b.count = 0; b.lost = false;
  }

  /** flush every CPU's bundle, by CPU */
  close(): void {
    for (const b of [...this.cpus.values()].sort((x, y) => x.cpu - y.cpu)) this.flush(b);
  }

}
