/**
 * Losses while recording, into the capture's `losses` table and the summary:
 * ring buffer overflows (kt_losses map, per CPU and kind), switches the
 * kernel did not report (decoder gaps), and runs the kernel skipped because
 * the program was already running on that CPU (bpf_recursion).
 */
import * as W from '../formats/gen/events.gen.js';
import { KIND_NAMES } from '../formats/schema.js';
import type { BpfObject } from './bpf.js';
import type { Decoder } from './decode.js';
import type { TableWriter } from './writer.js';

/** losses.cpu for losses the kernel does not attribute to a CPU */
export const UNKNOWN_CPU = 0xffff;

export class LossTracker {
  /** per `${cpu}:${kind}`: the kernel's cumulative ring-full count and last time */
  readonly ringPrev = new Map<string, { count: bigint; last: bigint }>();
  readonly byKind: Record<string, number> = {};
  readonly byReason: Record<string, number> = {};
  total = 0;
  gaps = 0;
  /** records drained but not written (--max-size reached), per `${cpu}:${kind}` */
  private readonly dropped = new Map<string, { cpu: number; kind: number; count: number; first: bigint; last: bigint }>();
  private val = Buffer.alloc(0);
  private readonly key = Buffer.alloc(4);

  constructor(
    private readonly decoder: Decoder,
    private readonly out: TableWriter,
  ) {}

  private add(kind: string, reason: string, n: number): void {
    this.total += n;
    this.byKind[kind] = (this.byKind[kind] ?? 0) + n;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + n;
  }

  /** losses the family decoders inferred: switches the kernel did not report (kernel_gap) */
  private pollInferred(): void {
    for (const l of this.decoder.takeLosses()) {
      this.out.push(l as Parameters<TableWriter['push']>[0]);
      if (l.reason === 'kernel_gap') this.gaps++;
    }
  }

  /** New kernel gaps and ring-buffer losses since the last poll. */
  poll(bpf: BpfObject): void {
    this.pollInferred();
    const { L, ncpu, fds } = bpf;
    if (this.val.length !== W.SIZEOF.kt_loss * ncpu) this.val = Buffer.alloc(W.SIZEOF.kt_loss * ncpu);
    for (let kind = 1; kind < W.KT_KIND_MAX; kind++) {
      this.key.writeUInt32LE(kind);
      if (L.bpf_map_lookup_elem(fds.losses, this.key, this.val) !== 0) continue;
      for (let c = 0; c < ncpu; c++) {
        const base = c * W.SIZEOF.kt_loss;
        const count = this.val.readBigUInt64LE(base + W.OFF.kt_loss.count);
        if (count === 0n) continue;
        const first = this.val.readBigUInt64LE(base + W.OFF.kt_loss.first_ts);
        const last = this.val.readBigUInt64LE(base + W.OFF.kt_loss.last_ts);
        const k = `${c}:${kind}`;
        const prev = this.ringPrev.get(k) ?? { count: 0n, last: 0n };
        if (count <= prev.count) continue;
        const delta = count - prev.count;
        this.out.push({ cpu: c, kind: KIND_NAMES[kind], count: delta, ts_start: prev.last ? prev.last : first, ts_end: last, reason: 'ringbuf_full' });
        this.add(KIND_NAMES[kind], 'ringbuf_full', Number(delta));
        this.ringPrev.set(k, { count, last });
      }
    }
  }

  /** Runs of `kind`'s program the kernel skipped (recursion) and nothing recorded instead. */
  recursion(kind: number, lost: bigint, tsStart: bigint, tsEnd: bigint): void {
    if (lost <= 0n) return;
    // the kernel counts these per program, not per CPU
    this.out.push({ cpu: UNKNOWN_CPU, kind: KIND_NAMES[kind], count: lost, ts_start: tsStart, ts_end: tsEnd, reason: 'bpf_recursion' });
    this.add(KIND_NAMES[kind], 'bpf_recursion', Number(lost));
  }

  /**
   * Count the records of a drained buffer (laid out by ktring_drain) that
   * will not be written, per CPU and kind, with their time window.
   */
  drop(ab: ArrayBuffer, len: number): void {
    const dv = new DataView(ab, 0, len);
    for (let off = 0; off + 8 <= len; ) {
      const rlen = dv.getUint32(off, true);
      const p = off + 8;
      off = p + ((rlen + 7) & ~7);
      if (rlen < W.SIZEOF.kt_hdr || p + rlen > len) continue;
      const kind = dv.getUint16(p + W.OFF.kt_hdr.kind, true);
      const cpu = dv.getUint16(p + W.OFF.kt_hdr.cpu, true);
      const ts = dv.getBigUint64(p + W.OFF.kt_hdr.ts, true);
      if (!KIND_NAMES[kind]) continue;
      const k = `${cpu}:${kind}`;
      const d = this.dropped.get(k);
      if (!d) this.dropped.set(k, { cpu, kind, count: 1, first: ts, last: ts });
      else {
        d.count++;
        if (ts < d.first) d.first = ts;
        if (ts > d.last) d.last = ts;
      }
    }
  }

  /** The dropped records as losses with `reason`. */
  flushDropped(reason: string): void {
    for (const d of this.dropped.values()) {
      this.out.push({ cpu: d.cpu, kind: KIND_NAMES[d.kind], count: d.count, ts_start: d.first, ts_end: d.last, reason });
      this.add(KIND_NAMES[d.kind], reason, d.count);
    }
    this.dropped.clear();
  }
}
