/**
 * Decoder: drained ring-buffer bytes → columns of the capture tables.
 *
 * Most kinds are decoded in C (record/ktring.c kt_decode), batch by batch:
 * each family describes how its columns come from its wire struct (a
 * PlanSpec, record/copy-decoder.ts), which is compiled once into a plan of
 * copies, with offsets and widths from formats/gen/events.gen.ts (generated
 * from the C headers). The C loop scatters the fields straight into the
 * column buffers of the table writers and notes tgids in task_ids; it
 * returns when the buffer ends, a table is full (it is written, and the loop
 * goes on) or a record is left to TypeScript: kinds with logic the plans
 * cannot express keep a handler here, record by record (a bounded string
 * is a text column of a plan: record/writer.ts TextColumn). A family's after() pass then sees the new
 * rows in record order (sched: the kernel-gap bookkeeping).
 *
 * Record lengths are checked against the kind's wire struct before anything
 * is decoded: a short record, or an unknown kind, is counted as malformed,
 * never half-decoded.
 */
import * as W from '../formats/gen/events.gen.js';
import { FAMILIES } from '../families/index.js';
import type { DecodeCtx, DecodedRows, FamilyDecoder, InferredLoss, KindHandler } from '../families/family.js';
import { planEntry, type PlanSlots, type PlanSpec } from './copy-decoder.js';
import { getShim } from './ring.js';
import type { BatchBuilder, TableWriter } from './writer.js';

const O = W.OFF;
const S = W.SIZEOF as Record<string, number>;
const PLAN_UNKNOWN = -1,
  PLAN_JS = -2;
const STOP_DONE = 0,
  STOP_FULL = 1;

export interface DecodeStats {
  events: Float64Array; // per kind
  malformed: number;
}

type After = (x: DecodeCtx, rows: DecodedRows) => void;

export class Decoder {
  /** events per kind: counted by the C loop too, so its memory stays in place (an ArrayBuffer's) */
  readonly stats: DecodeStats = { events: new Float64Array(new ArrayBuffer(8 * W.KT_KIND_MAX)), malformed: 0 };
  private readonly handlers: (KindHandler | undefined)[] = new Array(W.KT_KIND_MAX).fill(undefined);
  /** per kind: the length of its wire struct */
  private readonly minLen = new Int32Array(W.KT_KIND_MAX);
  private readonly families: FamilyDecoder[] = [];
  private readonly x: Ctx;
  private readonly c: NativeColumns;

  constructor(writers: Record<string, TableWriter>, pidMax: number) {
    this.x = new Ctx(writers, pidMax);
    const plans: (PlanSpec | undefined)[] = new Array(W.KT_KIND_MAX).fill(undefined);
    const after: Record<string, After> = {};
    for (const f of FAMILIES) {
      const d = f.decoder();
      this.families.push(d);
      Object.assign(after, d.after);
      for (const k of f.kinds) {
        this.handlers[k.id] = d.handlers[k.id];
        plans[k.id] = d.plans?.[k.id];
        this.minLen[k.id] = S[k.struct];
      }
    }
    this.c = new NativeColumns(this.x, plans, this.handlers, this.minLen, after, this.stats.events);
  }

  /** losses the family decoders inferred since the last call */
  takeLosses(): InferredLoss[] {
    return this.families.flatMap((d) => d.takeLosses?.() ?? []);
  }

  /** Decode the records laid out by ktring_drain in buf[0..len). */
  decode(ab: ArrayBuffer, len: number): void {
    const x = this.x;
    x.setBuffer(ab, len);
    let off = 0;
    for (;;) {
      off = this.c.run(x.u8, off, len);
      this.stats.malformed += this.c.takeMalformed();
      const stop = this.c.stop;
      if (stop[0] === STOP_DONE) return;
      if (stop[0] === STOP_FULL) this.c.writer(stop[1]).flush();
      else off = this.decodeOne(off, len);
    }
  }

