/**
 * A bounded, validating reader of Arrow IPC stream messages, for captures
 * that come from another machine and are trusted for nothing.
 *
 * apache-arrow's reader trusts its input: a flipped byte in a schema can make
 * it loop for minutes, and a batch whose buffers are shorter than its row
 * count hands the loader typed arrays that native code then reads past. So
 * ktape frames the stream itself, parses each message's flatbuffer with a
 * bounds check on every read, checks every buffer of every batch against the
 * row count and the file size, and only then builds apache-arrow Data from
 * the checked bytes with its public makeData(). Nothing of a capture reaches
 * apache-arrow's parser or DuckDB unchecked.
 *
 * Only what ktape writes is accepted: little-endian, metadata V4/V5, flat
 * schemas of Int, FloatingPoint(double) and Utf8 columns, no dictionaries;
 * bodies uncompressed or compressed buffer by buffer with ZSTD or LZ4_FRAME
 * (formats/codec.ts). A compressed buffer's declared length is checked
 * against what the batch's row count needs, and the batch's total against
 * LIMITS.batchBytes, before anything is allocated for it.
 * See https://arrow.apache.org/docs/format/Columnar.html
 */
import {
  CompressionType,
  Field,
  Float64,
  Int8,
  Int16,
  Int32,
  Int64,
  RecordBatch,
  Schema,
  Struct,
  Uint8,
  Uint16,
  Uint32,
  Uint64,
  Utf8,
  makeData,
  type DataType,
  type Data,
} from 'apache-arrow';
import { CodecError, decompress } from './codec.js';

/** Thrown for a message that is malformed (not merely cut short). */
export class IpcError extends Error {}

/** Column types a capture may hold, as in formats/schema.ts. */
export type IpcType = 'i8' | 'i16' | 'i32' | 'i64' | 'u8' | 'u16' | 'u32' | 'u64' | 'f64' | 'utf8';
export interface IpcField {
  name: string;
  type: IpcType;
  nullable: boolean;
}
export interface IpcSchema {
  fields: IpcField[];
  metadata: Map<string, string>;
  arrow: Schema;
}

export const WIDTH: Record<IpcType, number> = { i8: 1, i16: 2, i32: 4, i64: 8, u8: 1, u16: 2, u32: 4, u64: 8, f64: 8, utf8: 0 };
/** limits far above anything ktape writes, far below anything that hurts */
export const LIMITS = {
  metadataBytes: 1 << 20,
  fields: 256,
  nameBytes: 256,
  metadataEntries: 64,
  valueBytes: 1 << 16,
  rows: 1 << 26,
  /** a compressed batch's buffers, decompressed, at most (the recorder's largest batches are a few hundred MB) */
  batchBytes: 1 << 30,
  /** a compressed string data buffer, decompressed, at most */
  stringBytes: 1 << 28,
};

/** Bounds-checked little-endian reads over one flatbuffer. */
class Fb {
  private dv: DataView;
  constructor(private b: Uint8Array) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private at(pos: number, n: number): number {
    if (!Number.isInteger(pos) || pos < 0 || pos + n > this.b.length)
      throw new IpcError(`flatbuffer read of ${n} bytes at ${pos} is outside the ${this.b.length}-byte message`);
    return pos;
  }
  u8(p: number) {
    return this.dv.getUint8(this.at(p, 1));
  }
  u16(p: number) {
    return this.dv.getUint16(this.at(p, 2), true);
  }
  i32(p: number) {
    return this.dv.getInt32(this.at(p, 4), true);
  }
  u32(p: number) {
    return this.dv.getUint32(this.at(p, 4), true);
  }
  /** int64 as a number; refuses values outside ±2^53 */
  i64(p: number): number {
    const v = this.dv.getBigInt64(this.at(p, 8), true);
    if (v > 9007199254740991n || v < -9007199254740991n) throw new IpcError(`64-bit value ${v} at ${p} is out of range`);
    return Number(v);
  }
  /** position of field `i` of the table at `t`, or 0 if absent */
  field(t: number, i: number): number {
    const vt = t - this.i32(t);
    const vtSize = this.u16(vt);
    if (vtSize < 4 || vtSize % 2) throw new IpcError(`bad vtable size ${vtSize}`);
    this.at(vt, vtSize);
    if (4 + 2 * i >= vtSize) return 0;
    const off = this.u16(vt + 4 + 2 * i);
    return off ? this.at(t + off, 1) : 0;
  }
  /** follow the uoffset stored at `p` */
  deref(p: number): number {
    return this.at(p + this.u32(p), 4);
  }
  /** table referenced by field `i` of table `t`, or 0 */
  table(t: number, i: number): number {
    const f = this.field(t, i);
    return f ? this.deref(f) : 0;
  }
  /** vector referenced by field `i`: [first element, length], checked to fit */
  vector(t: number, i: number, elemBytes: number, max: number): [number, number] {
    const f = this.field(t, i);
    if (!f) return [0, 0];
    const v = this.deref(f);
    const n = this.u32(v);
    if (n > max) throw new IpcError(`vector of ${n} entries (at most ${max})`);
    this.at(v + 4, n * elemBytes);
    return [v + 4, n];
  }
  string(t: number, i: number, max: number): string | null {
    const f = this.field(t, i);
    if (!f) return null;
    const s = this.deref(f);
    const n = this.u32(s);
    if (n > max) throw new IpcError(`string of ${n} bytes (at most ${max})`);
    return Buffer.from(this.b.buffer, this.b.byteOffset + this.at(s + 4, n), n).toString('utf8');
  }
  scalar(t: number, i: number, read: (p: number) => number, dflt: number): number {
    const f = this.field(t, i);
    return f ? read.call(this, f) : dflt;
  }
  root(): number {
    return this.deref(0);
  }
}

