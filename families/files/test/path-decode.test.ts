/**
 * The path records through the recorder's decoder (its C copy plan: the path is a text column, its UTF-8
 * checked and repaired in C): every row read back from the table files must be what TextDecoder makes of
 * the kept bytes (U+FFFD for each maximal invalid subpart), lossy exactly when those bytes are not UTF-8.
 * Small batches make the text column's byte buffer fill before its rows do, so the C loop stops and resumes
 * on a full text buffer too.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { tmp } from '../../../test/helpers.js';
import { Decoder } from '../../../dist/record/decode.js';
import { CaptureSink, TableWriter } from '../../../dist/record/writer.js';
import { readTable } from '../../../dist/formats/reader.js';
import { TABLES } from '../../../dist/formats/schema.js';
import * as W from '../../../dist/formats/gen/events.gen.js';

const P = W.OFF.kt_files_path;
const H = W.OFF.kt_hdr;
const MAX = W.KT_FILES_PATH_MAX;
const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** a deterministic generator (xorshift32) */
function rng(seed: number): () => number {
  let s = seed;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const GOOD = [[0x61], [0x2f], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9d, 0x84, 0x9e]];
/** stray continuation bytes, bad leads, overlong and surrogate forms, sequences cut short */
const BAD = [[0x80], [0xbf], [0xc0], [0xc1], [0xe0, 0x80], [0xed, 0xa0, 0x80], [0xf0, 0x8f], [0xf4, 0x90], [0xf5], [0xff], [0xe2, 0x82], [0xf0, 0x9d, 0x84]];

/** n bytes (no NUL) of ASCII and valid multi-byte characters, and of invalid sequences unless `valid` */
function pathBytes(r: () => number, n: number, valid: boolean): Uint8Array {
  const pieces = valid ? GOOD : [...GOOD, ...BAD];
  const out: number[] = [];
  while (out.length < n) out.push(...pieces[Math.floor(r() * pieces.length)]);
  return Uint8Array.from(out.slice(0, n));
}

interface Case {
  bytes: Uint8Array;
  cut: boolean;
  readError: number;
}

/**
 * One drained record (ktring_drain layout: u32 length, u32 0, the record padded to 8), as the BPF side writes
 * it: as long as its string and NUL (a cut one: its bytes up to the bound, no NUL). The padding holds garbage,
 * as the drain leaves it: nothing past the record's length may reach the path.
 */
function record(i: number, c: Case): Uint8Array {
  const len = W.SIZEOF.kt_files_path + c.bytes.length + (c.cut ? 0 : 1);
  const out = new Uint8Array(8 + ((len + 7) & ~7)).fill(0x42);
  const v = new DataView(out.buffer);
  v.setUint32(0, len, true);
  const p = 8;
  v.setBigUint64(p + H.ts, 1000n + BigInt(i), true);
  v.setUint16(p + H.kind, W.KT_FILES_PATH, true);
  v.setUint16(p + H.cpu, i % 2, true);
  v.setUint32(p + H.tid, 100 + (i % 3), true);
  v.setUint32(p + P.tgid, 100, true);
  v.setInt32(p + P.nr, 257, true);
  v.setUint32(p + P.len, c.bytes.length, true);
  v.setInt32(p + P.read_error, c.readError, true);
  v.setUint8(p + P.arg, i % 6);
  v.setUint8(p + P.cut, c.cut ? 1 : 0);
  out.set(c.bytes, p + P.path);
  if (!c.cut) out[p + P.path + c.bytes.length] = 0;
  return out;
}

const r = rng(12);
const cases: Case[] = Array.from({ length: 300 }, (_, i) => {
  if (i % 50 === 7) return { bytes: new Uint8Array(0), cut: false, readError: -14 };
  if (i % 10 === 1) {
    // long ASCII runs around one bad sequence, at every offset from an 8-byte boundary
    const ascii = (k: number) => Array.from({ length: k }, (_, j) => 0x61 + (j % 26));
    return { bytes: Uint8Array.from([...ascii(i % 23), ...BAD[i % BAD.length], ...ascii(17)]), cut: false, readError: 0 };
  }
  const cut = i % 10 === 3; // no NUL; half of them end before the bound: the record's end bounds those
  const n = cut ? MAX - (i % 20 === 3 ? 7 : 0) : Math.floor(r() * (i % 4 === 0 ? MAX + 1 : 40));
  return { bytes: pathBytes(r, n, i % 3 === 0), cut, readError: 0 };
});
let dir = '';

beforeAll(() => {
  dir = join(tmp('ktape-paths-'), 'cap');
  mkdirSync(dir, { mode: 0o700 });
  const sink = new CaptureSink(dir, 'none');
  const writers: Record<string, TableWriter> = {};
  for (const t of TABLES) if (t.role === 'event') writers[t.name] = new TableWriter(dir, t.name, 16, sink);
  const dec = new Decoder(writers, 4096);
  for (let a = 0; a < cases.length; a += 37) {
    const recs = cases.slice(a, a + 37).map((c, k) => record(a + k, c));
    const buf = Buffer.concat(recs);
    const ab = new ArrayBuffer(buf.length);
    new Uint8Array(ab).set(buf);
    dec.decode(ab, buf.length);
  }
  for (const w of Object.values(writers)) w.close();
});

describe('files: path records decoded in C', () => {
  it('each path is what TextDecoder makes of its bytes; lossy, cut, len and read_error as recorded', () => {
    const t = readTable(dir, 'file_paths');
    const rows = t.batches.flatMap((b) => b.toArray().map((x) => x.toJSON()));
    expect(t.batches.length).toBeGreaterThan(300 / 16); // the byte buffer filled first, some batches are short
    expect(rows).toEqual(
      cases.map((c, i) => {
        let lossy = 0;
        try {
          strict.decode(c.bytes);
        } catch {
          lossy = 1;
        }
        return {
          ts: 1000n + BigInt(i),
          cpu: i % 2,
          tid: 100 + (i % 3),
          tgid: 100,
          nr: 257,
          arg: i % 6,
          path: lenient.decode(c.bytes),
          len: c.bytes.length,
          cut: c.cut ? 1 : 0,
          lossy,
          read_error: c.readError,
        };
      }),
    );
    expect(rows.filter((x) => x.lossy).length).toBeGreaterThan(50);
    expect(rows.filter((x) => !x.lossy && /[^\x00-\x7f]/.test(x.path)).length).toBeGreaterThan(10);
  });
});
