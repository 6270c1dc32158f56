/**
 * The files family against the live kernel, through the built CLI. Ground truth: the workload's own list
 * (build/ktape-workload files DIR N): the paths it opened, how many times, and with what result (0 or -errno,
 * from the calls themselves), a rename and an unlink, and the argv of an execve it made. Paths longer than the
 * bound (256 bytes) must be cut there and marked; a name with a newline, a quote and an escape sequence, and one
 * that is not UTF-8, must come back as they are (JSON, CSV) and escaped in the human report.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD, queryRows } from '../../../test/helpers.js';
import { decodeTrace } from '../../../test/e2e/export.helpers.js';

const skipOutsideCI = privilegedSkipReason();
const BOUND = 256;
const N = 5;

type Row = Record<string, any>;

/** what ktape stores of a path: its first 256 bytes (the workload's long paths are ASCII) */
const kept = (p: string) => {
  const b = Buffer.from(p);
  return b.length > BOUND ? b.subarray(0, BOUND).toString() : p;
};

/** record the files workload under `events`; returns the capture and what the workload printed */
function record(events: string): { dir: string; wl: Row } {
  const dir = join(tmp(), 'cap');
  const data = mkdtempSync(join(tmp(), 'files-'));
  try {
    const r = ktape(['record', '-o', dir, '--events', events, '--', WORKLOAD, 'files', data, String(N)]);
    expect(r.status, r.stderr).toBe(0);
    const wl = r.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .find((l) => l.mode === 'files');
    expect(wl).toBeTruthy();
    return { dir, wl };
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

describe.skipIf(skipOutsideCI)('files family: recorded workload with known paths', () => {
  let dir: string;
  let wl: Row;
  const query = (sql: string): Row[] => queryRows(dir, sql);

  beforeAll(() => {
    ({ dir, wl } = record('files,syscall,task'));
  });

  it('the workload did what it says (its own ground truth)', () => {
    expect(wl.opens.map((o: Row) => [o.count, o.ret])).toEqual([
      [N, 0],
      [N, -2],
      [1, 0],
      [1, -2],
      [1, 0],
      [1, -2],
    ]);
    expect(Buffer.from(wl.opens[2].path).length).toBeGreaterThan(BOUND);
    expect(Buffer.from(wl.opens[3].path).length).toBeGreaterThan(BOUND);
    expect(wl.opens[4].path).toMatch(/\n"q\x1b\[31mred$/);
    expect(wl.exec.status).toBe(7);
  });

  it('each opened path appears with its count and result; the long ones cut at 256 bytes and marked cut', () => {
    const rows = query(`SELECT path, count(*) AS n, min(ret) AS lo, max(ret) AS hi, any_value(error) AS error, bool_and(path_cut) AS cut,
        max(strlen(path)) AS bytes
      FROM file_calls WHERE tgid = ${wl.pid} AND name IN ('open', 'openat') GROUP BY path`);
    for (const o of wl.opens) {
      const r = rows.find((x) => x.path === kept(o.path));
      expect(r, o.path).toBeTruthy();
      expect(r!.n).toBe(o.count);
      // a successful open returns an fd (>= 0), a failed one -errno
      if (o.ret === 0) expect(r!.lo).toBeGreaterThanOrEqual(0);
      else expect([r!.lo, r!.hi, r!.error]).toEqual([o.ret, o.ret, 'ENOENT']);
      const long = Buffer.from(o.path).length > BOUND;
      expect(r!.cut).toBe(long);
      if (long) expect(r!.bytes).toBe(BOUND);
    }
    const [bad] = query(`SELECT bool_and(lossy) AS lossy FROM file_calls WHERE tgid = ${wl.pid} AND path LIKE '%not-utf8-%'`);
    expect(bad.lossy).toBe(true);
  });

  it('rename carries both paths, unlink its own, with their results', () => {
    const [r] = query(`SELECT path, path2, ret FROM file_calls WHERE tgid = ${wl.pid} AND name IN ('rename', 'renameat', 'renameat2')`);
    expect(r).toEqual({ path: wl.rename.from, path2: wl.rename.to, ret: 0 });
    const [u] = query(`SELECT path, ret FROM file_calls WHERE tgid = ${wl.pid} AND name IN ('unlink', 'unlinkat')`);
    expect(u).toEqual({ path: wl.unlink.path, ret: 0 });
  });

  it('the execve appears with its path and known argv, and returns 0 in the child', () => {
    const rows = query(`SELECT path, argv, argv_cut, argv_more, ret FROM file_calls WHERE tgid = ${wl.exec.pid} AND name = 'execve'`);
    expect(rows).toEqual([{ path: wl.exec.path, argv: wl.exec.argv, argv_cut: false, argv_more: false, ret: 0 }]);
  });

  it('every call of the workload is joined to its syscalls row, whose path column holds the path', () => {
    const [j] = query(`SELECT count(*) AS calls, count(s.ts) AS joined, count(*) FILTER (WHERE s.path IS NOT DISTINCT FROM f.path
        AND s.path2 IS NOT DISTINCT FROM f.path2 AND s.name = f.name AND s.ret = f.ret) AS same
      FROM file_calls f LEFT JOIN syscalls s ON s.tid = f.tid AND s.ts = f.call_ts WHERE f.tgid IN (${wl.pid}, ${wl.exec.pid})`);
    expect(j.calls).toBeGreaterThan(2 * N + 6);
    expect(j.joined).toBe(j.calls);
    expect(j.same).toBe(j.calls);
    // and no syscalls row has a path the files family did not record
    const [s] = query(`SELECT count(*) AS n FROM syscalls WHERE path IS NOT NULL`);
    expect(s.n).toBe(query('SELECT count(*) AS n FROM file_calls WHERE call_ts IS NOT NULL')[0].n);
  });

  it('analyze files --json: per process the paths opened, with count, errors by errno and latency', () => {
    const r = ktape(['analyze', dir, 'files', '--json', '--top', '1000']);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout);
    const mine = rep.opens.filter((o: Row) => o.tgid === wl.pid);
    const missing = mine.find((o: Row) => o.path === wl.opens[1].path);
    expect(missing).toMatchObject({ count: N, errors: N, errnos: `ENOENT ${N}`, comm: 'ktape-workload' });
    expect(missing.p50_ns).toBeGreaterThan(0);
    expect(missing.p50_ns).toBeLessThanOrEqual(missing.max_ns);
    expect(mine.find((o: Row) => o.path === wl.opens[0].path)).toMatchObject({ count: N, errors: 0, errnos: null });
    expect(mine.find((o: Row) => o.path === kept(wl.opens[2].path))).toMatchObject({ count: 1, cut: 1 });
    // the workload's own failed opens: N of the missing file, the long missing path, the name that is not UTF-8
    // (errors also counts the dynamic loader's, before main)
    const data = wl.opens[0].path.replace(/\/exists$/, '/');
    const failed = mine.filter((o: Row) => o.path.startsWith(data)).reduce((a: number, o: Row) => a + o.errors, 0);
    expect(failed).toBe(N + 2);
    const err = rep.errors.find((e: Row) => e.tgid === wl.pid && e.error === 'ENOENT' && e.name === 'openat');
    expect(err.count).toBeGreaterThanOrEqual(N + 2);
    expect(rep.execs.find((e: Row) => e.tgid === wl.exec.pid).argv).toEqual(wl.exec.argv);
  });

  it('analyze files --csv keeps the hostile path as a quoted value; the human report escapes it', () => {
    const csv = ktape(['analyze', dir, 'files', '--csv', '--top', '1000']);
    expect(csv.status).toBe(0);
    expect(csv.stdout).toContain(`"${wl.opens[4].path.replace(/"/g, '""')}"`);
    const human = ktape(['analyze', dir, 'files', '--top', '1000']);
    expect(human.status).toBe(0);
    expect(human.stdout).not.toContain('\x1b');
    expect(human.stdout).toContain('evil\\n"q\\x1b[31mred');
    expect(human.stdout.split('\n').some((l) => l.startsWith('"q'))).toBe(false);
  });

  it('exports: the path on the Chrome syscall slice, and a files slice with the path in Perfetto', () => {
    const cj = join(tmp(), 'files.json');
    expect(ktape(['export', dir, '--chrome', cj]).status).toBe(0);
    const evs = JSON.parse(readFileSync(cj, 'utf8')).traceEvents as Row[];
    const sys = evs.filter((e) => e.cat === 'syscall' && e.args?.path === wl.rename.from);
    // its creation, its open and the rename (whose first path it is)
    const names = sys.map((e) => e.name).sort();
    expect(names).toHaveLength(3);
    expect(names.slice(0, 2)).toEqual(['mknodat', 'openat']);
    expect(names[2]).toMatch(/^rename/);
    const pf = join(tmp(), 'files.pftrace');
    expect(ktape(['export', dir, '--perfetto', pf]).status).toBe(0);
    const paths: string[] = [];
    for (const p of decodeTrace(pf).packet)
      if (p.data.case === 'trackEvent' && p.data.value.type === 1)
        for (const a of p.data.value.debugAnnotations ?? []) if (a.nameField?.value === 'path') paths.push(a.value.value);
    expect(paths.filter((p) => p === wl.opens[1].path)).toHaveLength(N);
  });
});

describe.skipIf(skipOutsideCI)('files family: not recorded', () => {
  it('without --events files its programs are not loaded, and the report says how to record it', () => {
    const { dir } = record('syscall,task');
    const r = ktape(['query', dir, "SELECT count(*) AS n FROM _stats WHERE name LIKE 'bpf.kt_files%'", '--json']);
    expect(JSON.parse(r.stdout)).toEqual([{ n: 0 }]);
    expect(JSON.parse(ktape(['query', dir, "SELECT count(*) AS n FROM _stats WHERE name LIKE 'bpf.kt_sys_enter%'", '--json']).stdout)[0].n).toBeGreaterThan(0);
    const a = ktape(['analyze', dir, 'files', '--json']);
    expect(a.status).toBe(0);
    expect(JSON.parse(a.stdout).notes).toEqual(['this capture has no files events: record with --events files']);
    expect(JSON.parse(ktape(['query', dir, 'SELECT count(*) AS n FROM syscalls WHERE path IS NOT NULL', '--json']).stdout)).toEqual([{ n: 0 }]);
  });

  it('with files only (no syscall family) each call still has its result and latency', () => {
    const { dir, wl } = record('files,task');
    const rows = JSON.parse(
      ktape([
        'query',
        dir,
        `SELECT count(*) AS n, count(dur) AS timed, count(call_ts) AS joined FROM file_calls WHERE tgid = ${wl.pid} AND path = '${wl.opens[1].path}' AND error = 'ENOENT'`,
        '--json',
      ]).stdout,
    );
    expect(rows).toEqual([{ n: N, timed: N, joined: 0 }]);
  });
});
