/**
 * The CLI loads only the chunks (dist/cli/chunk-*.cjs, scripts/bundle.mjs) a command line needs: `ktape --version`
 * none of a subcommand's (no analyzer, DuckDB, recorder or exporter). Seen by a preload that logs every chunk
 * cli/launch.ts reads.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, tmp } from '../helpers.js';

const PRELOAD = `const fs = require('node:fs');
const read = fs.readFileSync;
fs.readFileSync = function (p, ...a) {
  const m = /(chunk-[^/]*)\\.cjs$/.exec(String(p));
  if (m) process.stderr.write('chunk ' + m[1] + '\\n');
  return read.call(this, p, ...a);
};
`;

/** run the CLI with the preload: its stdout and the chunks it loaded */
function chunks(args: string[]): { status: number | null; stdout: string; loaded: string[] } {
  const preload = join(tmp(), 'log-chunks.cjs');
  writeFileSync(preload, PRELOAD);
  const r = spawnSync(process.execPath, ['-r', preload, CLI, ...args], { encoding: 'utf8' });
  const loaded = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('chunk '))
    .map((l) => l.slice(6));
  return { status: r.status, stdout: r.stdout, loaded };
}

describe('lazy CLI', () => {
  const heavy = /^chunk-(analyze|db|lib|record|export|demo|compare|report|ship)-/;

  it('--version prints the version and loads no subcommand', () => {
    const r = chunks(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(r.loaded.filter((c) => heavy.test(c))).toEqual([]);
  });

  it('the preload sees chunks: --help loads every subcommand (it lists them)', () => {
    const r = chunks(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('analyze');
    expect(r.loaded.filter((c) => heavy.test(c)).length).toBeGreaterThan(0);
  });
});
