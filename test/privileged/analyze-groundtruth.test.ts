/**
 * Ground truth for `ktape analyze` against the live kernel: the workload's
 * threads read their schedstat at their end (run delay, slices = times run on
 * a CPU; CPU time from CLOCK_THREAD_CPUTIME_ID) and print it; the capture of
 * the same run, analyzed up to that instant, must agree (checkAgainstSchedstat:
 * slices exactly, CPU plus run delay within 0.5 %, each within 2 % and 10 %
 * beside the kernel's own per-slice skew). Once on an idle machine, once with
 * a CPU hog competing for both CPUs.
 *
 * The switches' intervals include the time the host stole from the vCPU while the thread was on it;
 * the kernel's CPU time leaves it out (CONFIG_PARAVIRT_TIME_ACCOUNTING, which these VMs have). So the
 * report may exceed it by the machine's stolen time over the recording (/proc/stat, 0 on bare metal),
 * plus one 10 ms tick per CPU for that counter's rounding.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { checkAgainstSchedstat, ktape, privilegedSkipReason, type SchedstatWorker, stealNs, stolenSince, tmp, WORKLOAD } from '../helpers.js';

const skipOutsideCI = privilegedSkipReason();

function recordSpin(ms: number, threads: number): { dir: string; workers: SchedstatWorker[]; stolen: number } {
  const dir = join(tmp('ktape-gt-'), 'cap');
  const steal0 = stealNs();
  const r = ktape(['record', '-q', '-o', dir, '--events', 'sched,task', '--', WORKLOAD, 'spin', String(ms), String(threads)]);
  const stolen = stolenSince(steal0);
  expect(r.status, r.stderr).toBe(0);
  const line = r.stdout
    .trim()
    .split('\n')
    .find((l) => l.includes('"mode":"spin"'));
  expect(line, r.stdout).toBeTruthy();
  return { dir, workers: JSON.parse(line!).workers, stolen };
}

function check(dir: string, workers: SchedstatWorker[], stolen: number) {
  expect(workers.length).toBeGreaterThan(0);
  console.log(workers.map((w) => checkAgainstSchedstat(dir, w, stolen)).join('\n'));
}

describe.skipIf(skipOutsideCI)('analyze ground truth: idle machine', () => {
  it('spin 400 ms x 2 threads', () => {
    const { dir, workers, stolen } = recordSpin(400, 2);
    check(dir, workers, stolen);
  });
});

describe.skipIf(skipOutsideCI)('analyze ground truth: with a CPU hog', () => {
  const hogs: ChildProcess[] = [];
  beforeAll(() => {
    for (let i = 0; i < 2; i++) hogs.push(spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
  });
  afterAll(() => {
    for (const h of hogs) if (h.pid) process.kill(h.pid, 'SIGKILL');
  });
  it('spin 400 ms x 2 threads competing with 2 busy loops', () => {
    const { dir, workers, stolen } = recordSpin(400, 2);
    // the hog really competed: the workers waited a measurable time
    expect(workers.reduce((a, w) => a + w.wait_ns, 0)).toBeGreaterThan(10_000_000);
    check(dir, workers, stolen);
  });
});
