/**
 * Perfetto ftrace output: per-CPU FtraceEventBundles of at most BUNDLE_EVENTS events, each sorted by time,
 * with sched_switch/sched_waking as CompactSched arrays. Events are written in place into their CPU's
 * bundle buffer (export/wire.ts); a bundle is framed when it is flushed, as a header, the events' bytes and
 * a tail, so no event is copied more than once before the file. Field numbers are read from the generated
 * descriptors (the .proto stays the single source of field numbers).
 */
import type { DescMessage } from '@bufbuild/protobuf';
import { type BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import * as pb from '../formats/perfetto/gen/ktape_perfetto_pb.js';
import { putVarint64, varintSize, Wire } from './wire.js';

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

// BinaryWriter versions of the varint paths, for one-off messages built with BinaryWriter; they share
// putVarint64 with Wire, which test/unit/export-varint.test.ts holds to BinaryWriter.uint64/int64's bytes.
const scratch = new Uint8Array(10);
/** varint of the 64-bit value hi:lo (two's complement for negatives) */
export function writeVarint64(w: BinaryWriter, lo: number, hi: number): BinaryWriter {
  return w.raw(scratch.slice(0, putVarint64(scratch, 0, lo, hi)));
}
/** varint of a non-negative safe integer */
export function writeU64(w: BinaryWriter, v: number): BinaryWriter {
  if (v < 0x80000000) return w.uint32(v);
  return writeVarint64(w, v >>> 0, Math.floor(v / 4294967296));
}

/** one CPU's open bundle: its FtraceEvents (framed as FtraceEventBundle.event fields) and CompactSched columns */
class CpuBundle {
  readonly w = new Wire();
  lastEvTs = -Infinity;
  lastSwTs = -Infinity;
  lastWkTs = -Infinity;
  sw = 0;
  readonly swTs = new Float64Array(BUNDLE_EVENTS);
  readonly swState = new Int32Array(BUNDLE_EVENTS);
  readonly swNext = new Int32Array(BUNDLE_EVENTS);
  readonly swPrio = new Int32Array(BUNDLE_EVENTS);
  readonly swComm = new Int32Array(BUNDLE_EVENTS);
  wk = 0;
  readonly wkTs = new Float64Array(BUNDLE_EVENTS);
  readonly wkPid = new Int32Array(BUNDLE_EVENTS);
  readonly wkCpu = new Int32Array(BUNDLE_EVENTS);
  readonly wkPrio = new Int32Array(BUNDLE_EVENTS);
  readonly wkComm = new Int32Array(BUNDLE_EVENTS);
  readonly intern = new Map<string, number>();
  count = 0;
  lost = false;
  /** next tid of the last sched_switch written on this CPU (CompactSched's implied prev) */
  lastNext: number | undefined = undefined;
  /** the next loss window of this CPU not yet passed (index into losses, which ascend) */
  nextLoss = 0;
  constructor(
    readonly cpu: number,
    readonly losses: number[],
  ) {}
}

/** Where flushed bundles go: each is one TracePacket, handed over in parts (valid only during the call). */
export type PacketSink = (parts: Uint8Array[]) => void;

/** One pass of ftrace events: per-CPU bundles; `close()` flushes what is left. */
export class FtraceWriter {
  private readonly cpus = new Map<number, CpuBundle>();
  private cur: CpuBundle | null = null;
  private readonly head_ = new Wire(64);
  private readonly tail = new Wire();

  constructor(
    private readonly out: PacketSink,
    private readonly lossStarts: Map<number, number[]>,
    /** called with the number of events (FtraceEvents and CompactSched entries) of each flushed bundle */
    private readonly counted: (n: number) => void = () => {},
    /** called the first time a CPU is written to */
    private readonly newCpu: (cpu: number) => void = () => {},
  ) {}

  private bundle(cpu: number): CpuBundle {
    const c = this.cur;
    if (c !== null && c.cpu === cpu) return c;
    let b = this.cpus.get(cpu);
    if (!b) {
      this.cpus.set(
        cpu,
        (b = new CpuBundle(
          cpu,
          [...(this.lossStarts.get(cpu) ?? [])].sort((x, y) => x - y),
        )),
      );
      this.newCpu(cpu);
    }
    return (this.cur = b);
  }

  /** Ready a bundle for an event at ts: one that crosses a loss window's start is flushed first (the next says lost_events). */
  private at(b: CpuBundle, ts: number): void {
    if (b.nextLoss < b.losses.length && ts >= b.losses[b.nextLoss]) {
      while (b.nextLoss < b.losses.length && ts >= b.losses[b.nextLoss]) b.nextLoss++;
      if (b.count) this.flush(b);
      b.lost = true;
    }
  }

  /**
   * Start an FtraceEvent on a CPU: timestamp, pid, and open the payload submessage `field` (end it with
   * done()). An event older than the bundle's last one starts a new bundle, so every bundle is sorted.
   */
  head(cpu: number, ts: number, pid: number, field: number): Wire {
    const b = this.bundle(cpu);
    this.at(b, ts);
    if (ts < b.lastEvTs) this.flush(b);
    b.lastEvTs = ts;
    return b.w.tag(F.bundle.event, L).fork().tag(F.ev.timestamp, V).int64(ts).tag(F.ev.pid, V).uint32(Math.max(pid, 0)).tag(field, L).fork();
  }

  done(cpu: number): void {
    const b = this.bundle(cpu);
    b.w.join().join();
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
    this.at(b, ts);
    if (ts < b.lastSwTs) this.flush(b);
    b.lastSwTs = ts;
    const k = b.sw++;
    b.swTs[k] = ts;
    b.swState[k] = prevState;
    b.swNext[k] = next;
    b.swPrio[k] = prio;
    b.swComm[k] = this.internComm(b, comm);
    b.lastNext = next;
    if (++b.count >= BUNDLE_EVENTS) this.flush(b);
  }

  /** a sched_waking in the CPU's CompactSched arrays */
  compactWaking(cpu: number, ts: number, tid: number, targetCpu: number, prio: number, comm: string): void {
    const b = this.bundle(cpu);
    this.at(b, ts);
    if (ts < b.lastWkTs) this.flush(b);
    b.lastWkTs = ts;
    const k = b.wk++;
    b.wkTs[k] = ts;
    b.wkPid[k] = tid;
    b.wkCpu[k] = targetCpu;
    b.wkPrio[k] = prio;
    b.wkComm[k] = this.internComm(b, comm);
    if (++b.count >= BUNDLE_EVENTS) this.flush(b);
  }

  private internComm(b: CpuBundle, s: string): number {
    let k = b.intern.get(s);
    if (k === undefined) b.intern.set(s, (k = b.intern.size));
    return k;
  }

  /** a packed repeated field: int32 values, or timestamps as deltas from the previous one (the first from 0) */
  private packed(field: number, a: Int32Array | Float64Array, n: number, delta: boolean): void {
    if (n === 0) return;
    const tw = this.tail.tag(field, L).fork();
    if (delta) {
      let prev = 0;
      for (let k = 0; k < n; k++) {
        tw.int64(a[k] - prev);
        prev = a[k];
      }
    } else for (let k = 0; k < n; k++) tw.int32(a[k]);
    tw.join();
  }

  private writeCompact(b: CpuBundle): void {
    const tw = this.tail.tag(F.bundle.compact_sched, L).fork();
    for (const s of b.intern.keys()) tw.tag(F.compact.intern_table, L).string(s);
    this.packed(F.compact.switch_timestamp, b.swTs, b.sw, true);
    this.packed(F.compact.switch_prev_state, b.swState, b.sw, false);
    this.packed(F.compact.switch_next_pid, b.swNext, b.sw, false);
    this.packed(F.compact.switch_next_prio, b.swPrio, b.sw, false);
    this.packed(F.compact.switch_next_comm_index, b.swComm, b.sw, false);
    this.packed(F.compact.waking_timestamp, b.wkTs, b.wk, true);
    this.packed(F.compact.waking_pid, b.wkPid, b.wk, false);
    this.packed(F.compact.waking_target_cpu, b.wkCpu, b.wk, false);
    this.packed(F.compact.waking_prio, b.wkPrio, b.wk, false);
    this.packed(F.compact.waking_comm_index, b.wkComm, b.wk, false);
    tw.join();
  }

  /** The bundle as one TracePacket: header (packet, sequence, bundle and cpu fields), its events, then lost_events and CompactSched. */
  private flush(b: CpuBundle): void {
    if (b.count === 0) return;
    if (b.lost) this.tail.tag(F.bundle.lost_events, V).bool(true);
    if (b.sw || b.wk) this.writeCompact(b);
    const cpuField = varintSize((F.bundle.cpu << 3) | V) + varintSize(b.cpu);
    const bundleLen = cpuField + b.w.pos + this.tail.pos;
    const seqField = varintSize((F.packet.trusted_packet_sequence_id << 3) | V) + varintSize(SEQ_FTRACE);
    const packetLen = seqField + varintSize((F.packet.ftrace_events << 3) | L) + varintSize(bundleLen) + bundleLen;
    const h = this.head_;
    h.tag(F.trace.packet, L).uint32(packetLen).tag(F.packet.trusted_packet_sequence_id, V).uint32(SEQ_FTRACE);
    h.tag(F.packet.ftrace_events, L).uint32(bundleLen).tag(F.bundle.cpu, V).uint32(b.cpu);
    this.out([h.take(), b.w.take(), this.tail.take()]);
    this.counted(b.count);
    b.lastEvTs = b.lastSwTs = b.lastWkTs = -Infinity;
    b.sw = b.wk = 0;
    b.intern.clear();
    b.count = 0;
    b.lost = false;
  }

  /** flush every CPU's bundle, by CPU */
  close(): void {
    for (const b of [...this.cpus.values()].sort((x, y) => x.cpu - y.cpu)) this.flush(b);
  }
}
