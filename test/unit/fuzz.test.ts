/**
 * Fuzz (issue 8): a fixed seed, 200 mutations of the tiny fixture (byte flips, truncations, splices
 * and swaps of table files, hostile manifest values), each run through every command that reads a
 * capture in the built CLI. Every run must end, within the bound, with exit 0 or 2: never 70, a
 * signal, a stack trace or a hang. `npm run fuzz` runs a longer, freshly seeded one.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module shared with the long fuzz script
import { fuzz } from '../fuzz/run.mjs';

describe('fuzz: mutated captures through every reading command', () => {
  it('200 cases, seed 20261201: exit 0 or 2 every time, within 60 s a command', async () => {
    const res = await fuzz({ cases: 200, seed: 20261201, fixture: 'tiny', workers: 2, timeoutMs: 60_000 });
    console.log(`fuzz: ${res.cases} cases, ${res.runs} command runs, exits ${JSON.stringify(res.byStatus)}, ${res.failures.length} failures`);
    expect(res.failures, JSON.stringify(res.failures.slice(0, 5), null, 1)).toEqual([]);
    expect(res.runs).toBe(200 * 8);
    // the mutations must reach past the manifest: most runs load something, many are refused
    expect(res.byStatus['0']).toBeGreaterThan(200);
    expect(res.byStatus['2']).toBeGreaterThan(200);
  }, 1_800_000);
});
