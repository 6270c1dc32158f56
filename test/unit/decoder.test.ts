/**
 * The decoder against the C structs themselves: test/unit/decoder.c writes
 * records with the real wire headers (values derived from the record's
 * index), the decoder turns them into table files through small batches (a
 * table fills every few records, so the C loop stops and resumes often,
 * between kinds decoded in C and in TypeScript), and every value is read
 * back from the files.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tmp } from '../helpers.js';
import { Decoder } from '../../dist/record/decode.js';
import { CaptureSink, TableWriter } from '../../dist/record/writer.js';
import { readTable } from '../../dist/formats/reader.js';
import { TABLES } from '../../dist/formats/schema.js';
import * as W from '../../dist/formats/gen/events.gen.js';

const N = 700;
const idx = (k: number) => Array.from({ length: N }, (_, i) => i).filter((i) => i % 7 === k);
let dir = '';
let dec: Decoder;
const rows = (t: string) => readTable(dir, t).batches.flatMap((b) => b.toArray().map((r) => r.toJSON()));

beforeAll(() => {
  const d = tmp('ktape-dec-');
  const bin = join(d, 'records');
  execFileSync('cc', ['-Wall', '-Werror', '-I', join(ROOT, 'bpf'), '-o', bin, join(ROOT, 'test/unit/decoder.c')]);
  const bytes = execFileSync(bin, [String(N)], { maxBuffer: 64 << 20 });
  dir = join(d, 'cap');
  execFileSync('mkdir', ['-m', '700', dir]);
  const sink = new CaptureSink(dir, 'none');
  const writers: Record<string, TableWriter> = {};
  for (const t of TABLES) if (t.role === 'event') writers[t.name] = new TableWriter(dir, t.name, 16, sink);
  dec = new Decoder(writers, 4096);
  // drains of uneven sizes, cut at record boundaries
  const u32 = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
  for (let a = 0, k = 0; a < bytes.byteLength; k++) {
    let b = a;
    for (let r = 0; r < 1 + ((k * 37) % 90) && b < bytes.byteLength; r++) b += 8 + ((u32[b >> 2] + 7) & ~7);
    const ab = new ArrayBuffer(b - a);
    new Uint8Array(ab).set(bytes.subarray(a, b));
    dec.decode(ab, b - a);
    a = b;
  }
  for (const w of Object.values(writers)) w.close();
});

const ts = (i: number) => 1000000000000n + 1000n * BigInt(i);
const head = (i: number) => ({ ts: ts(i), cpu: i % 2 });

describe('decoder: wire structs to columns', () => {
  it('syscalls: every field, the 64-bit ones whole', () => {
    expect(rows('syscall_enter')).toEqual(
      idx(0).map((i) => ({
        ...head(i),
        tid: 100 + (i % 7),
        nr: i,
        ...Object.fromEntries([0, 1, 2, 3, 4, 5].map((a) => [`arg${a}`, 0x100000000n * BigInt(i) + BigInt(a)])),
      })),
    );
    expect(rows('syscall_exit')).toEqual(idx(1).map((i) => ({ ...head(i), tid: 100 + (i % 7), nr: -1, ret: -BigInt(i) })));
  });

  it('kmem: the cache flag by kind, bytes saturated to u32, the node sign-extended', () => {
    expect(rows('kmem_alloc')).toEqual(
      idx(2).map((i) => ({
        ...head(i),
        tid: 100 + (i % 7),
        cache: i % 2,
        ptr: 0xffff000000000000n + BigInt(i),
        call_site: 0xffffffff81000000n + BigInt(i),
        bytes_req: i % 4 ? i : 0xffffffff,
        bytes_alloc: 2 * i,
        gfp_flags: 0xcc0,
        node: -1,
        stack_id: -i,
      })),
    );
  });

  it('sched: switches with masked flags and the kernel-paired waits, wakeups with the paired sleeps', () => {
    expect(rows('sched_switch')).toEqual(
      idx(3).map((i) => ({
        ...head(i),
        prev_tid: 100 + (i % 7),
        next_tid: 200 + i,
        prev_state: 0x100 | (i & 0xff),
        prev_prio: 120,
        next_prio: 100 + (i % 20),
        next_flags: (i % 2 ? W.KT_NEXT_WAIT | (i % 4 === 1 ? W.KT_NEXT_WOKEN : 0) : i % 4 === 2 ? W.KT_NEXT_UNWOKEN : 0) | W.KT_NEXT_CPU_KNOWN,
        next_wait_ns: BigInt(5000 + i),
      })),
    );
    expect(rows('sched_waking')).toEqual(
      idx(4).map((i) => ({
        ...head(i),
        tid: 100 + (i % 7),
        target_cpu: i % 3,
        prio: 120,
        wakeup_new: i % 8 === 4 ? 1 : 0,
        waker_tid: 300 + i,
        slept_state: i % 3 ? (i % 2 ? 1 : 2) : 0,
        slept_ns: i % 3 ? 0x100000000n + BigInt(i) : 0n,
      })),
    );
    // no sched_wait table from format 1.9 on: the waits are on the switch rows
    expect(TABLES.find((t) => t.name === 'sched_wait')?.until).toBe('1.8');
  });

  it('task_exit rows, their comm a text column, in record order', () => {
    expect(rows('task_exit').map((r) => [r.ts, r.tid, r.exit_code, r.comm])).toEqual(idx(5).map((i) => [ts(i), 100 + (i % 7), i, 'worker']));
  });

  it('task_ids: a row whenever a tid is seen with a new tgid, from every kind that names one', () => {
    const tgidOf = new Map<number, number>();
    const want: [bigint, number, number][] = [];
    const note = (i: number, tid: number, tgid: number) => {
      if (tgidOf.get(tid) === tgid) return;
      tgidOf.set(tid, tgid);
      want.push([ts(i), tid, tgid]);
    };
    for (let i = 0; i < N; i++) {
      const tid = 100 + (i % 7);
      if (i % 7 === 1) note(i, tid, 100 + (i % 3));
      else if (i % 7 === 3) {
        note(i, tid, 100);
        note(i, 200 + i, 200);
      } else if (i % 7 === 4) {
        note(i, tid, 100);
        note(i, 300 + i, 300);
      } else if (i % 7 !== 6) note(i, tid, 100);
    }
    expect(rows('task_ids').map((r) => [r.ts, r.tid, r.tgid])).toEqual(want);
  });

  it('short records and unknown kinds are counted malformed, and events per kind', () => {
    expect(dec.stats.malformed).toBe(2 * idx(6).length);
    const ev = dec.stats.events;
    expect(ev[W.KT_SYS_ENTER]).toBe(idx(0).length);
    expect(ev[W.KT_SCHED_SWITCH]).toBe(idx(3).length);
    expect(ev[W.KT_TASK_EXIT]).toBe(idx(5).length);
    expect(ev[W.KT_KMALLOC] + ev[W.KT_KMEM_CACHE_ALLOC]).toBe(idx(2).length);
  });
});
