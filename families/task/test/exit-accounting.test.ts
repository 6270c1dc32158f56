/**
 * Task exit accounting against the live kernel, through the built CLI. Ground truth: the parent's wait4(2)
 * rusage of each child of `ktape-workload exit-acct` (4 children at once: nice 5, SCHED_BATCH, nice 5, and
 * one with a second thread; each spins 200 ms of its own CPU time, sleeps 1 ms 20 times and touches known
 * anonymous pages), what each child set for itself, and the workload's own counts.
 *
 * The rule and the bounds: ./rusage.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD, analyzeOk, queryRows } from '../../../test/helpers.js';
import { type AfterExit, expectRusage, PAGE } from './rusage.js';

const skipOutsideCI = privilegedSkipReason();
const SPIN_MS = 200;

type Row = Record<string, any>;

describe.skipIf(skipOutsideCI)('task exit accounting: recorded children against their wait4 rusage', () => {
  let dir: string;
  let wl: Row;
  let report: Row;

  beforeAll(() => {
    dir = join(tmp(), 'cap');
    // sched too: the switches after each exit event bound what wait4 counts beyond the recorded accounting
    const r = ktape(['record', '-o', dir, '--json', '--events', 'task,sched', '--', WORKLOAD, 'exit-acct', String(SPIN_MS)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    wl = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.mode === 'exit-acct');
    expect(wl?.children).toHaveLength(4);
    report = JSON.parse(analyzeOk(dir, 'tasks', '--json', '--top', '1000'));
  });

  /** the switches out of the threads of process `tgid` after their sched_process_exit (R, R+: involuntary) */
  const afterExit = (tgid: number): AfterExit => {
    const sql = `SELECT count(*) FILTER (WHERE s.prev_state NOT IN (0, 256)) AS vol, count(*) FILTER (WHERE s.prev_state IN (0, 256)) AS invol
      FROM _sched_switch s JOIN _task_exit e ON s.prev_tid = e.tid AND s.ts > e.ts WHERE e.tgid = ${Number(tgid)}`;
    const [row] = queryRows(dir, sql);
    return { vol: Number(row.vol), invol: Number(row.invol) };
  };

  const proc = (pid: number) => {
    const p = report.process_accounting.find((r: Row) => r.tgid === pid);
    expect(p, `process ${pid} in process_accounting`).toBeTruthy();
    return p;
  };

  it('the children did what they say (their exit status, and at least their own work)', () => {
    for (const c of wl.children) {
      expect(c.status).toBe(0);
      expect(c.nvcsw).toBeGreaterThanOrEqual(c.sleeps);
      expect(c.minflt).toBeGreaterThanOrEqual(c.pages);
      expect(c.maxrss_kib * 1024).toBeGreaterThanOrEqual(c.pages * PAGE);
    }
  });

  it('nice, policy, faults, peak RSS, switches and times: each child against its wait4 rusage', () => {
    for (const c of wl.children) {
      const after = afterExit(c.pid);
      expect(after.vol, `pid ${c.pid}: the final switch into TASK_DEAD is in the capture`).toBeGreaterThanOrEqual(1);
      expectRusage(c, proc(c.pid), after);
    }
    expect(wl.children.map((c: Row) => proc(c.pid).policy_name)).toEqual(['other', 'batch', 'other', 'other']);
    // the workload spun SPIN_MS of its own CPU time (split over two threads in the last child)
    for (const c of wl.children) expect(proc(c.pid).runtime_ns).toBeGreaterThanOrEqual(SPIN_MS * 1e6);
  });

  it('a thread and its group leader: one row each, the leader last (group_dead), the process row their sum', () => {
    const c = wl.children[3];
    const rows = report.exit_accounting.filter((r: Row) => r.tgid === c.pid);
    expect(rows.map((r: Row) => [r.tid === c.pid, r.group_dead]).sort()).toEqual([
      [false, false],
      [true, true],
    ]);
    const p = proc(c.pid);
    for (const k of ['nvcsw', 'nivcsw', 'min_flt', 'maj_flt', 'runtime_ns'])
      expect(
        rows.reduce((a: number, r: Row) => a + r[k], 0),
        k,
      ).toBe(p[k]);
    // each thread spun half the time, and the thread's fork VM size is the process's after the first mmap/stack
    for (const r of rows) expect(r.runtime_ns).toBeGreaterThanOrEqual((SPIN_MS / 2) * 1e6);
  });

  it('VM size: at exit at least the fork VM size plus the pages the child mapped', () => {
    for (const c of wl.children) {
      const p = proc(c.pid);
      expect(p.vm_fork_bytes).toBeGreaterThan(0);
      expect(p.vm_bytes - p.vm_fork_bytes).toBeGreaterThanOrEqual(c.pages * PAGE);
    }
  });

  it('--csv has the accounting; the Chrome export has it as the exit args', () => {
    const c = wl.children[1];
    const csv = ktape(['analyze', dir, 'tasks', '--csv', '--pid', String(c.pid)]);
    expect(csv.status).toBe(0);
    expect(csv.stdout).toMatch(new RegExp(`\\n${c.pid},${c.pid},kt-acct,120,0,batch,`));
    const out = join(tmp(), 'acct.json');
    expect(ktape(['export', dir, '--chrome', out]).status).toBe(0);
    const ex = JSON.parse(readFileSync(out, 'utf8')).traceEvents.find((e: Row) => e.name === 'exit' && e.tid === c.pid);
    expect(ex.args).toMatchObject({ policy: 'batch', nice: 0, min_flt: c.minflt, maxrss_bytes: c.maxrss_kib * 1024 });
  });

  it('compare: the exits accounting is a metric per process', () => {
    const r = ktape(['compare', dir, dir, '--json', '--min-count', '0', '--min-time', '0']);
    expect(r.status).toBe(0);
    const rows = JSON.parse(r.stdout).rows.filter((x: Row) => x.group === 'kt-acct' && x.metric === 'exit_min_flt');
    expect(rows).toHaveLength(1);
    expect(rows[0].change).toBe('unchanged');
  });
});
