/**
 * The files report on the files fixture (fixtures/README.md), unprivileged: a golden JSON (review every change;
 * rewrite with UPDATE_GOLDEN=1 npx vitest run families/files/test/golden.test.ts), held to the workload's own list
 * of paths, counts and results as it printed them (fixtures/files.workload.json); hostile names escaped in the
 * human report and kept as values in JSON and CSV; and the one-line note on captures without files events.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, ROOT, fixtureWorkload, ktape, expectGolden, analyzeOk } from '../../../test/helpers.js';

const EXPECTED = join(ROOT, 'families/files/test/expected/analyze-files.files.json');
const NOTE = 'this capture has no files events: record with --events files';
const CAP = join(FIXTURES, 'files');

describe('files report on the files fixture', () => {
  const wl = fixtureWorkload('files');
  const run = (...args: string[]) => analyzeOk(CAP, 'files', '--top', '1000', ...args);
  const kept = (p: string) => Buffer.from(p).subarray(0, 256).toString();

  it('--json matches the golden file', () => {
    const got = JSON.parse(run('--json'));
    expectGolden(EXPECTED, got);
  });

  it("agrees with the workload's own list: each path's count, errors and cut mark; the exec's argv", () => {
    const rep = JSON.parse(run('--json'));
    for (const o of wl.opens) {
      const r = rep.opens.find((x: any) => x.tgid === wl.pid && x.path === kept(o.path));
      expect(r, o.path).toBeTruthy();
      expect(r.count).toBe(o.count);
      expect(r.errors).toBe(o.ret < 0 ? o.count : 0);
      expect(r.errnos).toBe(o.ret < 0 ? `ENOENT ${o.count}` : null);
      expect(r.cut).toBe(Buffer.from(o.path).length > 256 ? o.count : 0);
    }
    expect(rep.execs.find((e: any) => e.tgid === wl.exec.pid)).toMatchObject({ path: wl.exec.path, argv: wl.exec.argv, ret: 0 });
  });

  it('the hostile name: escaped in the human report, a quoted value in CSV, itself in JSON and in the syscalls view', () => {
    const evil = wl.opens[4].path;
    const human = run();
    expect(human).not.toContain('\x1b');
    expect(human).toContain('evil\\n"q\\x1b[31mred');
    expect(run('--csv')).toContain(`"${evil.replace(/"/g, '""')}"`);
    const q = ktape(['query', CAP, `SELECT count(*) AS n FROM syscalls WHERE path = $$${evil}$$`, '--json']);
    // its creation (mknod), its open and the rename from it
    expect(JSON.parse(q.stdout)).toEqual([{ n: 3 }]);
  });

  it('the summary counts the path syscalls as file_calls does', () => {
    const s = JSON.parse(ktape(['analyze', CAP, 'summary', '--json']).stdout);
    const [q] = JSON.parse(ktape(['query', CAP, 'SELECT count(*) AS calls, count(*) FILTER (WHERE failed) AS failed FROM file_calls', '--json']).stdout);
    expect(s.files).toMatchObject(q);
    expect(s.files.calls).toBeGreaterThan(0);
  });

  it('--pid keeps only that process', () => {
    const j = JSON.parse(run('--json', '--pid', String(wl.exec.pid)));
    expect(j.opens.every((o: any) => o.tgid === wl.exec.pid)).toBe(true);
    expect(j.execs).toHaveLength(1);
  });

  it('captures without files events (format 1.0, and 1.5 without files): the one-line note, exit 0', () => {
    for (const f of ['demo', 'io']) {
      const r = ktape(['analyze', join(FIXTURES, f), 'files']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout.trim()).toBe(NOTE);
      const j = ktape(['analyze', join(FIXTURES, f), 'files', '--json']);
      expect(JSON.parse(j.stdout).notes).toEqual([NOTE]);
      const q = ktape(['query', join(FIXTURES, f), 'SELECT count(*) AS n, count(path) AS paths FROM syscalls', '--json']);
      expect(q.status).toBe(0);
      expect(JSON.parse(q.stdout)[0].paths).toBe(0);
    }
  });
});
