/**
 * Arrow IPC stream writing: one stream file per table per segment, written
 * batch by batch (so a killed recorder leaves every complete batch readable),
 * files created new (O_EXCL, no symlinks) and 0600. Every file exists, with
 * its schema, from the moment its writer is made. A failed write (disk full)
 * is recorded in the CaptureSink and nothing more is written: the batches
 * before it stay readable, a partly written one is a torn last batch. Columns are filled in place in typed arrays by the
 * decoder and handed to Arrow without copying.
 */
import { closeSync, fsyncSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { AsyncByteQueue, type CompressionType, type Data, RecordBatch, RecordBatchStreamWriter, Struct, makeData, Utf8, type Schema } from 'apache-arrow';
import { arrowSchema, segmentFile, TABLE_BY_NAME, type ColumnDef } from '../formats/schema.js';
import { KtapeError } from '../formats/errors.js';
import { type CodecName, compressionType } from '../formats/codec.js';
import { addColumn, type BatchBuffers, buffersOf, encodeBatch } from '../formats/ipc-write.js';
import { createFile, writeAll, writevAll } from './outdir.js';

type Typed = BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | Float64Array;
export type Column = Typed | (string | null)[];

/** A column of n rows; numeric ones over their own ArrayBuffer, whose memory stays in place (the C decoder keeps its address). */
function allocColumn(def: ColumnDef, n: number): Column {
  const b = (width: number) => new ArrayBuffer(Math.max(8, width * n));
  switch (def.type) {
    case 'i64':
      return new BigInt64Array(b(8), 0, n);
    case 'u64':
      return new BigUint64Array(b(8), 0, n);
    case 'i32':
      return new Int32Array(b(4), 0, n);
    case 'u32':
      return new Uint32Array(b(4), 0, n);
    case 'i16':
      return new Int16Array(b(2), 0, n);
    case 'u16':
      return new Uint16Array(b(2), 0, n);
    case 'i8':
      return new Int8Array(b(1), 0, n);
    case 'u8':
      return new Uint8Array(b(1), 0, n);
    case 'f64':
      return new Float64Array(b(8), 0, n);
    case 'utf8':
      // grown as rows are set (rows are set in order): new Array(n) filled n holes up front, ~0.45 ms per
      // 65536-row column at start, for columns a text column (the C decoder's) leaves unused
      return [];
  }
}

/** One column of a batch: its null count, validity (when it has nulls), offsets (utf8) and data. */
interface ColumnParts {
  nulls: number;
  validity?: Uint8Array;
  offsets?: Int32Array;
  data: Typed;
}

/** The first `n` strings of `col` as Arrow Utf8 buffers (one data buffer, offsets, validity). */
function utf8Parts(col: (string | null)[], n: number): ColumnParts {
  const offsets = new Int32Array(n + 1);
  let bytes = 0,
    nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = col[i];
    if (v == null) nulls++;
    else bytes += Buffer.byteLength(v);
    offsets[i + 1] = bytes;
  }
  const data = Buffer.allocUnsafe(bytes);
  let validity: Uint8Array | undefined;
  if (nulls) validity = new Uint8Array(Math.ceil(n / 8));
  for (let i = 0; i < n; i++) {
    const v = col[i];
    if (v == null) continue;
    if (validity) validity[i >> 3] |= 1 << (i & 7);
    if (v.length) data.write(v, offsets[i]);
  }
  return { nulls, validity, offsets, data: new Uint8Array(data.buffer, data.byteOffset, bytes) };
}

/** A utf8 column filled in place (the C decoder's text op): Arrow's offsets (capacity + 1) and bytes. */
export interface TextColumn {
  offsets: Int32Array;
  bytes: Uint8Array;
  /** bytes one row may take */
  need: number;
}

/** Bytes per row a text column's buffer is sized for (a longer average writes smaller batches). */
const TEXT_ROW_BYTES = 64;
const TEXT_DECODER = new TextDecoder();

/**
 * A fixed-capacity batch under construction; columns are indexed by name.
 * Its column buffers are allocated once and reused batch after batch: a
 * batch from take() shares them, so it is written out before the next row
 * is added (TableWriter.flush does both at once; the stream writer copies
 * the bytes to the file synchronously).
 */