export enum Header {
  Schema = 1,
  DictionaryBatch = 2,
  RecordBatch = 3,
}
export interface Message {
  header: number;
  table: number;
  bodyLength: number;
  fb: Fb;
}

/** Parse a Message flatbuffer (the bytes after the 8-byte prefix). */
export function parseMessage(meta: Uint8Array): Message {
  const fb = new Fb(meta);
  const m = fb.root();
  const version = fb.scalar(m, 0, fb.u16, 0);
  if (version < 3 || version > 4) throw new IpcError(`metadata version ${version} (ktape writes V5)`);
  const header = fb.scalar(m, 1, fb.u8, 0);
  const table = fb.table(m, 2);
  if (!table) throw new IpcError('message without a header');
  const bodyLength = fb.scalar(m, 3, fb.i64, 0);
  if (bodyLength < 0) throw new IpcError(`negative body length ${bodyLength}`);
  return { header, table, bodyLength, fb };
}

function fieldType(fb: Fb, f: number): IpcType {
  const tt = fb.scalar(f, 2, fb.u8, 0);
  const t = fb.table(f, 3);
  if (tt === 5) return 'utf8';
  if (tt === 3 && t && fb.scalar(t, 0, fb.u16, 0) === 2) return 'f64';
  if (tt === 2 && t) {
    const bits = fb.scalar(t, 0, fb.i32, 0),
      signed = fb.scalar(t, 1, fb.u8, 0) !== 0;
    if ([8, 16, 32, 64].includes(bits)) return `${signed ? 'i' : 'u'}${bits}` as IpcType;
  }
  throw new IpcError(`unsupported column type (type id ${tt})`);
}

function keyValues(fb: Fb, t: number, i: number): Map<string, string> {
  const out = new Map<string, string>();
  const [v, n] = fb.vector(t, i, 4, LIMITS.metadataEntries);
  for (let k = 0; k < n; k++) {
    const kv = fb.deref(v + 4 * k);
    out.set(fb.string(kv, 0, LIMITS.nameBytes) ?? '', fb.string(kv, 1, LIMITS.valueBytes) ?? '');
  }
  return out;
}

const ARROW_TYPE: Record<IpcType, () => DataType> = {
  i8: () => new Int8(),
  i16: () => new Int16(),
  i32: () => new Int32(),
  i64: () => new Int64(),
  u8: () => new Uint8(),
  u16: () => new Uint16(),
  u32: () => new Uint32(),
  u64: () => new Uint64(),
  f64: () => new Float64(),
  utf8: () => new Utf8(),
};

/** The Schema message of a stream: flat columns of the types above. */
export function parseSchema(m: Message): IpcSchema {
  if (m.header !== Header.Schema) throw new IpcError(`first message is not a Schema (header type ${m.header})`);
  const { fb, table: s } = m;
  if (fb.scalar(s, 0, fb.u16, 0) !== 0) throw new IpcError('big-endian stream');
  const [v, n] = fb.vector(s, 1, 4, LIMITS.fields);
  const fields: IpcField[] = [];
  for (let k = 0; k < n; k++) {
    const f = fb.deref(v + 4 * k);
    const name = fb.string(f, 0, LIMITS.nameBytes);
    if (!name) throw new IpcError(`column ${k} has no name`);
    if (fields.some((x) => x.name === name)) throw new IpcError(`column ${name} appears twice`);
    if (fb.field(f, 4)) throw new IpcError(`column ${name} is dictionary-encoded`);
    if (fb.vector(f, 5, 4, 0)[1] !== 0) throw new IpcError(`column ${name} has children`);
    fields.push({ name, type: fieldType(fb, f), nullable: fb.scalar(f, 1, fb.u8, 0) !== 0 });
  }
  const metadata = keyValues(fb, s, 2);
  const arrow = new Schema(
    fields.map((f) => new Field(f.name, ARROW_TYPE[f.type](), f.nullable)),
    metadata,
  );
  return { fields, metadata, arrow };
}

