/**
 * Pure-JS batch drain of the BPF ring buffer: the alternative to the C shim
 * in record/ktring.c (record/ring.ts), with the same interface and the same
 * output layout (repeated: u32 len, u32 0, payload padded to 8).
 *
 * The ring is mmapped through libc (via koffi) exactly as libbpf does it:
 * one read-write page holding consumer_pos, then a read-only producer page
 * followed by the data area, which the kernel maps twice back to back so
 * that a record wrapping the end is contiguous. koffi.view() turns both
 * mappings into ArrayBuffers; positions and record headers are read with
 * Atomics so neither the JIT nor the CPU reorders them.
 *
 * Committed records in the ring already have the output layout except for
 * the header's second word (the kernel's page offset), so a drain scans the
 * headers, copies the whole committed run with ONE Uint8Array.set (a
 * memcpy), then zeroes the second header word of each copied record.
 * Discarded records split the run. No FFI call per drain at all.
 *
 * Selected with KTAPE_RING=js (see record/recorder.ts); the benchmark in
 * bench/transport.ts compares it with the shim.
 */
import koffi from 'koffi';
import { BpfError } from '../formats/errors.js';

const RB_BUSY_BIT = 0x80000000;
const RB_DISCARD_BIT = 0x40000000;
const RB_LEN_MASK = 0x3fffffff;
/** x86-64 keeps loads in order (TSO); other CPUs need Atomics.load for the record header. */
const ORDERED_LOADS = process.arch === 'x64' || process.arch === 'ia32';
const PROT_READ = 1,
  PROT_WRITE = 2,
  MAP_SHARED = 1;

let libc: ReturnType<typeof bindLibc> | null = null;
function bindLibc() {
  const l = koffi.load('libc.so.6');
  return {
    mmap: l.func('void *mmap(void *addr, size_t len, int prot, int flags, int fd, int64_t off)'),
    munmap: l.func('int munmap(void *addr, size_t len)'),
    sysconf: l.func('long sysconf(int name)'),
  };
}
function getLibc() {
  if (!libc) libc = bindLibc();
  return libc;
}
const _SC_PAGESIZE = 30;

function isMapFailed(p: unknown): boolean {
  // MAP_FAILED is (void *)-1; koffi returns null for NULL and an external for others
  if (!p) return true;
  return koffi.address(p) === 0xffffffffffffffffn;
}

export class JsRing {
  readonly buf: ArrayBuffer;
  private u8: Uint8Array;
  private u32: Uint32Array;
  private consMap: unknown = null;
  private prodMap: unknown = null;
  private page: number;
  /** consumer_pos and producer_pos (unsigned long), accessed with Atomics */
  private cons64: BigUint64Array;
  private prod64: BigUint64Array;
  /** data area, mapped twice: [0, 2*size) */
  private data8: Uint8Array;
  private data32: Int32Array;
  private mask: number;
  private n = 0;
  constructor(
    mapFd: number,
    readonly size: number,
    drainBytes: number,
  ) {
    const c = getLibc();
    this.page = Number(c.sysconf(_SC_PAGESIZE));
    this.mask = size - 1;
    const cons = c.mmap(null, this.page, PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0);
    if (isMapFailed(cons)) throw new BpfError('E_RING_MMAP', `mapping the ring buffer (${size} bytes): mmap failed; lower --buffer-mb`);
    const prod = c.mmap(null, this.page + 2 * size, PROT_READ, MAP_SHARED, mapFd, this.page);
    if (isMapFailed(prod)) {
      c.munmap(cons, this.page);
      throw new BpfError('E_RING_MMAP', `mapping the ring buffer (${size} bytes): mmap failed; lower --buffer-mb`);
    }
    this.consMap = cons;
    this.prodMap = prod;
    this.cons64 = new BigUint64Array(koffi.view(cons, this.page), 0, 1);
    const prodAb = koffi.view(prod, this.page + 2 * size);
    this.prod64 = new BigUint64Array(prodAb, 0, 1);
    this.data8 = new Uint8Array(prodAb, this.page, 2 * size);
    this.data32 = new Int32Array(prodAb, this.page, (2 * size) >>> 2);
    this.buf = new ArrayBuffer(drainBytes);
    this.u8 = new Uint8Array(this.buf);
    this.u32 = new Uint32Array(this.buf);
  }

  // Positions are byte counters since the map was created; as Numbers they
  // stay exact up to 2^53 bytes (8 PiB) of ring traffic.
  private consPos(): number {
    return Number(Atomics.load(this.cons64, 0));
  }
  private prodPos(): number {
    return Number(Atomics.load(this.prod64, 0));
  }

  /** Copy committed records into this.buf; returns bytes used (0 = empty). */
  drain(): number {
    if (!this.consMap) return 0;
    const cons0 = this.consPos();
    const avail = this.prodPos() - cons0; // <= size
    const cap = this.u8.length;
    const d32 = this.data32,
      out32 = this.u32,
      mask = this.mask;
    // Positions relative to cons0 stay below 2^31 (avail <= size <= 2 GiB),
    // so the loop runs on small integers; the data area is mapped twice, so
    // ring offsets base + rel never need wrapping within one drain.
    const base = cons0 & mask;
    let rel = 0; // bytes consumed so far
    let off = 0; // bytes written
    let n = 0;
    let runStart = 0; // ring offset (relative) where the current run of kept records began
    let runOut = 0;
    while (rel < avail) {
      // x86 loads are not reordered with other loads, and the copy below is a
      // call the JIT cannot hoist above this load: a plain read suffices there;
      // elsewhere Atomics.load gives the acquire the kernel's smp_store_release needs.
      const len = ORDERED_LOADS ? d32[(base + rel) >>> 2] >>> 0 : Atomics.load(d32, (base + rel) >>> 2) >>> 0;
      if (len & RB_BUSY_BIT) break;
      const adv = ((len & RB_LEN_MASK) + 15) & ~7;
      if (len & RB_DISCARD_BIT) {
        if (rel > runStart) off = this.copyRun(base + runStart, rel - runStart, runOut);
        rel += adv;
        runStart = rel;
        runOut = off;
        continue;
      }
      if (off + (rel - runStart) + adv > cap) break;
      rel += adv;
      n++;
    }
    if (rel > runStart) off = this.copyRun(base + runStart, rel - runStart, runOut);
    void out32;
    this.n = n;
    // release: the records are copied before the kernel may reuse their space
    Atomics.store(this.cons64, 0, BigInt(cons0 + rel));
    return off;
  }

  /** Copy `len` bytes of committed records from ring offset `at` to the output at `out`; zero each header's second word. Returns the new output end. */
  private copyRun(at: number, len: number, out: number): number {
    this.u8.set(this.data8.subarray(at, at + len), out);
    const o32 = this.u32;
    const end = out + len;
    for (let o = out; o < end; ) {
      const i = o >>> 2;
      o32[i + 1] = 0;
      o += (o32[i] + 15) & ~7;
    }
    return end;
  }
  get lastRecords(): number {
    return this.n;
  }
  close(): void {
    if (!this.consMap) return;
    const c = getLibc();
    c.munmap(this.prodMap, this.page + 2 * this.size);
    c.munmap(this.consMap, this.page);
    this.consMap = this.prodMap = null;
  }
}
