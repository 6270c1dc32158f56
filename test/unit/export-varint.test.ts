/**
 * The Perfetto exporter's varint fast paths must write exactly the bytes of
 * protobuf-es's BinaryWriter.uint64/int64.
 */
import { join } from 'node:path';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const { writeVarint64, writeU64 } = await import(join(ROOT, 'dist/export/ftrace.js'));

const values: bigint[] = [
  0n,
  1n,
  127n,
  128n,
  300n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 35n + 5n,
  899374724065n,
  2n ** 53n - 1n,
  2n ** 56n,
  2n ** 63n,
  18446744071585973700n,
  2n ** 64n - 1n,
];

describe('export varint fast paths', () => {
  it('writeVarint64(lo, hi) == BinaryWriter.uint64 for 64-bit values (and int64 for negatives)', () => {
    for (const v of values) {
      const lo = Number(v & 0xffffffffn),
        hi = Number(v >> 32n);
      expect(writeVarint64(new BinaryWriter(), lo, hi).finish(), String(v)).toEqual(new BinaryWriter().uint64(v).finish());
    }
    for (const v of [-1n, -2n, -22n, -(2n ** 31n), -(2n ** 63n)]) {
      const u = BigInt.asUintN(64, v);
      expect(writeVarint64(new BinaryWriter(), Number(u & 0xffffffffn), Number(u >> 32n)).finish(), String(v)).toEqual(new BinaryWriter().int64(v).finish());
    }
  });
  it('writeU64(number) == BinaryWriter.uint64 for safe integers', () => {
    for (const v of values.filter((x) => x <= 2n ** 53n - 1n))
      expect(writeU64(new BinaryWriter(), Number(v)).finish(), String(v)).toEqual(new BinaryWriter().uint64(v).finish());
  });
});