export class BatchBuilder {
  readonly schema: Schema;
  readonly defs: ColumnDef[];
  readonly cols: Record<string, Column> = {};
  /** Uint32 views of the 64-bit columns, for copying without BigInt */
  readonly w32: Record<string, Uint32Array> = {};
  /** utf8 columns made text columns (textColumn(), for the C decoder; push() does not fill them): cols[name] is then unused */
  readonly texts: Record<string, TextColumn> = {};
  /** validity bitmaps (bit set = value present) of nullable numeric columns, filled by push() */
  private readonly valid: Record<string, Uint8Array> = {};
  private readonly nulls: Record<string, number> = {};
  length = 0;
  /** batches taken so far */
  batches = 0;
  constructor(
    readonly table: string,
    readonly capacity: number,
  ) {
    const def = TABLE_BY_NAME.get(table);
    if (!def) throw new Error(`unknown table ${table}`);
    this.defs = def.columns;
    this.schema = arrowSchema(table);
    for (const d of this.defs) {
      const col = allocColumn(d, this.capacity);
      this.cols[d.name] = col;
      if (col instanceof BigInt64Array || col instanceof BigUint64Array) this.w32[d.name] = new Uint32Array(col.buffer, 0, 2 * this.capacity);
      if (d.nullable && d.type !== 'utf8') {
        this.valid[d.name] = new Uint8Array(Math.ceil(this.capacity / 8)).fill(0xff);
        this.nulls[d.name] = 0;
      }
    }
  }
  /** Start an empty batch in the same buffers. */
  private reset(): void {
    for (const name in this.valid) {
      if (this.nulls[name]) this.valid[name].fill(0xff);
      this.nulls[name] = 0;
    }
    this.length = 0;
  }
  get full(): boolean {
    return this.length >= this.capacity || (this.hasTexts && this.textFull());
  }
  private hasTexts = false;
  private textFull(): boolean {
    for (const name in this.texts) {
      const t = this.texts[name];
      if (t.offsets[this.length] + t.need > t.bytes.length) return true;
    }
    return false;
  }
  /** The string of utf8 column `name` at row i (a text column's, or push()'s), null when absent. */
  textAt(name: string, i: number): string | null {
    const t = this.texts[name];
    if (t) return TEXT_DECODER.decode(t.bytes.subarray(t.offsets[i], t.offsets[i + 1]));
    const col = this.cols[name];
    return Array.isArray(col) ? (col[i] ?? null) : null;
  }
  /** Make utf8 column `name` a text column (its buffers stay in place: the C decoder keeps their addresses). */
  textColumn(name: string, need: number): TextColumn {
    const d = this.defs.find((c) => c.name === name);
    if (d?.type !== 'utf8' || d.nullable) throw new Error(`${this.table}.${name}: a text column is a utf8 column without nulls`);
    this.hasTexts = true;
    this.texts[name] ??= {
      offsets: new Int32Array(new ArrayBuffer(4 * (this.capacity + 1))),
      bytes: new Uint8Array(new ArrayBuffer(this.capacity * TEXT_ROW_BYTES + need)),
      need,
    };
    return this.texts[name];
  }
  /** Append a row from an object (slow path, for metadata tables). */
  push(row: Record<string, number | bigint | string | null>): void {
    const i = this.length++;
    for (const d of this.defs) {
      const v = row[d.name];
      const col = this.cols[d.name];
      if (v == null && this.valid[d.name]) {
        this.valid[d.name][i >> 3] &= ~(1 << (i & 7));
        this.nulls[d.name]++;
      }
      if (Array.isArray(col)) col[i] = v == null ? null : String(v);
      else if (col instanceof BigInt64Array || col instanceof BigUint64Array) (col as BigInt64Array)[i] = BigInt(v ?? 0) as bigint;
      else (col as Int32Array)[i] = Number(v ?? 0);
    }
  }
  /** Column `idx` of the current `n` rows, over the builder's buffers (a validity bitmap is copied: reset() refills it). */
  private parts(idx: number, n: number): ColumnParts {
    const d = this.defs[idx];
    const text = this.texts[d.name];
    if (text) return { nulls: 0, offsets: text.offsets.subarray(0, n + 1), data: text.bytes.subarray(0, text.offsets[n]) };
    const col = this.cols[d.name];
    if (Array.isArray(col)) return utf8Parts(col, n);
    const nulls = this.nulls[d.name] ?? 0;
    return { nulls, validity: nulls ? this.valid[d.name].slice(0, Math.ceil(n / 8)) : undefined, data: (col as Typed).subarray(0, n) };
  }
  private taken(): void {
    this.batches++;
    this.reset();
  }
  /**
   * The current rows as a RecordBatch over the builder's buffers, and an
   * empty builder: write the batch before adding rows.
   */
  take(): RecordBatch {
    const n = this.length;
    const children: Data[] = this.defs.map((_, idx) => {
      const p = this.parts(idx, n);
      const type = this.schema.fields[idx].type;
      if (p.offsets)
        return makeData({ type: new Utf8(), length: n, nullCount: p.nulls, nullBitmap: p.validity, valueOffsets: p.offsets, data: p.data as Uint8Array });
      return makeData({ type, length: n, nullCount: p.nulls, nullBitmap: p.validity, data: p.data } as never);
    });
    const batch = new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children }));
    this.taken();
    return batch;
  }
  /** take() without apache-arrow's objects: the buffers the encoder writes (formats/ipc-write.ts), the same rules. */
  takeBuffers(): BatchBuffers {
    const n = this.length;
    const out: BatchBuffers = { rows: n, nodes: [], buffers: [] };
    for (let idx = 0; idx < this.defs.length; idx++) {
      const p = this.parts(idx, n);
      addColumn(out, n, p.nulls, p.validity, p.offsets, p.data, p.data.byteLength);
    }
    this.taken();
    return out;
  }
}

