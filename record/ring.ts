/**
 * Batch drain of the BPF ring buffer through the tiny C shim record/ktring.c
 * (built into build/libktring.so). One FFI call per drain moves every
 * committed record into a reusable buffer; there is no callback per record.
 */
import koffi from 'koffi';
import { existsSync } from 'node:fs';
import { BpfError } from '../formats/errors.js';
import { pkgPath } from './paths.js';

let shim: ReturnType<typeof bindShim> | null = null;
function bindShim() {
  const path = pkgPath('build/libktring.so');
  if (!existsSync(path)) throw new BpfError('E_SHIM_MISSING', `loading ${path}: not built; run \`npm run build\``);
  const l = koffi.load(path);
  koffi.opaque('ktring');
  koffi.opaque('kt_dec');
  return {
    open: l.func('ktring *ktring_open(int map_fd, uint64_t size)'),
    drain: l.func('int64_t ktring_drain(ktring *r, uint8_t *out, uint64_t cap, _Out_ uint32_t *n)'),
    close: l.func('void ktring_close(ktring *r)'),
    decNew: l.func('kt_dec *kt_dec_new(const int32_t *plan, uint32_t plan_len, uint32_t kind_max, uint32_t nslots)'),
    decSlot: l.func('void kt_dec_slot(kt_dec *d, uint32_t i, uint8_t *buf)'),
    decRoom: l.func('int kt_dec_room(kt_dec *d, int32_t table, int32_t offsets, uint32_t need, uint64_t cap)'),
    decState: l.func(
      'void kt_dec_state(kt_dec *d, uint32_t *rows, uint32_t *cap, double *events, double *malformed, int32_t *tgid_of, uint32_t ntgid, const int32_t *ids)',
    ),
    decode: l.func('uint64_t kt_decode(kt_dec *d, const uint8_t *buf, uint64_t off, uint64_t len, int32_t *stop)'),
    decFree: l.func('void kt_dec_free(kt_dec *d)'),
    clocks: l.func('void kt_clocks(_Out_ int64_t *out)'),
    progStats: l.func('int kt_prog_stats(int fd, _Out_ uint64_t *run_time_ns, _Out_ uint64_t *run_cnt, _Out_ uint64_t *recursion_misses)'),
  };
}

export function getShim() {
  if (!shim) shim = bindShim();
  return shim;
}

/** CLOCK_BOOTTIME, CLOCK_MONOTONIC and CLOCK_REALTIME read back to back (ns). */
export function readClocks(): { boottime: bigint; monotonic: bigint; realtime: bigint } {
  const out = new BigInt64Array(3);
  getShim().clocks(out);
  return { boottime: out[0], monotonic: out[1], realtime: out[2] };
}

/** run_time_ns / run_cnt of a loaded BPF program (0 unless BPF stats are on) and its recursion misses. */
export function progStats(fd: number): { runTimeNs: bigint; runCnt: bigint; recursionMisses: bigint } | null {
  const t = new BigUint64Array(1),
    c = new BigUint64Array(1),
    m = new BigUint64Array(1);
  if (getShim().progStats(fd, t, c, m) < 0) return null;
  return { runTimeNs: t[0], runCnt: c[0], recursionMisses: m[0] };
}

export class Ring {
  private h: unknown;
  readonly buf: ArrayBuffer;
  private u8: Uint8Array;
  private n = [0];
  constructor(
    mapFd: number,
    readonly size: number,
    drainBytes: number,
  ) {
    this.h = getShim().open(mapFd, size);
    if (!this.h) throw new BpfError('E_RING_MMAP', `mapping the ring buffer (${size} bytes): mmap failed; lower --buffer-mb`);
    this.buf = new ArrayBuffer(drainBytes);
    this.u8 = new Uint8Array(this.buf);
  }
  /** Copy committed records into this.buf; returns bytes used (0 = empty). */
  drain(): number {
    return Number(shim!.drain(this.h, this.u8, this.u8.length, this.n));
  }
  get lastRecords(): number {
    return this.n[0];
  }
  close(): void {
    if (this.h) shim!.close(this.h);
    this.h = null;
  }
}
