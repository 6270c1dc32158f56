/**
 * A protobuf wire writer for the exporters' per-event path: one growable byte buffer, and nested messages
 * whose length is reserved as one byte and widened only when the message turns out to be 128 bytes or more.
 *
 * Why not @bufbuild/protobuf's BinaryWriter here: its fork() starts a new chunk list and join() copies the
 * message into its parent, so every FtraceEvent (two nested messages) cost two allocations and two copies,
 * and uint64/int64 go through a generic 64-bit conversion. An ftrace event is a few dozen bytes, so its
 * length almost always fits the reserved byte and the event is written in place. The method names and
 * semantics are BinaryWriter's (tag, uint32, int32, int64, uint64, bool, string, bytes, raw, fork, join),
 * so a family handler reads the same either way; test/unit/export-varint.test.ts holds the varint paths
 * to BinaryWriter's bytes.
 */
import type { WireType } from '@bufbuild/protobuf/wire';

const TWO32 = 4294967296;

/** bytes of the varint of a non-negative 32-bit value */
export function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/**
 * The varint of the 64-bit value hi:lo (two's complement for negatives) into buf at pos; returns the
 * new position. buf must have 10 bytes free.
 */
export function putVarint64(buf: Uint8Array, pos: number, lo: number, hi: number): number {
  lo >>>= 0;
  hi >>>= 0;
  if (hi === 0) {
    while (lo > 0x7f) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    return pos;
  }
  for (let k = 0; k < 4; k++) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  const b = (lo & 0x0f) | ((hi & 0x7) << 4);
  hi >>>= 3;
  if (hi === 0) {
    buf[pos++] = b;
    return pos;
  }
  buf[pos++] = b | 0x80;
  while (hi > 0x7f) {
    buf[pos++] = (hi & 0x7f) | 0x80;
    hi >>>= 7;
  }
  buf[pos++] = hi;
  return pos;
}

const utf8 = new TextEncoder();

export class Wire {
  buf: Uint8Array;
  pos = 0;
  /** positions of the reserved length bytes of the open messages */
  private readonly open: number[] = [];

  constructor(initial = 1 << 16) {
    this.buf = new Uint8Array(initial);
  }

  /** make room for n more bytes */
  need(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.pos));
    this.buf = b;
  }

  tag(field: number, wireType: WireType): this {
    return this.uint32((field << 3) | wireType);
  }

  uint32(v: number): this {
    this.need(5);
    const buf = this.buf;
    let p = this.pos;
    v >>>= 0;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p++] = v;
    this.pos = p;
    return this;
  }

  /** int32: negatives are sign-extended to 10 bytes, as protobuf specifies */
  int32(v: number): this {
    return v >= 0 ? this.uint32(v) : this.varint64(v >>> 0, 0xffffffff);
  }

  /** the 64-bit value hi:lo (the two 32-bit halves, e.g. of a native BIGINT) */
  varint64(lo: number, hi: number): this {
    this.need(10);
    this.pos = putVarint64(this.buf, this.pos, lo, hi);
    return this;
  }

  /** a safe integer (negatives as int64's two's complement) or a bigint */
  int64(v: number | bigint): this {
    if (typeof v === 'bigint') {
      const u = BigInt.asUintN(64, v);
      return this.varint64(Number(u & 0xffffffffn), Number(u >> 32n));
    }
    if (v >= 0 && v < 0x80000000) return this.uint32(v);
    return this.varint64(v >>> 0, Math.floor(v / TWO32));
  }

  uint64(v: number | bigint): this {
    return this.int64(v);
  }

  bool(v: boolean): this {
    return this.uint32(v ? 1 : 0);
  }

  /** a length-delimited UTF-8 string (ASCII, e.g. every comm, without an encoder call) */
  string(s: string): this {
    const n = s.length;
    if (n < 0x80) {
      this.need(n + 1);
      const buf = this.buf;
      let p = this.pos + 1;
      let k = 0;
      for (; k < n; k++) {
        const c = s.charCodeAt(k);
        if (c > 0x7f) break;
        buf[p++] = c;
      }
      if (k === n) {
        buf[this.pos] = n;
        this.pos = p;
        return this;
      }
    }
    return this.bytes(utf8.encode(s));
  }

  /** a length-delimited byte string */
  bytes(b: Uint8Array): this {
    this.uint32(b.length);
    return this.raw(b);
  }

  /** bytes as they are (already encoded fields) */
  raw(b: Uint8Array): this {
    this.need(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return this;
  }

  /** start a nested message: its length goes where the reserved byte is, at join() */
  fork(): this {
    this.need(1);
    this.open.push(this.pos++);
    return this;
  }

  join(): this {
    const at = this.open.pop()!;
    const len = this.pos - at - 1;
    if (len < 0x80) {
      this.buf[at] = len;
      return this;
    }
    // rare: the message outgrew the reserved byte; move it up by the extra length bytes
    const extra = varintSize(len) - 1;
    this.need(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    this.pos += extra;
    putVarint64(this.buf, at, len, 0);
    return this;
  }

  /** the bytes written so far (a view, valid until the next write), and start over */
  take(): Uint8Array {
    if (this.open.length) throw new Error('Wire.take() with an unfinished message');
    const out = this.buf.subarray(0, this.pos);
    this.pos = 0;
    return out;
  }
}
