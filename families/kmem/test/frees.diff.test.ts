/**
 * Diff tests: slab frees without a matching allocation in the capture.
 *
 * allocations pairs each allocation with the next event of the same address when that is a free.
 * A free of an object allocated before the capture started has no allocation: it must not appear,
 * and must not pair with a later allocation of the same address. Capture [0, 10000].
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { diffTest } from '../../../test/diff/harness.js';
import { writeCapture } from '../../../test/diff/capture-builder.js';
import { ktape, tmp } from '../../../test/helpers.js';

const BASE = 0xffff888000000000n;
const P1 = BASE + 0x1000n,
  P2 = BASE + 0x2000n,
  P3 = BASE + 0x3000n;
const SITE_A = 0xffffffff81000000n,
  SITE_B = 0xffffffff81001000n;
const alloc = (ts: number, tid: number, ptr: bigint, bytes: number, cache = 0, site = SITE_A) => ({
  ts,
  cpu: 0,
  tid,
  cache,
  ptr,
  call_site: site + 0x10n,
  bytes_req: bytes,
  bytes_alloc: bytes,
  gfp_flags: 0xcc0,
  node: -1,
  stack_id: -1,
});
const free = (ts: number, tid: number, ptr: bigint, cache = 0) => ({ ts, cpu: 0, tid, cache, ptr, call_site: SITE_B + 0x20n });

const manifest = { start_ts: 0, end_ts: 10_000 };
const tables = {
  kallsyms: [
    { addr: SITE_A, type: 'T', name: 'site_a' },
    { addr: SITE_B, type: 'T', name: 'site_b' },
  ],
  kmem_alloc: [
    alloc(2000, 10, P2, 64),
    alloc(4000, 10, P3, 128, 1, SITE_B), // never freed
    alloc(4500, 10, 0n, 256), // failed allocation: left out
    alloc(5000, 12, P2, 32), // P2 again, after its free
  ],
  kmem_free: [
    free(1000, 10, P1), // allocated before the capture
    free(1500, 10, P3), // allocated before the capture; P3 is allocated again at 4000
    free(3000, 11, P2),
    free(3500, 11, P2), // a second free of P2 (its allocation not recorded)
    free(6000, 12, P2),
  ],
};

describe('frees without allocations', () => {
  diffTest('allocations: only allocations, each with its own free', {
    manifest,
    tables,
    via: 'cli',
    query: `SELECT ts, tid, kind, printf('%x', ptr - ${BASE}::UBIGINT) AS ptr_off, bytes, call_site_symbol, free_ts, free_tid, lifetime, outstanding
            FROM allocations ORDER BY ts`,
    csv: `
      ts,tid,kind,ptr_off,bytes,call_site_symbol,free_ts,free_tid,lifetime,outstanding
      2000,10,kmalloc,2000,64,site_a,3000,11,1000,false
      4000,10,kmem_cache,3000,128,site_b,,,,true
      5000,12,kmalloc,2000,32,site_a,6000,12,1000,false`,
  });

  diffTest('leaks: outstanding at the end is the never-freed allocation only', {
    manifest,
    tables,
    analyze: ['leaks'],
    section: 'stacks',
    columns: ['bytes', 'count', 'oldest_age_ns', 'call_site_symbol', 'stack_id'],
    csv: `
      bytes,count,oldest_age_ns,call_site_symbol,stack_id
      128,1,6000,site_b,`,
  });

  diffTest('leaks --at 2500ns: the allocation live then, not the unmatched frees', {
    manifest,
    tables,
    analyze: ['leaks', '--at', '2500ns'],
    section: 'stacks',
    columns: ['bytes', 'count', 'oldest_age_ns', 'call_site_symbol'],
    csv: `
      bytes,count,oldest_age_ns,call_site_symbol
      64,1,500,site_a`,
  });

  diffTest('raw frees are all loaded (event_counts)', {
    manifest,
    tables,
    query: "SELECT table_name, events FROM event_counts WHERE table_name LIKE 'kmem%' ORDER BY table_name",
    csv: `
      table_name,events
      kmem_alloc,4
      kmem_free,5`,
  });
});

describe('allocations without a stack', () => {
  it('leaks says how many allocations have no kernel stack and why', () => {
    const dir = join(tmp('ktape-diff-'), 'cap');
    const noStack = (ts: number, ptr: bigint, stack_id: number) => ({ ...alloc(ts, 10, ptr, 64), stack_id });
    writeCapture(dir, { manifest, tables: { ...tables, kmem_alloc: [noStack(2000, P1, -17), noStack(2100, P2, -17), noStack(2200, P3, -14)] } });
    const text = ktape(['analyze', dir, 'leaks']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      '3 allocations in the capture have no kernel stack (2 stack-map bucket clashes, 1 errors; stats stack_collisions, stack_errors)',
    );
    const json = JSON.parse(ktape(['analyze', dir, 'leaks', '--json']).stdout);
    expect(json.notes.some((n: string) => n.startsWith('3 allocations'))).toBe(true);
  });
});
