/**
 * formats/ipc-write.ts, the recorder's RecordBatch encoder: what it writes reads back the same, value for value, in
 * ktape's own reader, in Polars (a second Arrow implementation) and, uncompressed, in apache-arrow's reader; its
 * uncompressed bodies are byte for byte apache-arrow's; and a compressed buffer that would not shrink is stored as
 * it is (length prefix -1), as the Arrow format allows.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchStreamWriter, tableFromIPC } from 'apache-arrow';
import pl from 'nodejs-polars';
import { describe, expect, it } from 'vitest';
import { ROOT, tmp } from '../helpers.js';
import type * as WriterModule from '../../record/writer.js';
import type * as ReaderModule from '../../formats/reader.js';
import type * as IpcModule from '../../formats/ipc.js';

const W = (await import(join(ROOT, 'dist/record/writer.js'))) as typeof WriterModule;
const R = (await import(join(ROOT, 'dist/formats/reader.js'))) as typeof ReaderModule;
const I = (await import(join(ROOT, 'dist/formats/ipc.js'))) as typeof IpcModule;

type Row = Record<string, number | bigint | string | null>;
/** task_exit rows: nullable numeric columns with and without nulls, a utf8 column, 64-bit values past 2^53 */
function rows(n: number, seed: number): Row[] {
  return Array.from({ length: n }, (_, i) => ({
    ts: BigInt(seed) * 1_000_000_007n + BigInt(i),
    cpu: i & 1,
    tid: 1000 + i,
    tgid: 1000,
    exit_code: i % 7,
    group_dead: i & 1,
    comm: i % 5 === 0 ? '' : `w${seed}-${'é'.repeat(i % 3)}${i}`,
    prio: i % 4 === 0 ? null : 120,
    nice: 0,
    policy: i % 9 === 0 ? null : 0,
    rt_priority: null,
    nivcsw: 0xffff_ffff_ffffn + BigInt(i),
    min_flt: BigInt(i),
    maj_flt: 0n,
    utime_ns: 2n ** 60n + BigInt(i),
    stime_ns: BigInt(i * 3),
    runtime_ns: i % 3 === 0 ? null : BigInt(i * 11),
    vm_pages: 4096n,
    maxrss_pages: null,
    nvcsw: BigInt(i),
  }));
}

/** Write `batches` of task_exit rows with `codec`; the file's path. */
function written(codec: 'none' | 'zstd' | 'lz4', batches: Row[][]): string {
  const dir = tmp('ktape-ipc-write-');
  const sink = new W.CaptureSink(dir, codec);
  const b = new W.BatchBuilder('task_exit', 4096);
  const path = join(dir, `task_exit.${codec}.arrows`);
  const f = new W.StreamFile(path, b.schema, sink);
  for (const rs of batches) {
    for (const r of rs) b.push(r);
    f.write(b.takeBuffers());
  }
  f.close(false);
  return path;
}

const norm = (v: unknown) => (typeof v === 'bigint' ? v.toString() : v);
const pushed = (batches: Row[][]) => batches.flat().map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, norm(v)])));
const ktapeRows = (path: string) => {
  const out: Row[] = [];
  for (const b of R.iterStreamFile(path)) for (const r of b.toArray()) out.push(Object.fromEntries(Object.entries(r.toJSON()).map(([k, v]) => [k, norm(v)])));
  return out;
};

/** every message of a stream file: [header type, metadata, body] */
function messages(path: string): { header: number; body: Buffer }[] {
  const b = readFileSync(path);
  const out = [];
  for (let pos = 0; pos + 8 <= b.length; ) {
    const len = b.readInt32LE(pos + 4);
    if (len === 0) break;
    const m = I.parseMessage(b.subarray(pos + 8, pos + 8 + len));
    out.push({ header: m.header, body: b.subarray(pos + 8 + len, pos + 8 + len + m.bodyLength) });
    pos += 8 + len + m.bodyLength;
  }
  return out;
}

const BATCHES = [rows(300, 1), rows(1, 2), rows(2000, 3)];

describe('the RecordBatch encoder', () => {
  for (const codec of ['none', 'zstd', 'lz4'] as const) {
    it(`${codec}: ktape's reader and Polars read back every value pushed, nulls included`, () => {
      const path = written(codec, BATCHES);
      const want = pushed(BATCHES);
      expect(ktapeRows(path)).toEqual(want);
      const df = pl.readIPCStream(readFileSync(path));
      expect(df.height).toBe(want.length);
      expect(df.getColumn('comm').toArray()).toEqual(want.map((r) => r.comm));
      expect(df.getColumn('prio').toArray()).toEqual(want.map((r) => r.prio));
      expect(df.getColumn('rt_priority').nullCount()).toBe(want.length);
      expect(df.getColumn('utime_ns').toArray().map(String)).toEqual(want.map((r) => r.utime_ns));
    });
  }

  it('uncompressed: apache-arrow reads it, and each body is the bytes apache-arrow writes for the same batch', () => {
    const path = written('none', BATCHES);
    const t = tableFromIPC(readFileSync(path));
    expect(t.numRows).toBe(2301);
    expect(t.getChild('comm')?.get(2300)).toBe(BATCHES[2][1999].comm);
    const b = new W.BatchBuilder('task_exit', 4096);
    const chunks: Uint8Array[] = [];
    for (const rs of BATCHES) {
      for (const r of rs) b.push(r);
      chunks.push(RecordBatchStreamWriter.writeAll([b.take()]).toUint8Array(true));
    }
    const ours = messages(path).filter((m) => m.header === I.Header.RecordBatch);
    expect(ours.length).toBe(3);
    chunks.forEach((c, k) => {
      const file = join(tmp('ktape-ipc-arrow-'), 'theirs.arrows');
      writeFileSync(file, c);
      const body = messages(file).find((m) => m.header === I.Header.RecordBatch)?.body;
      expect(Buffer.compare(ours[k].body, body as Buffer), `batch ${k}`).toBe(0);
    });
  });

  it('a compressed buffer that would not shrink is stored as it is, with the length prefix -1', () => {
    const path = written('zstd', [rows(1, 9)]);
    const body = messages(path).find((m) => m.header === I.Header.RecordBatch)?.body as Buffer;
    // the first column (ts) has no validity buffer; its 8 data bytes come first: prefix -1, then the value itself
    expect(body.readBigInt64LE(0)).toBe(-1n);
    expect(body.readBigInt64LE(8)).toBe(9n * 1_000_000_007n);
    expect(ktapeRows(path)).toEqual(pushed([rows(1, 9)]));
  });
});
