/**
 * Compressed captures (issue 10, goal 4), through the built CLI: the default recording is
 * zstd-compressed, --compress lz4 and --compress none record too, and each reads the same through
 * `ktape query` (the workload's own count of getppid calls), in Polars (a second Arrow
 * implementation), with the manifest's row counts.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD } from '../helpers.js';
import { bodyCodecs, readBoth } from '../second-reader.js';

const skipOutsideCI = privilegedSkipReason();
const CALLS = 30_000;

function recordWith(codec: string | null): string {
  const dir = join(tmp(), 'cap');
  const flag = codec === null ? [] : ['--compress', codec];
  const r = ktape(['record', '-q', '-o', dir, '--events', 'syscall,sched', '--kallsyms', 'used', ...flag, '--', WORKLOAD, 'getppid', String(CALLS)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  expect(r.status, r.stderr).toBe(0);
  return dir;
}

const answer = (dir: string) => {
  const q = ktape(['query', dir, "SELECT count(*) AS n, count(DISTINCT tid) AS tids FROM syscalls WHERE name = 'getppid'", '--json']);
  expect(q.status, q.stderr).toBe(0);
  return JSON.parse(q.stdout);
};

describe.skipIf(skipOutsideCI !== null)('compressed recordings', () => {
  it("default (zstd), lz4 and none: the workload's calls, every file read by Polars with the manifest rows", () => {
    for (const [codec, expectCodec] of [
      [null, 'zstd'],
      ['lz4', 'lz4'],
      ['none', 'none'],
    ] as const) {
      const dir = recordWith(codec);
      const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      expect(manifest.options.compress).toBe(expectCodec);
      // the workload's N calls, and the one outside its loop when the recording had started by then (runs
      // differ by it; the same capture under each codec answers identically: test/e2e/compressed-capture)
      const [got] = answer(dir);
      expect(got.tids, `--compress ${codec}`).toBe(1);
      expect(got.n, `--compress ${codec}`).toBeGreaterThanOrEqual(CALLS);
      expect(got.n, `--compress ${codec}`).toBeLessThanOrEqual(CALLS + 1);
      // the syscall tables' batches are compressed with that codec (none: not at all)
      expect(bodyCodecs(join(dir, 'syscall_enter.0000.arrows'))).toEqual(new Set([expectCodec]));
      const { files } = readBoth(dir);
      for (const f of files) {
        expect(f.polars, f.file).toBe(f.ktape);
        const rows = manifest.tables[f.file.replace(/\.\d{4}\.arrows$/, '')].rows;
        if (rows >= 0) expect(f.polars, f.file).toBe(rows);
      }
    }
  });
});