interface Buf {
  offset: number;
  length: number;
}
interface Layout {
  rows: number;
  nodes: { length: number; nulls: number }[];
  bufs: Buf[];
  /** body compression, null when uncompressed */
  codec: CompressionType | null;
}

/** The batch's BodyCompression: null, or a codec the Arrow format defines, buffer by buffer. */
function bodyCodec(fb: Fb, t: number): CompressionType | null {
  const c = fb.table(t, 3);
  if (!c) return null;
  const codec = fb.scalar(c, 0, fb.u8, 0);
  if (codec !== CompressionType.LZ4_FRAME && codec !== CompressionType.ZSTD) throw new IpcError(`unknown body compression codec ${codec}`);
  if (fb.scalar(c, 1, fb.u8, 0) !== 0) throw new IpcError('body compression method is not BUFFER');
  return codec;
}

/** Check one RecordBatch message's layout against the schema and its body length. */
function batchLayout(m: Message, schema: IpcSchema): Layout {
  if (m.header !== Header.RecordBatch) throw new IpcError(`unexpected message (header type ${m.header}) after the schema`);
  const { fb, table: t } = m;
  const rows = fb.scalar(t, 0, fb.i64, 0);
  if (rows < 0 || rows > LIMITS.rows) throw new IpcError(`batch of ${rows} rows`);
  const codec = bodyCodec(fb, t);
  const nf = schema.fields.length;
  const [nv, nn] = fb.vector(t, 1, 16, LIMITS.fields);
  const want = schema.fields.reduce((a, f) => a + (f.type === 'utf8' ? 3 : 2), 0);
  const [bv, nb] = fb.vector(t, 2, 16, 3 * LIMITS.fields);
  if (nn !== nf || nb !== want) throw new IpcError(`batch has ${nn} columns and ${nb} buffers; the schema needs ${nf} and ${want}`);
  const nodes = [],
    bufs: Buf[] = [];
  for (let k = 0; k < nn; k++) {
    const length = fb.i64(nv + 16 * k),
      nulls = fb.i64(nv + 16 * k + 8);
    if (length !== rows || nulls < 0 || nulls > rows)
      throw new IpcError(`column ${schema.fields[k].name}: ${length} rows, ${nulls} nulls in a batch of ${rows}`);
    nodes.push({ length, nulls });
  }
  for (let k = 0; k < nb; k++) {
    const offset = fb.i64(bv + 16 * k),
      length = fb.i64(bv + 16 * k + 8);
    if (offset < 0 || length < 0 || offset + length > m.bodyLength)
      throw new IpcError(`buffer ${k} [${offset}, +${length}) lies outside the ${m.bodyLength}-byte body`);
    bufs.push({ offset, length });
  }
  return { rows, nodes, bufs, codec };
}

const pad64 = (n: number) => Math.ceil(n / 64) * 64;

/** The most bytes buffer `k` (of 2, or 3 for utf8) of column `f` may hold in a batch of `rows`. */
function maxBytes(f: IpcField, k: number, rows: number): number {
  if (k === 0) return pad64(Math.ceil(rows / 8));
  if (f.type !== 'utf8') return pad64(rows * WIDTH[f.type]);
  return k === 1 ? pad64(4 * (rows + 1)) : LIMITS.stringBytes;
}

/**
 * The body buffers of a batch, decompressed if it is compressed. Each compressed buffer is an int64
 * uncompressed length (-1: stored as is) then the codec's frame; the length is checked against the
 * column's need and the batch's total against LIMITS.batchBytes before anything is allocated.
 */
