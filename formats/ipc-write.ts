/**
 * The recorder's Arrow IPC RecordBatch encoder: one batch in, the pieces of its message out (prefix, flatbuffer
 * metadata, then the body buffers with their padding, as views of the batch's own memory), for one writev.
 *
 * apache-arrow's RecordBatchStreamWriter did this until 2026-12-03 and still writes each file's schema and
 * end-of-stream marker (record/writer.ts). For batches it was the recorder's largest cost on a quiet host: 0.5–0.8 ms
 * a batch while its code is cold (visitor dispatch, the flatbuffers Builder, a copy of every compressed buffer), and a
 * recorder writing the 1 s batches of sparse tables stays cold for minutes; this encoder takes 0.1–0.25 ms cold. It
 * also wrote each compressed buffer's compressed length where the format wants the uncompressed one
 * (arrow-js PR 470), which ktape had to rewrite. What is written here is what the Arrow format defines
 * (https://arrow.apache.org/docs/format/Columnar.html, Message.fbs and Schema.fbs): metadata V5, one FieldNode per
 * column, validity / offsets / data buffers 8-byte aligned, and with body compression each buffer as its int64
 * uncompressed length (-1: stored as is, when compressing did not make it smaller) and one codec frame.
 * test/unit/ipc-write.test.ts reads the result with apache-arrow, ktape's own reader and Polars, and checks the
 * uncompressed body against apache-arrow's writer byte for byte.
 */
import { type CompressionType, type RecordBatch, Utf8 } from 'apache-arrow';
import { compressBound, compressInto } from './codec.js';

/** flatbuffers MessageHeader.RecordBatch, MetadataVersion.V5 */
const HEADER_RECORD_BATCH = 3;
const METADATA_V5 = 4;
const ZEROS = new Uint8Array(8);
const pad8 = (n: number) => (n + 7) & ~7;

/** The Message flatbuffer of a RecordBatch: `nodes` as [length, nulls] pairs, `regions` as [offset, length] pairs. */
function batchMetadata(rows: number, nodes: number[], regions: number[], bodyLength: number, codec: CompressionType | null): Uint8Array {
  // laid out front to back, every uoffset pointing forward: Message vtable + table, RecordBatch vtable + table,
  // [BodyCompression vtable + table], the nodes vector, the buffers vector
  const comp = codec === null ? 0 : 16;
  const nodesAt = 72 + comp + 4; // the vector's length; its 16-byte structs start 8-aligned after it
  const buffersAt = nodesAt + 4 + 8 * nodes.length + 4;
  const size = pad8(buffersAt + 4 + 8 * regions.length);
  const b = new Uint8Array(size);
  const dv = new DataView(b.buffer);
  const u16 = (p: number, v: number) => dv.setUint16(p, v, true);
  const u32 = (p: number, v: number) => dv.setUint32(p, v, true);
  const i64 = (p: number, v: number) => dv.setBigInt64(p, BigInt(v), true);
  const vtable = (p: number, v: number[]) => {
    for (let k = 0; k < v.length; k++) u16(p + 2 * k, v[k]);
  };
  const i64s = (p: number, v: number[]) => {
    for (let k = 0; k < v.length; k++) i64(p + 8 * k, v[k]);
  };
  u32(0, 16); // root: the Message table
  // Message vtable at 4: { version: +16, header_type: +18, header: +4, bodyLength: +8 }; table at 16, 20 bytes
  vtable(4, [12, 20, 16, 18, 4, 8]);
  u32(16, 12);
  u32(20, 48 - 20);
  i64(24, bodyLength);
  u16(32, METADATA_V5);
  b[34] = HEADER_RECORD_BATCH;
  // RecordBatch vtable at 36: { length: +8, nodes: +4, buffers: +16, compression: +20 }; table at 48, 24 bytes
  vtable(36, [12, 24, 8, 4, 16, codec === null ? 0 : 20]);
  u32(48, 12);
  u32(52, nodesAt - 52);
  i64(56, rows);
  u32(64, buffersAt - 64);
  if (codec !== null) {
    u32(68, 80 - 68);
    // BodyCompression vtable at 72: { codec: +4, method: +5 (BUFFER = 0) }; table at 80
    vtable(72, [8, 8, 4, 5]);
    u32(80, 8);
    b[84] = codec;
  }
  u32(nodesAt, nodes.length / 2);
  i64s(nodesAt + 4, nodes);
  u32(buffersAt, regions.length / 2);
  i64s(buffersAt + 4, regions);
  return b;
}

/**
 * A batch as the encoder takes it: its row count, [length, null count] per column, and every column's buffers in
 * Arrow's order (validity, empty without nulls; then the offsets of a utf8 column; then the data), as bytes.
 */
export interface BatchBuffers {
  rows: number;
  nodes: number[];
  buffers: Uint8Array[];
}

