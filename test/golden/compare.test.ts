/**
 * Golden output of `ktape compare` on the fixture pair. The expected files
 * are committed; review a diff, then rewrite them with
 *   UPDATE_GOLDEN=1 npx vitest run test/golden/compare.test.ts
 * (needed after the fixtures are re-recorded: pids and timings change).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, ktape } from '../helpers.js';

const EXPECTED = join(ROOT, 'test/golden/expected');

function golden(name: string, actual: string) {
  const path = join(EXPECTED, name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.UPDATE_GOLDEN !== '1' && process.env.CI === 'true') throw new Error(`${path}: missing golden file (run with UPDATE_GOLDEN=1)`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

describe('golden: ktape compare fixtures/cmp-base fixtures/cmp-new', () => {
  it('--json', () => {
    // relative paths, run from the repository root, so that the output does not depend on the checkout location
    const r = ktape(['compare', 'fixtures/cmp-base', 'fixtures/cmp-new', '--json'], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    golden('compare-cmp.json', r.stdout);
  });

  it('text table, --no-normalize', () => {
    const r = ktape(['compare', 'fixtures/cmp-base', 'fixtures/cmp-new', '--no-normalize', '--top', '0'], { cwd: ROOT });
    expect(r.status).toBe(0);
    golden('compare-cmp-raw.txt', r.stdout);
  });
});
