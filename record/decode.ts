/**
 * Decoder: drained ring-buffer bytes → columns of the capture tables. The
 * core reads each record's header and hands the payload to the handler its
 * family registered for the kind (families/<family>/family.ts). Record
 * lengths are checked against the kind's wire struct before any handler
 * runs: a short record, or an unknown kind, is counted as malformed, never
 * half-decoded. Offsets come from formats/gen/events.gen.ts.
 */
import * as W from '../formats/gen/events.gen.js';
import { FAMILIES } from '../families/index.js';
import type { DecodeCtx, FamilyDecoder, InferredLoss, KindHandler } from '../families/family.js';
import type { TableWriter } from './writer.js';

const O = W.OFF;
const S = W.SIZEOF as Record<string, number>;

export interface DecodeStats {
  events: Float64Array; // per kind
  malformed: number;
}

export class Decoder {
  readonly stats: DecodeStats = { events: new Float64Array(W.KT_KIND_MAX), malformed: 0 };
  private readonly handlers: (KindHandler | undefined)[] = new Array(W.KT_KIND_MAX).fill(undefined);
  /** per kind: the length of its wire struct */
  private readonly minLen = new Uint32Array(W.KT_KIND_MAX);
  private readonly families: FamilyDecoder[] = [];
  private readonly x: Ctx;

  constructor(writers: Record<string, TableWriter>, pidMax: number) {
    this.x = new Ctx(writers, pidMax);
    for (const f of FAMILIES) {
      const d = f.decoder();
      this.families.push(d);
      for (const k of f.kinds) {
        this.handlers[k.id] = d.handlers[k.id];
        this.minLen[k.id] = S[k.struct];
      }
    }
  }

  /** losses the family decoders inferred since the last call */
  takeLosses(): InferredLoss[] {
    return this.families.flatMap((d) => d.takeLosses?.() ?? []);
  }

  /** Decode the records laid out by ktring_drain in buf[0..len). */
  decode(ab: ArrayBuffer, len: number): void {
    const x = this.x;
    x.setBuffer(ab, len);
    const { u16, u32, i32 } = x;
    const ev = this.stats.events;
    let off = 0;
    while (off + 8 <= len) {
      const rlen = u32[off >> 2];
      const p = off + 8; // payload start, 8-aligned
      off = p + ((rlen + 7) & ~7);
      if (rlen < S.kt_hdr || p + rlen > len) {
        this.stats.malformed++;
        continue;
      }
      const kind = u16[(p + O.kt_hdr.kind) >> 1];
      const h = kind < W.KT_KIND_MAX ? this.handlers[kind] : undefined;
      if (h === undefined || rlen < this.minLen[kind]) {
        this.stats.malformed++;
        continue;
      }
      const q = p >> 2;
      h(x, p, u32[q], u32[q + 1], u16[(p + O.kt_hdr.cpu) >> 1], i32[q + (O.kt_hdr.tid >> 2)], kind);
      ev[kind]++;
    }
  }
}

/** The DecodeCtx the handlers share: views of the current buffer and the tid → tgid map. */
class Ctx implements DecodeCtx {
  u8 = new Uint8Array(0);
  u16 = new Uint16Array(0);
  u32 = new Uint32Array(0);
  i32 = new Int32Array(0);
  private readonly tgidOf: Int32Array;
  private readonly td = new TextDecoder();
  constructor(
    readonly writers: Record<string, TableWriter>,
    pidMax: number,
  ) {
    this.tgidOf = new Int32Array(pidMax + 1).fill(-1);
  }

  setBuffer(ab: ArrayBuffer, len: number): void {
    if (this.u8.buffer === ab && this.u8.length === len) return;
    this.u8 = new Uint8Array(ab, 0, len);
    this.u16 = new Uint16Array(ab, 0, len >> 1);
    this.u32 = new Uint32Array(ab, 0, len >> 2);
    this.i32 = new Int32Array(ab, 0, len >> 2);
  }

  str(off: number, max: number): string {
    const u8 = this.u8;
    let end = off;
    const lim = Math.min(off + max, u8.length);
    while (end < lim && u8[end] !== 0) end++;
    return this.td.decode(u8.subarray(off, end));
  }

  noteTgid(tslo: number, tshi: number, tid: number, tgid: number): void {
    if (tid <= 0 || tid >= this.tgidOf.length || this.tgidOf[tid] === tgid) return;
    this.tgidOf[tid] = tgid;
    const w = this.writers.task_ids;
    if (!w) return;
    const b = w.builder;
    const i = b.length++;
    const ts = b.w32.ts;
    ts[2 * i] = tslo;
    ts[2 * i + 1] = tshi;
    (b.cols.tid as Int32Array)[i] = tid;
    (b.cols.tgid as Int32Array)[i] = tgid;
    if (b.full) w.flush();
  }

  forgetTgid(tid: number): void {
    if (tid > 0 && tid < this.tgidOf.length) this.tgidOf[tid] = -1;
  }
}