/**
 * The stream writer's byte sink: every piece the writer emits goes straight
 * to the file, synchronously. apache-arrow's writer takes any AsyncByteQueue
 * as its sink (public class; write() is its public method), so overriding
 * write() is how bytes leave without the writer's internal queue.
 */
class FileBytes extends AsyncByteQueue {
  constructor(private readonly onBytes: (b: Uint8Array) => void) {
    super();
  }
  override write(value: Uint8Array | ArrayBufferView | ArrayBuffer): void {
    this.onBytes(
      value instanceof Uint8Array
        ? value
        : ArrayBuffer.isView(value)
          ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
          : new Uint8Array(value),
    );
  }
}

/**
 * One Arrow IPC stream file; its schema is on disk as soon as it is made. apache-arrow's stream writer writes the
 * schema message and, at close, the end-of-stream marker; each batch is encoded by formats/ipc-write.ts (its body
 * compressed buffer by buffer with the capture's codec, sink.codec) and written in one writev.
 */
export class StreamFile {
  private fd: number;
  private writer: RecordBatchStreamWriter;
  private readonly compression: CompressionType | null;
  bytes = 0;
  rows = 0;
  constructor(
    readonly path: string,
    schema: Schema,
    private readonly sink: CaptureSink,
  ) {
    this.compression = compressionType(sink.codec);
    this.writer = new RecordBatchStreamWriter();
    this.fd = createFile(path);
    try {
      this.writer.reset(new FileBytes((b) => this.put(b)), schema); // writes the schema message
    } catch (e) {
      // a file without its whole schema is no stream: leave none behind
      closeSync(this.fd);
      unlinkSync(path);
      this.sink.bytes -= this.bytes;
      throw e;
    }
  }
  private put(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    writeAll(this.fd, chunk);
    this.count(chunk.byteLength);
  }
  private count(bytes: number): void {
    this.bytes += bytes;
    this.sink.bytes += bytes;
  }
  /** Write one batch; throws the errno error if it could not be written whole. */
  write(batch: RecordBatch | BatchBuffers): void {
    const b = batch instanceof RecordBatch ? buffersOf(batch) : batch;
    const pieces = encodeBatch(b, this.compression);
    const bytes = pieces.reduce((n, p) => n + p.byteLength, 0);
    writevAll(this.fd, pieces); // views of the batch's buffers and the encoder's scratch, none reused before this
    this.count(bytes);
    this.rows += b.rows;
    this.sink.onBatch?.();
  }
  /** End the stream (EOS marker unless `torn`) and close; fsync when asked. */
  close(sync: boolean, torn = false): void {
    try {
      if (!torn) {
        this.writer.finish();
        if (sync) fsyncSync(this.fd);
      }
    } finally {
      closeSync(this.fd);
    }
    this.sink.onBatch?.();
  }
}

