/**
 * Shared test helpers. Tests go through public entry points: the built CLI
 * (dist/cli/main.js) and the exported modules under dist/.
 */
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { expect } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = join(ROOT, 'dist/cli/main.js');
export const WORKLOAD = join(ROOT, 'build/ktape-workload');
export const FIXTURES = join(ROOT, 'fixtures');
export const SHARED = join(ROOT, '..', 'shared');

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built CLI. */
export function ktape(args: string[], opts: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', maxBuffer: 256 << 20, ...opts });
  return { status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export function tmp(prefix = 'ktape-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function fixtureWorkload(name: string): any {
  return JSON.parse(
    readFileSync(join(FIXTURES, `${name}.workload.json`), 'utf8')
      .trim()
      .split('\n')[0],
  );
}

/**
 * The machine's stolen time so far, ns (/proc/stat "cpu" line, 8th value, USER_HZ = 100 ticks/s). On a VM with
 * CONFIG_PARAVIRT_TIME_ACCOUNTING (these are) the kernel leaves the time the host took the vCPU away out of a
 * task's sum_exec_runtime (schedstat), while the switches' timestamps include it.
 */
export function stealNs(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  return Number(f[8] ?? 0) * 1e7;
}

/** The stolen time since stealNs() read `from`, plus one 10 ms tick per CPU: /proc/stat counts in ticks, so up to one per CPU is unseen. */
export function stolenSince(from: number): number {
  return stealNs() - from + availableParallelism() * 1e7;
}

/**
 * Privileged tests: they must RUN in CI (root). Outside CI they may skip,
 * and say why. Under CI=true a missing capability is a failure.
 * Returns null when the test can run, or the reason it is skipped.
 */
export function privilegedSkipReason(): string | null {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  let why: string | null = null;
  if (!isRoot) why = 'not running as root (eBPF recording needs CAP_BPF+CAP_PERFMON)';
  if (why && process.env.CI === 'true') throw new Error(`CI=true but privileged tests cannot run: ${why}`);
  if (why) console.warn(`[skip] privileged test skipped: ${why}`);
  return why;
}

/**
 * A thread's run delay in a capture, as `ktape analyze CAP sched-latency` reports it, counting only the
 * waits that ended before `atTs` (CLOCK_BOOTTIME ns: the instant the workload read its schedstat, ss_ts).
 * The thread was running then, so no wait spans it, and the waits before it are the ones schedstat counts;
 * later ones (e.g. preempted on its way to exit) are not in the workload's reading. undefined: the thread is
 * not in the report.
 */
export function runDelayBefore(dir: string, tid: number, atTs: number): number | undefined {
  const start = BigInt(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).start_ts);
  const until = `${BigInt(atTs) - start}ns`;
  const r = ktape(['analyze', dir, 'sched-latency', '--json', '--pid', String(tid), '--until', until]);
  if (r.status !== 0) throw new Error(`analyze sched-latency --pid ${tid} --until ${until}: ${r.stderr}`);
  const t = JSON.parse(r.stdout).tasks.find((x: { tid: number }) => x.tid === tid);
  return t ? Number(t.run_delay_ns) : undefined;
}

/** A busy thread as the workload reports it: its schedstat at ss_ts, cpu_ns from CLOCK_THREAD_CPUTIME_ID then. */
export interface SchedstatWorker {
  tid: number;
  comm: string;
  cpu_ns: number;
  wait_ns: number;
  slices: number;
  /** CLOCK_BOOTTIME instant of the reading */
  ss_ts: number;
}

/**
 * How much of a thread's time schedstat may count as run delay that the switches show as CPU time, per slice.
 * The kernel's accounting reads its rq clock at the start of __schedule(), and on a wakeup preemption it does not
 * read it again (rq_clock_skip_update: it keeps the clock of the wakeup), while sched_switch fires at the switch
 * itself. So each time a preempted thread leaves the CPU, schedstat ends its slice and starts its wait a few µs
 * early. Measured here (6.18, 2 vCPUs, record.test's demo): 2.8–14.5 µs per slice over 10 workers with 59–6,764
 * slices, 35–101 ms in all on workers with 4,000–11,600 slices. One way only: CPU up, run delay down, their sum
 * unchanged.
 */
export const SCHEDSTAT_SKEW_PER_SLICE_NS = 20_000;

/**
 * A worker's CPU time, slices and run delay before its reading (ss_ts), as `ktape analyze cpu` and
 * `sched-latency` report them, against the workload's own figures. `stolen`: the vCPUs' stolen time over the
 * recording (the switches include it, the kernel's CPU time does not). Returns the line that describes them.
 */
export function checkAgainstSchedstat(dir: string, w: SchedstatWorker, stolen: number): string {
  const start = BigInt(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).start_ts);
  const until = `${BigInt(w.ss_ts) - start}ns`;
  const r = ktape(['analyze', dir, 'cpu', '--json', '--top', '1000', '--until', until]);
  expect(r.status, r.stderr).toBe(0);
  const c = JSON.parse(r.stdout).tasks.find((t: { tid: number }) => t.tid === w.tid);
  expect(c, `tid ${w.tid} missing from the cpu report`).toBeTruthy();
  const delay = runDelayBefore(dir, w.tid, w.ss_ts) ?? 0;
  const dCpu = Number(c.cpu_ns) - w.cpu_ns,
    dWait = delay - w.wait_ns;
  const skew = SCHEDSTAT_SKEW_PER_SLICE_NS * w.slices;
  const what = `${w.comm} (tid ${w.tid}): cpu ${c.cpu_ns} vs ${w.cpu_ns}, run delay ${delay} vs ${w.wait_ns}, slices ${c.slices} vs ${w.slices}, ${stolen} ns stolen`;
  // every switch-in the kernel counted, and no other
  expect(Number(c.slices), what).toBe(w.slices);
  // time on the CPU plus time waiting for it: the per-slice skew cancels
  expect(Math.abs(dCpu + dWait), what).toBeLessThanOrEqual(0.005 * (w.cpu_ns + w.wait_ns) + 100_000 + stolen);
  expect(dCpu, what).toBeGreaterThanOrEqual(-0.02 * w.cpu_ns);
  expect(dCpu, what).toBeLessThanOrEqual(0.02 * w.cpu_ns + skew + stolen);
  expect(dWait, what).toBeGreaterThanOrEqual(-(0.1 * w.wait_ns + 50_000 + skew));
  // the kernel's run delay is on its rq clock, updated lazily: time stolen from the vCPU between a switch and the
  // clock's next update lands on one side only (CI once saw 135 µs more in the switches, with 450 ms stolen)
  expect(dWait, what).toBeLessThanOrEqual(0.1 * w.wait_ns + 50_000 + stolen);
  return what;
}

