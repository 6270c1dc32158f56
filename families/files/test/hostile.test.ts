/**
 * Hostile paths in a capture (captures are untrusted input; paths are bytes from untrusted processes): written by
 * the recorder's writer, read through the CLI. A path that looks like SQL stays a value (the views and reports
 * bind it, never splice it), terminal escapes and newlines are escaped in the human report, quoted in CSV and
 * kept as they are in JSON; compare's path-prefix groups are escaped too.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ktape, tmp } from '../../../test/helpers.js';
import { writeCapture } from '../../../test/diff/harness.js';

const SQLISH = "/tmp/x'); DROP VIEW syscalls; --";
const ESC = '/tmp/\x1b]0;owned\x07\x1b[2J\nfake row\r\u202e';
const paths = [SQLISH, ESC, '/tmp/"quoted",comma'];

/** each path opened `times` times, failing with ENOENT */
function capture(times = 1): string {
  const dir = join(tmp(), 'cap');
  const all = paths.flatMap((p) => Array(times).fill(p) as string[]);
  writeCapture(dir, {
    manifest: { start_ts: 0, end_ts: 10_000 },
    tables: {
      file_paths: all.map((p, i) => ({ ts: 1000 * (i + 1), cpu: 0, tid: 7, tgid: 7, nr: 257, arg: 1, path: p, len: Buffer.from(p).length })),
      file_exits: all.map((_, i) => ({ ts: 1000 * (i + 1) + 100, cpu: 0, tid: 7, ret: -2, entry_tid: 7 })),
    },
  });
  return dir;
}

describe('hostile paths through the CLI', () => {
  const dir = capture();

  it('the human report escapes control characters and bidi overrides: no raw escape, no forged line', () => {
    const r = ktape(['analyze', dir, 'files']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    expect(r.stdout).toContain('\\x1b]0;owned\\x07\\x1b[2J\\nfake row\\r\\u{202e}');
    expect(r.stdout.split('\n').some((l) => l.startsWith('fake row'))).toBe(false);
    expect(r.stdout).toContain(SQLISH);
  });

  it('JSON and CSV keep the bytes as values', () => {
    const j = JSON.parse(ktape(['analyze', dir, 'files', '--json']).stdout);
    expect(j.opens.map((o: any) => o.path).sort()).toEqual([...paths].sort());
    const csv = ktape(['analyze', dir, 'files', '--csv']).stdout;
    expect(csv).toContain('"/tmp/""quoted"",comma"');
    expect(csv).toContain(`"${ESC}"`);
  });

  it('a path that looks like SQL is only a value: the views are intact afterwards', () => {
    const r = ktape(['query', dir, 'SELECT count(*) AS n FROM file_calls WHERE error = $$ENOENT$$', '--json']);
    expect(JSON.parse(r.stdout)).toEqual([{ n: 3 }]);
    expect(ktape(['query', dir, 'SELECT count(*) AS n FROM syscalls', '--json']).status).toBe(0);
  });

  it('compare groups by path prefix, escaped in its human output', () => {
    const twice = capture(2);
    const r = ktape(['compare', dir, twice, '--min-count', '1', '--no-normalize']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f\u202e]/);
    const j = JSON.parse(ktape(['compare', dir, twice, '--json', '--min-count', '1', '--no-normalize']).stdout);
    const opens = j.rows.filter((x: any) => x.metric === 'files_opens');
    // the prefix is the first two components: '/tmp/x\'); DROP VIEW syscalls; --' is one component after /tmp
    expect(opens.find((x: any) => x.group === `[path ${SQLISH}]`)).toMatchObject({ base: 1, new: 2 });
    expect(opens.find((x: any) => x.group === `[path ${ESC}]`)).toMatchObject({ base: 1, new: 2 });
  });
});