/**
 * The distinct values of 64-bit columns (kernel addresses, for --kallsyms used), noted as their batches are
 * written: the recorder does not read its tables back at the end. Kept as 32-bit halves (numbers, not BigInt).
 */
export class AddressSet {
  private readonly byHi = new Map<number, Set<number>>();
  /** the last values added, direct-mapped by their low bits: most rows repeat one of a few thousand addresses */
  private readonly seenLo = new Int32Array(4096);
  private readonly seenHi = new Float64Array(4096).fill(-1);
  /** rows [0, n) of a 64-bit column, as its Uint32 view */
  add(w32: Uint32Array, n: number): void {
    const seenLo = this.seenLo,
      seenHi = this.seenHi;
    for (let i = 0; i < n; i++) {
      const lo = w32[2 * i] | 0, // as int32: a small integer, not a heap number
        hi = w32[2 * i + 1];
      const k = Math.imul(lo, 0x9e3779b1) >>> 20;
      if (seenLo[k] === lo && seenHi[k] === hi) continue;
      seenLo[k] = lo;
      seenHi[k] = hi;
      let set = this.byHi.get(hi);
      if (!set) this.byHi.set(hi, (set = new Set()));
      set.add(lo);
    }
  }
  *values(): IterableIterator<bigint> {
    for (const [hi, set] of this.byHi) for (const lo of set) yield (BigInt(hi) << 32n) | BigInt(lo >>> 0);
  }
}

/** Estimated on-disk bytes per row of a table's columns (strings: 16). */
function rowBytes(defs: ColumnDef[]): number {
  const w: Record<string, number> = { i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8, f64: 8, utf8: 16 };
  return defs.reduce((s, d) => s + w[d.type], 0);
}

/** Writes a table as segment files, rotating on demand. */
export class TableWriter {
  readonly builder: BatchBuilder;
  private file: StreamFile | null = null;
  private seg = 0;
  private readonly rowBytes: number;
  files: string[] = [];
  /** rows of the batches written whole */
  rows = 0;
  closedBytes = 0;
  lastFlush = Date.now();
  /** called before the pending rows are taken into a batch (record/triggers.ts looks at them) */
  beforeTake: (() => void) | null = null;
  /** 64-bit columns whose values are noted in `addresses` before each batch is written */
  noteAddresses: { columns: string[]; addresses: AddressSet } | null = null;
  constructor(
    public dir: string,
    readonly table: string,
    capacity: number,
    public sink: CaptureSink,
    /** false: the first segment file is made with the first batch (a table that gets no row has none) */
    private readonly openNow = true,
  ) {
    this.builder = new BatchBuilder(table, capacity);
    this.rowBytes = rowBytes(this.builder.defs);
    if (openNow) this.open();
  }
  get bytes(): number {
    return this.closedBytes + (this.file?.bytes ?? 0);
  }
  /**
   * Bytes the rows still in the builder will take once written (estimate): at the bytes per row written so
   * far (compressed), else at their uncompressed width. Session.mustStop flushes before trusting it.
   */
  get pendingBytes(): number {
    const perRow = this.rows > 0 ? Math.min(this.rowBytes, this.bytes / this.rows) : this.rowBytes;
    return this.builder.length * perRow;
  }
  private open(): StreamFile | null {
    if (!this.file && !this.sink.failure) {
      const name = segmentFile(this.table, this.seg);
      const path = join(this.dir, name);
      try {
        this.file = new StreamFile(path, this.builder.schema, this.sink);
        this.files.push(name);
      } catch (e) {
        this.sink.fail(path, e);
      }
    }
    return this.file;
  }
  /** Append one row (slow path, metadata tables); writes a batch whenever the builder fills. */
  push(row: Record<string, number | bigint | string | null>): void {
    this.builder.push(row);
    if (this.builder.full) this.flush();
  }
  /** Write pending rows as one batch (no-op when empty; dropped once a write has failed). */
  flush(): void {
    this.lastFlush = Date.now();
    if (this.builder.length === 0) return;
    this.beforeTake?.();
    if (this.noteAddresses) for (const c of this.noteAddresses.columns) this.noteAddresses.addresses.add(this.builder.w32[c], this.builder.length);
    const batch = this.builder.takeBuffers();
    const f = this.sink.failure ? null : this.open();
    if (!f) return;
    try {
      f.write(batch);
      this.rows += batch.rows;
    } catch (e) {
      this.sink.fail(f.path, e);
    }
  }
  /** Close the current segment; the next segment file is made at once. */
  rotate(): void {
    this.flush();
    this.closeFile(false);
    this.seg++;
    this.open();
  }
  private closeFile(sync: boolean): void {
    const f = this.file;
    if (!f) return;
    this.file = null;
    try {
      f.close(sync, !!this.sink.failure);
    } catch (e) {
      this.sink.fail(f.path, e);
    }
    this.closedBytes += f.bytes;
  }
  /** Flush, end the stream and fsync (unless told not to: a flight recorder's scratch part). */
  close(sync = true): void {
    this.flush();
    this.closeFile(sync);
  }
  /**
   * Go on in another capture directory (the next part of --ring/--rotate), after close(): its segments start again
   * at 0000; the builder, and the column buffers the decoder writes into, stay.
   */
  moveTo(dir: string, sink: CaptureSink): void {
    this.dir = dir;
    this.sink = sink;
    this.files = [];
    this.rows = 0;
    this.closedBytes = 0;
    this.seg = 0;
    if (this.openNow) this.open();
  }
}

