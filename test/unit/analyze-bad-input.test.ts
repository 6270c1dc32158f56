/**
 * Bad-input corpus: damaged copies of a fixture. Each must give a one-line
 * `ktape: ...` error naming the file, no stack trace, exit 2.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, readFileSync, rmSync, truncateSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ktape, tmp } from '../helpers.js';

function damaged(fn: (dir: string) => void): string {
  const dir = join(tmp('ktape-bad-'), 'cap');
  cpSync(join(FIXTURES, 'demo'), dir, { recursive: true });
  fn(dir);
  return dir;
}

function expectOneLineError(args: string[], pattern: RegExp, code = 2) {
  const r = ktape(args);
  expect(r.status, r.stderr).toBe(code);
  const lines = r.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^ktape: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(r.stdout).toBe('');
  return lines[0];
}

const SW = 'sched_switch.0000.arrows';

describe('analyze: bad input', () => {
  for (const cmd of [['analyze'], ['analyze', '', 'cpu'], ['query', '', 'SELECT 1'], ['tables'], ['convert', '', '--parquet', '/tmp/ktape-never']]) {
    const run = (dir: string) => (cmd.length > 1 ? [cmd[0], dir, ...cmd.slice(2)] : [cmd[0], dir]);
    describe(cmd.filter(Boolean).join(' '), () => {
      it('truncated file: loads the complete batches and warns once', () => {
        const dir = damaged((d) => truncateSync(join(d, SW), statSync(join(d, SW)).size - 100));
        const r = ktape(run(dir));
        if (cmd[0] === 'convert') rmSync('/tmp/ktape-never', { recursive: true, force: true });
        // the demo fixture's sched_switch is a single batch: cut it and the table is empty but present
        expect(r.status, r.stderr).toBe(0);
        const warnings = r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.includes('rows missing'));
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toContain(SW);
      });
      it('zero-byte file', () => {
        const dir = damaged((d) => truncateSync(join(d, SW), 0));
        expectOneLineError(run(dir), new RegExp(`${SW}: zero-byte file`));
      });
      it('wrong magic', () => {
        const dir = damaged((d) => writeFileSync(join(d, SW), Buffer.from('PAR1 this is not arrow at all, definitely not')));
        expectOneLineError(run(dir), new RegExp(`${SW}: not a readable Arrow IPC stream`));
      });
      it('unknown format version', () => {
        const dir = damaged((d) => {
          const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
          m.format_version = '9.0';
          writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
        });
        expectOneLineError(run(dir), /manifest\.json: capture format version 9\.0 is not supported/);
      });
      it('empty capture directory', () => {
        const dir = tmp('ktape-empty-');
        expectOneLineError(run(dir), /manifest\.json: missing/);
      });
      it('missing table', () => {
        const dir = damaged((d) => rmSync(join(d, 'syscall_exit.0000.arrows')));
        expectOneLineError(run(dir), /syscall_exit.*(missing)/);
      });
      it('corrupt manifest', () => {
        const dir = damaged((d) => writeFileSync(join(d, 'manifest.json'), '{"format": "ktape-capture", '));
        expectOneLineError(run(dir), /manifest\.json: not valid JSON/);
      });
      it('not a directory / does not exist', () => {
        expectOneLineError(run('/nonexistent/ktape-capture'), /no such capture directory/);
      });
    });
  }
});

describe('analyze: torn last batch', () => {
  it('a table cut inside its (only) batch loads with the complete batches (none) and a warning', () => {
    const dir = damaged((d) => truncateSync(join(d, 'syscall_enter.0000.arrows'), 5000));
    const r = ktape(['query', dir, 'SELECT count(*) AS n FROM _syscall_enter', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0].n).toBe(0);
    expect(r.stderr).toMatch(/table syscall_enter: \d+ rows missing \(.*syscall_enter\.0000\.arrows: batch at byte \d+ is cut short\)/);
  });
  it('the rows a torn file lost are a loss that the reports name, and the capture is no longer complete', () => {
    const dir = damaged((d) => truncateSync(join(d, 'syscall_enter.0000.arrows'), 5000));
    const want = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).tables.syscall_enter.rows;
    const r = ktape(['query', dir, "SELECT kind, count, reason FROM losses WHERE reason = 'truncated'", '--json']);
    expect(JSON.parse(r.stdout)).toEqual([{ kind: 'syscall_enter', count: want, reason: 'truncated' }]);
    const s = ktape(['analyze', dir, '--json']);
    expect(s.status, s.stderr).toBe(0);
    const j = JSON.parse(s.stdout);
    expect(JSON.stringify(j)).toContain('syscall_enter');
    expect(ktape(['query', dir, 'SELECT complete FROM _capture', '--json']).stdout).toContain('false');
  });
});

describe('analyze: usage errors', () => {
  const demo = join(FIXTURES, 'demo');
  it('unknown report', () => {
    const r = ktape(['analyze', demo, 'nope']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/'nope' is invalid/);
  });
  it('bad duration', () => expectOneLineError(['analyze', demo, 'cpu', '--since', 'soon'], /--since soon: expected a duration/));
  it('bad regex', () => expectOneLineError(['analyze', demo, 'cpu', '--comm', '('], /--comm \(: not a valid regular expression/));
  it('bad memory limit', () => expectOneLineError(['analyze', demo, '--memory-limit', 'lots'], /--memory-limit lots/));
  it('SQL error is one line, exit 1', () => expectOneLineError(['query', demo, 'SELECT nope FROM threads'], /query failed: .*nope/, 1));
  it('--db refuses to overwrite a foreign file', () => {
    const f = join(tmp(), 'x.duckdb');
    writeFileSync(f, 'hello, not a database');
    expectOneLineError(['analyze', demo, '--db', f], /--db .*x\.duckdb/);
    expect(readFileSync(f, 'utf8')).toBe('hello, not a database');
  });
});
