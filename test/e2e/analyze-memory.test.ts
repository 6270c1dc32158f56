/**
 * Issue 10, goal 6, through the built CLI: without --memory-limit the analyzer bounds DuckDB to its share
 * of a default budget (a quarter of RAM, at most 4 GiB) instead of DuckDB's 80% of RAM, and DuckDB spills
 * into a private (0700) temporary directory, removed on exit, instead of ./.tmp of the working directory.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { FIXTURES, ROOT, ktape } from '../helpers.js';

const DEMO = join(FIXTURES, 'demo');
const SQL = "SELECT current_setting('memory_limit') AS m, current_setting('temp_directory') AS t";

/** DuckDB's rendering of a size ('2.1 GiB', '524.0 MiB') in MiB */
function mib(s: string): number {
  const m = /^([\d.]+)\s*(KiB|MiB|GiB|TiB)$/.exec(s);
  expect(m, s).not.toBeNull();
  return (Number(m![1]) * 1024 ** ['KiB', 'MiB', 'GiB', 'TiB'].indexOf(m![2])) / 1024;
}

describe('analyzer memory', () => {
  it('bounds DuckDB by default, to its share of min(RAM/4, 4 GiB), and spills to a private directory', async () => {
    const { defaultMemoryLimit, duckMemoryLimit } = await import(join(ROOT, 'dist/analyze/db.js'));
    const budget = Math.min(4 * 1024, totalmem() / 4 / 2 ** 20);
    expect(Number.parseInt(defaultMemoryLimit(), 10)).toBe(Math.floor(budget));
    const want = Number.parseInt(duckMemoryLimit(defaultMemoryLimit()), 10);
    const r = ktape(['query', DEMO, SQL, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [{ m, t }] = JSON.parse(r.stdout);
    expect(Math.abs(mib(m) - want) / want).toBeLessThan(0.05);
    expect(mib(m)).toBeLessThan((0.8 * totalmem()) / 2 ** 20 / 2);
    expect(t.startsWith(join(tmpdir(), 'ktape-db-'))).toBe(true);
    expect(existsSync(t)).toBe(false); // removed with the database on exit
  });
  it('--memory-limit sets the budget instead (DuckDB gets 55% of it)', () => {
    const r = ktape(['query', DEMO, SQL, '--json', '--memory-limit', '1GB']);
    expect(r.status, r.stderr).toBe(0);
    expect(Math.round(mib(JSON.parse(r.stdout)[0].m))).toBe(524); // 55% of 1e9 bytes
  });
  it('the private directory is owner-only while it exists', async () => {
    const { openCapture } = await import(join(ROOT, 'dist/analyze/db.js'));
    const cap = await openCapture(DEMO, { onWarning: () => {} });
    const [{ t }] = await cap.query<{ t: string }>(SQL);
    const dir = join(t, '..');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    cap.close();
    expect(existsSync(dir)).toBe(false);
  });
});