/** Where a capture's bytes go: the running total on disk and the first write failure. */
export class CaptureSink {
  /** bytes in the capture directory: every table file plus the manifest */
  bytes = 0;
  manifestBytes = 0;
  /** the first write that failed (disk full, I/O error); nothing is written after it */
  failure: KtapeError | null = null;
  private reserve: string | null = null;
  /** called after each batch (and end of stream) is written: `ktape record --upload` sends it (ship/follow.ts) */
  onBatch?: () => void;
  constructor(
    readonly dir: string,
    /** body compression of every table file (`ktape record --compress`) */
    readonly codec: CodecName = 'none',
  ) {}
  /**
   * Hold `bytes` of disk in a hidden file, released by unreserve() when the
   * disk is full so that the final manifest can still be written.
   */
  reserveSpace(bytes: number): void {
    const path = join(this.dir, '.ktape-reserve');
    let fd = -1;
    try {
      fd = createFile(path);
      this.reserve = path;
      writeAll(fd, new Uint8Array(bytes));
      this.bytes += bytes;
    } catch (e) {
      this.fail(path, e);
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }
  /** Give the reserved disk back (at the end, or to write the final manifest on a full disk). */
  unreserve(): void {
    if (!this.reserve) return;
    const size = statSync(this.reserve).size;
    unlinkSync(this.reserve);
    this.bytes -= size;
    this.reserve = null;
  }
  /** Record a failed write of `path` (errno errors only; others are bugs and rethrown). */
  fail(path: string, e: unknown): void {
    const code = (e as NodeJS.ErrnoException)?.code;
    if (!code) throw e;
    this.failure ??= writeError(path, e as NodeJS.ErrnoException);
  }
}

/** One line for a failed write: disk full is E_DISK_FULL (exit 1). */
export function writeError(path: string, e: NodeJS.ErrnoException): KtapeError {
  if (e.code === 'ENOSPC') return new KtapeError('E_DISK_FULL', `${path}: no space left on device`, 1);
  if (e.code === 'EDQUOT') return new KtapeError('E_DISK_FULL', `${path}: disk quota exceeded (no space left on device for this user)`, 1);
  const m = /^[A-Z]+: ([^,]+)/.exec(e.message ?? '');
  return new KtapeError('E_WRITE', `${path}: write failed: ${m ? m[1] : e.message}`, 1);
}
