/**
 * malloc_trim(0) every TRIM_MS for every recording: the recorder's drain loop owns the cadence (record/malloc-trim.ts
 * Trimmer), plain recordings and --ring/--rotate alike, and nothing else calls it (the flight recorder used to, from its
 * own tick: with the loop's call too it would trim twice).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const mod = () => import(join(ROOT, 'dist/record/malloc-trim.js'));

describe('malloc_trim cadence', () => {
  it('a Trimmer trims once per TRIM_MS of the clock it is given, not before', async () => {
    const { Trimmer, TRIM_MS } = await mod();
    let n = 0;
    const t = new Trimmer(1000, () => n++);
    t.tick(1000);
    t.tick(1000 + TRIM_MS - 1);
    expect(n, 'not before TRIM_MS').toBe(0);
    t.tick(1000 + TRIM_MS);
    t.tick(1000 + TRIM_MS + 10);
    expect(n, 'once at TRIM_MS').toBe(1);
    t.tick(1000 + 2 * TRIM_MS + 10);
    expect(n).toBe(2);
    expect(t.calls).toBe(2);
  });

  it('on glibc the real malloc_trim is bound and callable', async () => {
    const { mallocTrim, mallocTrimAvailable } = await mod();
    const glibc = (process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;
    expect(mallocTrimAvailable(), `glibc ${glibc ?? 'absent'}`).toBe(glibc !== undefined);
    expect(typeof mallocTrim()).toBe('boolean');
  });

  it('only the drain loop (record/recorder.ts) makes a Trimmer; nothing else calls mallocTrim', () => {
    const dir = join(ROOT, 'record');
    const users = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && f !== 'malloc-trim.ts')
      .filter((f) => /\bmallocTrim\b|\bnew Trimmer\b/.test(readFileSync(join(dir, f), 'utf8')));
    expect(users).toEqual(['recorder.ts']);
    const loop = readFileSync(join(dir, 'recorder.ts'), 'utf8');
    expect(loop.match(/new Trimmer\(/g)?.length, 'one Trimmer').toBe(1);
    expect(loop.match(/\.tick\(now\)/g)?.length, 'ticked once per drain round').toBe(1);
  });
});