/**
 * A report's JSON against its golden file: equal, or (UPDATE_GOLDEN=1) written for review. A missing golden file
 * fails unless updating.
 */
export function expectGolden(file: string, got: unknown): void {
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`${file} missing: run with UPDATE_GOLDEN=1 and review it`);
    writeFileSync(file, `${JSON.stringify(got, null, 2)}\n`);
  }
  expect(got).toEqual(JSON.parse(readFileSync(file, 'utf8')));
}

/** The JSON line the built-in workload printed for `mode` (ktape-workload prints one per mode), parsed; it must be there. */
export function workloadLine(stdout: string, mode: string): any {
  const line = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((l) => l.mode === mode);
  expect(line, `the workload's "${mode}" line in:\n${stdout}`).toBeTruthy();
  return line;
}

/** `ktape analyze DIR ...args`: it must exit 0 with nothing on stderr; its stdout (JSON.parse it with --json) */
export function analyzeOk(dir: string, ...args: string[]): string {
  const r = ktape(['analyze', dir, ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** `ktape query DIR SQL --json`: it must exit 0 with nothing on stderr; its rows */
export function queryRows(dir: string, sql: string): any[] {
  const r = ktape(['query', dir, sql, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

/**
 * A privileged recording of the built-in workload: `ktape record --json --events EVENTS -- ktape-workload MODE
 * ...args(data)`, where data is a scratch directory on the disk holding the checkout (build/, never a tmpfs), removed
 * afterwards. It must exit 0 with nothing on stderr; the capture and the workload's JSON line for `mode`.
 */
export function recordWorkload(events: string, mode: string, args: (data: string) => string[]): { dir: string; wl: any } {
  const dir = join(tmp(), 'cap');
  const data = mkdtempSync(join(ROOT, 'build', `${mode}-test-`));
  try {
    const r = ktape(['record', '-o', dir, '--json', '--events', events, '--', WORKLOAD, mode, ...args(data)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return { dir, wl: workloadLine(r.stdout, mode) };
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

/** `ktape analyze DIR REPORT` on a capture without the report's family: the one-line note alone, in text and in --json, exit 0 */
export function expectNoEventsNote(dir: string, report: string, note: string): void {
  expect(analyzeOk(dir, report).trim()).toBe(note);
  expect(JSON.parse(analyzeOk(dir, report, '--json')).notes).toEqual([note]);
}
