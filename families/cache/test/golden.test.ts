/**
 * The cache report on the cache fixture (fixtures/README.md), unprivileged: a golden JSON (review every change;
 * rewrite with UPDATE_GOLDEN=1 npx vitest run families/cache/test/golden.test.ts), held to the workload's own
 * counts, its mincore residency and /proc/self/io as it printed them (fixtures/cache.workload.json); and the
 * one-line note on a capture that has no cache events (an older format, or cache not recorded).
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, fixtureWorkload, ktape, tmp, expectGolden, analyzeOk, expectNoEventsNote } from '../../../test/helpers.js';

const EXPECTED = join(ROOT, 'families/cache/test/expected/analyze-cache.cache.json');
const NOTE = 'this capture has no cache events: record with --events cache';
const PAGE = 4096;

describe('cache report on the cache fixture', () => {
  const wl = fixtureWorkload('cache');
  const run = (...args: string[]) => analyzeOk(join(FIXTURES, 'cache'), 'cache', ...args);

  it('--json matches the golden file', () => {
    const got = JSON.parse(run('--json'));
    expectGolden(EXPECTED, got);
  });

  it('agrees with the workload: a cold read is all misses, the warm one all hits, the writes what /proc/self/io counted', () => {
    expect(wl).toMatchObject({ pages: 256, resident_before_cold: 0, resident_before_warm: 256 });
    const j = JSON.parse(run('--json'));
    const f = j.by_file.find((r: any) => r.tgid === wl.pid && Number(r.ino) === wl.ino);
    expect(f).toMatchObject({ read_misses: wl.pages, read_hits: wl.pages, write_hits: wl.overwrite.proc_write_bytes / PAGE, hit_pct: 50 });
    const fresh = j.by_file.filter((r: any) => r.tgid === wl.pid && r.write_misses === wl.new_pages);
    expect(fresh.map((r: any) => r.dirtied)).toEqual([wl.new.proc_write_bytes / PAGE]);
    expect(j.meminfo.map((m: any) => m.phase)).toEqual(['start', 'end']);
  });

  it('--pid keeps only that process; --csv has the sections', () => {
    const j = JSON.parse(run('--json', '--pid', '1'));
    expect(j.by_process).toEqual([]);
    expect(j.by_file).toEqual([]);
    expect(j.meminfo).toHaveLength(2);
    const csv = run('--csv');
    expect(csv).toMatch(/^# meminfo\n/);
    expect(csv).toContain(`\n${wl.pid},ktape-workload,254:0,${wl.ino},${wl.pages},${wl.pages},50,`);
  });

  it('exports: Chrome has the per-process counters, Perfetto writes', () => {
    const out = join(tmp(), 'cache.json');
    expect(ktape(['export', join(FIXTURES, 'cache'), '--chrome', out]).status).toBe(0);
    const evs = JSON.parse(readFileSync(out, 'utf8')).traceEvents.filter((e: any) => e.cat === 'cache' && e.pid === wl.pid);
    const p = JSON.parse(run('--json')).by_process.find((r: any) => r.tgid === wl.pid);
    expect(evs.at(-1).args).toEqual({ read_hits: p.read_hits, read_misses: p.read_misses, dirtied: p.dirtied });
    expect(ktape(['export', join(FIXTURES, 'cache'), '--perfetto', join(tmp(), 'cache.pftrace')]).status).toBe(0);
  });

  it('the summary has the page cache figures of the report', () => {
    const r = ktape(['analyze', join(FIXTURES, 'cache'), 'summary', '--json']);
    expect(r.status).toBe(0);
    const s = JSON.parse(r.stdout);
    const p = JSON.parse(run('--json')).by_process;
    const sum = (k: string) => p.reduce((a: number, x: any) => a + x[k], 0);
    expect(s.cache).toEqual({ read_hits: sum('read_hits'), read_misses: sum('read_misses'), dirtied: sum('dirtied') });
    expect(s.top_cache[0]).toMatchObject({ tgid: wl.pid, comm: 'ktape-workload' });
  });

  it('captures without cache events (format 1.0; format 1.5 with io only): the one-line note, exit 0', () => {
    for (const name of ['demo', 'io']) {
      expectNoEventsNote(join(FIXTURES, name), 'cache', NOTE);
    }
    // and its views load empty
    const q = ktape(['query', join(FIXTURES, 'demo'), 'SELECT count(*) AS n FROM cache_pages', '--json']);
    expect(q.status).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 0 }]);
  });
});
