/**
 * Arrow IPC stream writing: one stream file per table per segment, written
 * batch by batch (so a killed recorder leaves every complete batch readable),
 * files created 0600. Columns are filled in place in typed arrays by the
 * decoder and handed to Arrow without copying.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  Data, RecordBatch, RecordBatchStreamWriter, Struct, makeData, vectorFromArray, Utf8,
  type Schema,
} from 'apache-arrow';
import { arrowSchema, segmentFile, TABLE_BY_NAME, type ColumnDef } from '../formats/schema.js';

type Typed = BigInt64Array | BigUint64Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array | Float64Array;
export type Column = Typed | (string | null)[];

function allocColumn(def: ColumnDef, n: number): Column {
  switch (def.type) {
    case 'i64': return new BigInt64Array(n);
    case 'u64': return new BigUint64Array(n);
    case 'i32': return new Int32Array(n);
    case 'u32': return new Uint32Array(n);
    case 'i16': return new Int16Array(n);
    case 'u16': return new Uint16Array(n);
    case 'i8': return new Int8Array(n);
    case 'u8': return new Uint8Array(n);
    case 'f64': return new Float64Array(n);
    case 'utf8': return new Array<string | null>(n);
  }
}

/** A fixed-capacity batch under construction; columns are indexed by name. */
export class BatchBuilder {
  readonly schema: Schema;
  readonly defs: ColumnDef[];
  cols: Record<string, Column> = {};
  /** Uint32 views of the 64-bit columns, for copying without BigInt */
  w32: Record<string, Uint32Array> = {};
  /** validity bitmaps (bit set = value present) of nullable numeric columns, filled by push() */
  private valid: Record<string, Uint8Array> = {};
  private nulls: Record<string, number> = {};
  length = 0;
  constructor(readonly table: string, readonly capacity: number) {
    const def = TABLE_BY_NAME.get(table);
    if (!def) throw new Error(`unknown table ${table}`);
    this.defs = def.columns;
    this.schema = arrowSchema(table);
    this.reset();
  }
  reset(): void {
    this.cols = {};
    this.w32 = {};
    this.valid = {};
    this.nulls = {};
    for (const d of this.defs) {
      const col = allocColumn(d, this.capacity);
      this.cols[d.name] = col;
      if (col instanceof BigInt64Array || col instanceof BigUint64Array) this.w32[d.name] = new Uint32Array(col.buffer);
      if (d.nullable && d.type !== 'utf8') {
        this.valid[d.name] = new Uint8Array(Math.ceil(this.capacity / 8)).fill(0xff);
        this.nulls[d.name] = 0;
      }
    }
    this.length = 0;
  }
  get full(): boolean {
    return this.length >= this.capacity;
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
  /** Freeze the current rows into a RecordBatch (columns are then re-allocated). */
  take(): RecordBatch {
    const n = this.length;
    const children: Data[] = this.defs.map((d, idx) => {
      const col = this.cols[d.name];
      const type = this.schema.fields[idx].type;
      if (Array.isArray(col)) return vectorFromArray(col.slice(0, n), new Utf8()).data[0];
      const nullCount = this.nulls[d.name] ?? 0;
      const nullBitmap = nullCount ? this.valid[d.name].subarray(0, Math.ceil(n / 8)) : undefined;
      return makeData({ type, length: n, nullCount, nullBitmap, data: (col as Typed).subarray(0, n) } as never);
    });
    const batch = new RecordBatch(this.schema, makeData({ type: new Struct(this.schema.fields), length: n, nullCount: 0, children }));
    this.reset();
    return batch;
  }
}

/** One Arrow IPC stream file. */
export class StreamFile {
  private fd: number;
  private writer = new RecordBatchStreamWriter();
  bytes = 0;
  rows = 0;
  constructor(readonly path: string, schema: Schema) {
    this.fd = openSync(path, 'wx', 0o600);
    this.writer.reset(undefined, schema);
  }
  private drainSink(): void {
    const q = (this.writer as unknown as { _sink: { _values: Uint8Array[] } })._sink._values;
    for (const chunk of q) {
      writeSync(this.fd, chunk);
      this.bytes += chunk.byteLength;
    }
    q.length = 0;
  }
  write(batch: RecordBatch): void {
    this.writer.write(batch);
    this.rows += batch.numRows;
    this.drainSink();
  }
  /** Write the schema (and nothing else) so that even an empty table is a valid stream. */
  writeSchemaOnly(schema: Schema): void {
    (this.writer as unknown as { _writeSchema(s: Schema): void })._writeSchema(schema);
    (this.writer as unknown as { _started: boolean })._started = true;
    this.drainSink();
  }
  close(sync = false): void {
    this.writer.finish();
    this.drainSink();
    if (sync) fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

/** Writes a table as segment files, rotating on demand. */
export class TableWriter {
  readonly builder: BatchBuilder;
  private file: StreamFile | null = null;
  private seg = 0;
  files: string[] = [];
  rows = 0;
  closedBytes = 0;
  lastFlush = Date.now();
  constructor(readonly dir: string, readonly table: string, capacity: number) {
    this.builder = new BatchBuilder(table, capacity);
  }
  get bytes(): number {
    return this.closedBytes + (this.file?.bytes ?? 0);
  }
  private open(): StreamFile {
    if (!this.file) {
      const name = segmentFile(this.table, this.seg);
      this.file = new StreamFile(join(this.dir, name), this.builder.schema);
      this.files.push(name);
    }
    return this.file;
  }
  /** Append one row (slow path, metadata tables); writes a batch whenever the builder fills. */
  push(row: Record<string, number | bigint | string | null>): void {
    this.builder.push(row);
    if (this.builder.full) this.flush();
  }
  /** Write pending rows as one batch (no-op when empty). */
  flush(): void {
    this.lastFlush = Date.now();
    if (this.builder.length === 0) return;
    const batch = this.builder.take();
    this.rows += batch.numRows;
    this.open().write(batch);
  }
  /** Close the current segment; the next write starts segment+1. */
  rotate(): void {
    this.flush();
    if (this.file) {
      this.file.close();
      this.closedBytes += this.file.bytes;
      this.file = null;
      this.seg++;
    }
  }
  close(): void {
    this.flush();
    if (!this.file && this.files.length === 0) {
      // empty table: still a valid stream with its schema
      const f = this.open();
      f.writeSchemaOnly(this.builder.schema);
    }
    if (this.file) {
      this.file.close(true);
      this.closedBytes += this.file.bytes;
      this.file = null;
    }
  }
}