function bodyBuffers(L: Layout, schema: IpcSchema, body: Uint8Array): Uint8Array[] {
  const raw = L.bufs.map((b) => body.subarray(b.offset, b.offset + b.length));
  if (L.codec === null) return raw;
  const sizes: number[] = [];
  let k = 0,
    total = 0;
  for (const f of schema.fields) {
    for (let j = 0; j < (f.type === 'utf8' ? 3 : 2); j++, k++) {
      const b = raw[k];
      if (b.length === 0) {
        sizes.push(0);
        continue;
      }
      if (b.length < 8) throw new IpcError(`buffer ${k}: ${b.length} bytes, too short for a compressed buffer's length prefix`);
      const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigInt64(0, true));
      const max = n === -1 ? Infinity : maxBytes(f, j, L.rows);
      if (n < -1 || n > max)
        throw new IpcError(`column ${f.name}: buffer ${k} declares ${n} uncompressed bytes; a batch of ${L.rows} rows needs at most ${max}`);
      total += Math.max(n, 0);
      sizes.push(n);
    }
  }
  if (total > LIMITS.batchBytes) throw new IpcError(`batch declares ${total} uncompressed bytes (at most ${LIMITS.batchBytes})`);
  return raw.map((b, i) => {
    if (sizes[i] === 0) return b.subarray(0, 0);
    if (sizes[i] === -1) return b.subarray(8);
    try {
      return decompress(L.codec as CompressionType, b.subarray(8), sizes[i]);
    } catch (e) {
      if (e instanceof CodecError) throw new IpcError(`buffer ${i}: ${e.message}`);
      throw e;
    }
  });
}

/** A typed view of the first `n` elements of a body buffer (copied when unaligned). */
function view<T extends ArrayBufferView>(b: Uint8Array, width: number, make: (buf: ArrayBuffer, off: number, n: number) => T, n: number): T {
  if (b.byteOffset % width === 0) return make(b.buffer as ArrayBuffer, b.byteOffset, n);
  const copy = new Uint8Array(n * width);
  copy.set(b.subarray(0, n * width));
  return make(copy.buffer, 0, n);
}

const MAKE: Record<Exclude<IpcType, 'utf8'>, (b: ArrayBuffer, o: number, n: number) => ArrayBufferView> = {
  i8: (b, o, n) => new Int8Array(b, o, n),
  i16: (b, o, n) => new Int16Array(b, o, n),
  i32: (b, o, n) => new Int32Array(b, o, n),
  i64: (b, o, n) => new BigInt64Array(b, o, n),
  u8: (b, o, n) => new Uint8Array(b, o, n),
  u16: (b, o, n) => new Uint16Array(b, o, n),
  u32: (b, o, n) => new Uint32Array(b, o, n),
  u64: (b, o, n) => new BigUint64Array(b, o, n),
  f64: (b, o, n) => new Float64Array(b, o, n),
};

function column(f: IpcField, type: DataType, rows: number, nulls: number, bufs: Uint8Array[]): Data {
  const need = (b: Uint8Array, bytes: number, what: string) => {
    if (b.length < bytes) throw new IpcError(`column ${f.name}: ${what} buffer holds ${b.length} bytes, ${rows} rows need ${bytes}`);
  };
  let nullBitmap: Uint8Array | undefined;
  if (nulls > 0) {
    need(bufs[0], Math.ceil(rows / 8), 'validity');
    nullBitmap = bufs[0].subarray(0, Math.ceil(rows / 8));
  }
  if (f.type !== 'utf8') {
    need(bufs[1], rows * WIDTH[f.type], 'values');
    const data = view(bufs[1], WIDTH[f.type], MAKE[f.type], rows);
    return makeData({ type, length: rows, nullCount: nulls, nullBitmap, data } as never);
  }
  need(bufs[1], 4 * (rows + 1), 'offsets');
  const valueOffsets = view(bufs[1], 4, (b, o, n) => new Int32Array(b, o, n), rows + 1);
  const bytes = bufs[2].length;
  if (valueOffsets[0] < 0) throw new IpcError(`column ${f.name}: negative string offset`);
  for (let r = 0; r < rows; r++) if (valueOffsets[r + 1] < valueOffsets[r]) throw new IpcError(`column ${f.name}: string offsets go backwards at row ${r}`);
  if (valueOffsets[rows] > bytes) throw new IpcError(`column ${f.name}: strings end at ${valueOffsets[rows]}, past the ${bytes}-byte data buffer`);
  const data = bufs[2];
  return makeData({ type, length: rows, nullCount: nulls, nullBitmap, valueOffsets, data } as never);
}

/** Build a RecordBatch from a checked RecordBatch message and its body. */
export function decodeBatch(m: Message, schema: IpcSchema, body: Uint8Array): RecordBatch {
  const layout = batchLayout(m, schema);
  const { rows, nodes } = layout;
  const bufs = bodyBuffers(layout, schema, body);
  const children: Data[] = [];
  let bi = 0;
  schema.fields.forEach((f, k) => {
    const n = f.type === 'utf8' ? 3 : 2;
    children.push(column(f, schema.arrow.fields[k].type, rows, nodes[k].nulls, bufs.slice(bi, bi + n)));
    bi += n;
  });
  return new RecordBatch(schema.arrow, makeData({ type: new Struct(schema.arrow.fields), length: rows, nullCount: 0, children }));
}