  /** One record left to a TypeScript handler (checked again: this path is not the hot one); returns the next offset. */
  private decodeOne(off: number, len: number): number {
    const { u16, u32, i32 } = this.x;
    const rlen = u32[off >> 2];
    const p = off + 8; // payload start, 8-aligned
    const next = p + ((rlen + 7) & ~7);
    const kind = rlen >= S.kt_hdr && p + rlen <= len ? u16[(p + O.kt_hdr.kind) >> 1] : W.KT_KIND_MAX;
    const h = kind < W.KT_KIND_MAX ? this.handlers[kind] : undefined;
    if (h === undefined || rlen < this.minLen[kind]) {
      this.stats.malformed++;
      return next;
    }
    const q = p >> 2;
    h(this.x, p, u32[q], u32[q + 1], u16[(p + O.kt_hdr.cpu) >> 1], i32[q + (O.kt_hdr.tid >> 2)], kind);
    this.stats.events[kind]++;
    return next;
  }
}

/** An ArrayBuffer-backed typed array: its memory never moves, so C may keep its address. */
function pinned<T>(C: new (b: ArrayBuffer) => T, bytes: number): T {
  return new C(new ArrayBuffer(Math.max(8, bytes)));
}

/**
 * The C side of the decoder: the compiled plan, the column buffers it
 * writes (registered once: the builders reuse their buffers), row counts
 * shared with the builders around each call, and the after() passes.
 */
class NativeColumns implements PlanSlots {
  readonly stop = pinned(Int32Array, 8);
  private readonly d: unknown;
  private readonly shim = getShim();
  private readonly names: string[];
  private readonly builders: BatchBuilder[];
  private readonly rows: Uint32Array;
  private readonly cap: Uint32Array;
  private readonly malformed = pinned(Float64Array, 8);
  private readonly slots: ArrayBufferView[] = [];
  private readonly sides = new Map<string, Record<string, Uint32Array>>();
  /** text columns: [table, offsets slot, bytes per row at most, bytes of the buffer] */
  private readonly rooms: [number, number, number, number][] = [];
  /** per table with an after() pass: the batch and row it has seen up to */
  private readonly seen: { t: number; fn: After; batch: number; row: number }[] = [];

  constructor(
    private readonly x: Ctx,
    plans: (PlanSpec | undefined)[],
    handlers: (KindHandler | undefined)[],
    minLen: Int32Array,
    after: Record<string, After>,
    events: Float64Array,
  ) {
    this.names = Object.keys(x.writers);
    this.builders = this.names.map((n) => x.writers[n].builder);
    this.rows = pinned(Uint32Array, 4 * this.names.length);
    this.cap = pinned(Uint32Array, 4 * this.names.length);
    for (let t = 0; t < this.builders.length; t++) this.cap[t] = this.builders[t].capacity;
    const plan: number[] = [...plans.map((p, k) => (p ? 0 : handlers[k] ? PLAN_JS : PLAN_UNKNOWN)), ...minLen];
    plans.forEach((p, k) => {
      if (!p) return;
      plan[k] = plan.length;
      plan.push(...planEntry(p, this));
    });
    const ids = this.names.includes('task_ids')
      ? [this.table('task_ids'), this.column('task_ids', 'ts'), this.column('task_ids', 'tid'), this.column('task_ids', 'tgid')]
      : [-1, 0, 0, 0];
    const s = this.shim;
    this.d = s.decNew(Int32Array.from(plan), plan.length, W.KT_KIND_MAX, this.slots.length);
    if (!this.d) throw new Error('kt_dec_new: out of memory');
    for (let i = 0; i < this.slots.length; i++) s.decSlot(this.d, i, this.slots[i]);
    for (const r of this.rooms) if (s.decRoom(this.d, ...r) !== 0) throw new Error('kt_dec_room: out of memory');
    s.decState(this.d, this.rows, this.cap, events, this.malformed, x.tgidOf, x.tgidOf.length, Int32Array.from(ids));
    for (const [table, fn] of Object.entries(after)) if (this.names.includes(table)) this.seen.push({ t: this.table(table), fn, batch: 0, row: 0 });
  }

