/**
 * A child's recorded exit accounting (process_accounting, the tasks report's per-process rows) against
 * its parent's wait4(2) rusage, as `ktape-workload exit-acct` prints it. Exact where the kernel is:
 * faults, peak RSS (ru_maxrss KiB = the last thread's signal->maxrss), nice, policy. The bounds, from
 * do_exit() (families/task/sql/accounting.sql): sched_process_exit fires before exit_mm, exit_files,
 * exit_notify and the final switch, which wait4 sees too:
 * - ru_nvcsw - nvcsw in [0, 1]: the final switch into TASK_DEAD (0 when wait4 reads before it);
 * - ru_nivcsw - nivcsw in [0, 2]: preemptions in the exit path;
 *   or, when the capture has the sched events (`after`), each in [0, the switches of that kind out of the
 *   process's threads after their sched_process_exit]: on a busy host the exit path can be preempted any
 *   number of times, and the kernel counts each switch out of a runnable task (prev_state R or R+) in nivcsw,
 *   each other one in nvcsw (__schedule);
 * - ru_utime + ru_stime (µs, truncated) - runtime in [-2 µs, 6 ms]: se.sum_exec_runtime lags by the
 *   running slice since its last update (at most one 4 ms tick at HZ=250), plus the exit path's CPU time
 *   (< 2 ms for these few MiB);
 * - ru_utime and ru_stime each within 10 ms of the adjusted split: the same, plus one tick that may land
 *   in the exit path and move the tick-sampled split.
 */
import { expect } from 'vitest';

type Row = Record<string, any>;
export const TICK_US = 4000;
export const PAGE = 4096;

/** switches out of a process's threads after their exit event: `vol` sleeping (nvcsw), `invol` runnable (nivcsw) */
export type AfterExit = { vol: number; invol: number };

export function expectRusage(c: Row, p: Row, after: AfterExit = { vol: 1, invol: 2 }): void {
  const at = `pid ${c.pid}`;
  expect({ nice: p.nice, policy: p.policy, prio: p.prio, threads: p.threads }, at).toEqual({
    nice: c.nice,
    policy: c.policy,
    prio: 120 + c.nice,
    threads: c.threads,
  });
  expect({ min_flt: p.min_flt, maj_flt: p.maj_flt, maxrss: p.maxrss_bytes }, at).toEqual({
    min_flt: c.minflt,
    maj_flt: c.majflt,
    maxrss: c.maxrss_kib * 1024,
  });
  expect(c.nvcsw - p.nvcsw, `${at} nvcsw`).toBeGreaterThanOrEqual(0);
  expect(c.nvcsw - p.nvcsw, `${at} nvcsw`).toBeLessThanOrEqual(after.vol);
  expect(c.nivcsw - p.nivcsw, `${at} nivcsw`).toBeGreaterThanOrEqual(0);
  expect(c.nivcsw - p.nivcsw, `${at} nivcsw`).toBeLessThanOrEqual(after.invol);
  expect(p.utime_adj_ns + p.stime_adj_ns, at).toBe(p.runtime_ns);
  const ru = c.utime_us + c.stime_us;
  expect(ru - p.runtime_ns / 1000, `${at} runtime`).toBeGreaterThanOrEqual(-2);
  expect(ru - p.runtime_ns / 1000, `${at} runtime`).toBeLessThanOrEqual(TICK_US + 2000);
  expect(Math.abs(c.utime_us - p.utime_adj_ns / 1000), `${at} utime`).toBeLessThanOrEqual(2 * TICK_US + 2000);
  expect(Math.abs(c.stime_us - p.stime_adj_ns / 1000), `${at} stime`).toBeLessThanOrEqual(2 * TICK_US + 2000);
}