/** The first `len` bytes of a typed array's memory, as bytes. */
const bytesOf = (v: ArrayBufferView, len: number) => new Uint8Array(v.buffer, v.byteOffset, len);

/**
 * Append one column of `n` rows to `out`: its node, then its buffers in Arrow's order (validity, empty without
 * nulls; the offsets of a utf8 column; the data, `dataBytes` long).
 */
export function addColumn(
  out: BatchBuffers,
  n: number,
  nulls: number,
  validity: Uint8Array | undefined,
  offsets: Int32Array | undefined,
  data: ArrayBufferView,
  dataBytes: number,
): void {
  out.nodes.push(n, nulls);
  out.buffers.push(nulls > 0 && validity ? validity.subarray(0, (n + 7) >> 3) : ZEROS.subarray(0, 0));
  if (offsets) out.buffers.push(bytesOf(offsets, 4 * (n + 1)));
  out.buffers.push(bytesOf(data, dataBytes));
}

/** The buffers of an apache-arrow RecordBatch (flat, unsliced columns: what ktape's builder and reader make). */
export function buffersOf(batch: RecordBatch): BatchBuffers {
  const out: BatchBuffers = { rows: batch.numRows, nodes: [], buffers: [] };
  for (const d of batch.data.children) {
    if (d.offset !== 0) throw new Error('buffersOf: a sliced column (offset ≠ 0)');
    const n = d.length;
    if (d.type instanceof Utf8) {
      const offsets = d.valueOffsets as Int32Array;
      if (offsets[0] !== 0) throw new Error('buffersOf: utf8 offsets that do not start at 0');
      addColumn(out, n, d.nullCount, d.nullBitmap, offsets, d.values, offsets[n]);
    } else addColumn(out, n, d.nullCount, d.nullBitmap, undefined, d.values, n * (d.values as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT);
  }
  return out;
}

/** Output area for compressed buffers, reused batch after batch (its views are written before the next batch). */
let scratch = new Uint8Array(0);

/**
 * Compress each buffer into the scratch area: [prefix, frame] pairs (or [prefix, the buffer] when the frame is not
 * smaller), and the body regions.
 */
function compressed(bufs: Uint8Array[], codec: CompressionType): { parts: Uint8Array[]; regions: number[]; body: number } {
  let need = 0;
  for (const b of bufs) if (b.byteLength) need += 8 + compressBound(codec, b.byteLength);
  if (scratch.byteLength < need) scratch = new Uint8Array(Math.max(need, 2 * scratch.byteLength));
  const parts: Uint8Array[] = [],
    regions: number[] = [];
  let at = 0,
    body = 0;
  const dv = new DataView(scratch.buffer);
  for (const b of bufs) {
    if (b.byteLength === 0) {
      regions.push(body, 0);
      continue;
    }
    const n = compressInto(codec, b, scratch.subarray(at + 8, need));
    const shrank = n < b.byteLength;
    dv.setBigInt64(at, BigInt(shrank ? b.byteLength : -1), true);
    const data = shrank ? scratch.subarray(at + 8, at + 8 + n) : b;
    parts.push(scratch.subarray(at, at + 8), data);
    const len = 8 + data.byteLength;
    if (pad8(len) > len) parts.push(ZEROS.subarray(0, pad8(len) - len));
    regions.push(body, len);
    body += pad8(len);
    at += 8 + n;
  }
  return { parts, regions, body };
}

/** The buffers as they are, each padded to 8 bytes (the region records the padded length, as apache-arrow's). */
function plain(bufs: Uint8Array[]): { parts: Uint8Array[]; regions: number[]; body: number } {
  const parts: Uint8Array[] = [],
    regions: number[] = [];
  let body = 0;
  for (const b of bufs) {
    const len = pad8(b.byteLength);
    parts.push(b);
    if (len > b.byteLength) parts.push(ZEROS.subarray(0, len - b.byteLength));
    regions.push(body, len);
    body += len;
  }
  return { parts, regions, body };
}

/**
 * The encapsulated message of one RecordBatch (continuation marker, metadata length, metadata, body), as pieces to
 * write in order. Body pieces are views of the batch's buffers and of a scratch area that the next call reuses:
 * write them before encoding another batch.
 */
export function encodeBatch(batch: BatchBuffers, codec: CompressionType | null): Uint8Array[] {
  const { parts, regions, body } = codec === null ? plain(batch.buffers) : compressed(batch.buffers, codec);
  const meta = batchMetadata(batch.rows, batch.nodes, regions, body, codec);
  const prefix = new Uint8Array(8);
  const dv = new DataView(prefix.buffer);
  dv.setInt32(0, -1, true);
  dv.setInt32(4, meta.byteLength, true);
  return [prefix, meta, ...parts];
}