  table(name: string): number {
    const t = this.names.indexOf(name);
    if (t < 0) throw new Error(`decoder plan: no writer for table ${name}`);
    return t;
  }
  column(table: string, column: string): number {
    const col = this.builders[this.table(table)].cols[column];
    if (!col || Array.isArray(col)) throw new Error(`decoder plan: ${table}.${column} is not a fixed-width column`);
    return this.slot(col);
  }
  side(table: string, field: string): number {
    const cols = this.sides.get(table) ?? {};
    this.sides.set(table, cols);
    cols[field] ??= pinned(Uint32Array, 8 * this.builders[this.table(table)].capacity);
    return this.slot(cols[field]);
  }
  text(table: string, column: string, need: number): [number, number] {
    const t = this.builders[this.table(table)].textColumn(column, need);
    const at = [this.slot(t.offsets), this.slot(t.bytes)] as [number, number];
    this.rooms.push([this.table(table), at[0], need, t.bytes.length]);
    return at;
  }
  private slot(v: ArrayBufferView): number {
    const i = this.slots.indexOf(v);
    return i >= 0 ? i : this.slots.push(v) - 1;
  }

  writer(t: number): TableWriter {
    return this.x.writers[this.names[t]];
  }

  /** Decode from `off` until the C loop stops (this.stop says why); returns where it stopped. */
  run(u8: Uint8Array, off: number, len: number): number {
    const b = this.builders,
      rows = this.rows;
    for (let t = 0; t < b.length; t++) rows[t] = b[t].length;
    const next = Number(this.shim.decode(this.d, u8, off, len, this.stop));
    for (let t = 0; t < b.length; t++) b[t].length = rows[t];
    for (const s of this.seen) this.afterRows(s);
    // the TypeScript handlers expect room for a row: write the tables the C loop filled
    for (let t = 0; t < b.length; t++) if (b[t].full) this.writer(t).flush();
    return next;
  }

  private afterRows(s: (typeof this.seen)[number]): void {
    const b = this.builders[s.t];
    const from = s.batch === b.batches ? s.row : 0;
    if (b.length > from) s.fn(this.x, { builder: b, side: this.sides.get(this.names[s.t]) ?? {}, from, to: b.length });
    s.batch = b.batches;
    s.row = b.length;
  }

  takeMalformed(): number {
    const m = this.malformed[0];
    this.malformed[0] = 0;
    return m;
  }
}

/** The DecodeCtx the handlers share: views of the current buffer and the tid → tgid map. */
class Ctx implements DecodeCtx {
  u8 = new Uint8Array(0);
  u16 = new Uint16Array(0);
  u32 = new Uint32Array(0);
  i32 = new Int32Array(0);
  /** tid → tgid + 1 (0: unknown), shared with the C loop, which notes tgids too; zero-filled, so only the pages of tids seen are touched */
  readonly tgidOf: Int32Array;
  constructor(
    readonly writers: Record<string, TableWriter>,
    pidMax: number,
  ) {
    this.tgidOf = pinned(Int32Array, 4 * (pidMax + 1));
  }

  setBuffer(ab: ArrayBuffer, len: number): void {
    if (this.u8.buffer === ab && this.u8.length === len) return;
    this.u8 = new Uint8Array(ab, 0, len);
    this.u16 = new Uint16Array(ab, 0, len >> 1);
    this.u32 = new Uint32Array(ab, 0, len >> 2);
    this.i32 = new Int32Array(ab, 0, len >> 2);
  }

  noteTgid(tslo: number, tshi: number, tid: number, tgid: number): void {
    if (tid <= 0 || tid >= this.tgidOf.length || this.tgidOf[tid] === tgid + 1) return;
    this.tgidOf[tid] = tgid + 1;
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
    if (tid > 0 && tid < this.tgidOf.length) this.tgidOf[tid] = 0;
  }
}
