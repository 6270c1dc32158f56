/**
 * The flight recorder (--ring, dumps, triggers) and rotation (--rotate --keep) against the live kernel, through
 * the built CLI. Ground truth is the workload's own report: build/ktape-workload slow-syscall spins (no
 * syscalls), does one clock_nanosleep of a known length, and prints its CLOCK_BOOTTIME start and end (ktape's
 * clock). Durations are the shortest that still test each promise.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ktape, privilegedSkipReason, tmp, WORKLOAD, workloadLine } from '../helpers.js';
import { FORMAT_VERSION } from '../../dist/formats/schema.js';

const skipOutsideCI = privilegedSkipReason();

type Row = Record<string, any>;

const manifestOf = (dir: string): Row => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));

function query(dir: string, sql: string): Row[] {
  const r = ktape(['query', dir, sql, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
}

/** the event tables of a capture (the manifest's tables that have a ts and are not metadata) */
const EVENT_TABLES = ['sched_switch', 'sched_waking', 'syscall_enter', 'syscall_exit', 'task_newtask', 'task_exit'];

/** A dump is a capture every command reads: analyze (every thread named), export, compare; private files. */
function expectCompleteCapture(dir: string): void {
  const m = manifestOf(dir);
  expect(m.complete).toBe(true);
  expect(m.format_version).toBe(FORMAT_VERSION);
  expect(statSync(dir).mode & 0o777).toBe(0o700);
  for (const f of readdirSync(dir)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
  for (const t of ['kallsyms', 'modules', 'process_snapshot', 'clock_anchors', 'losses'])
    expect(readdirSync(dir).some((f) => f.startsWith(`${t}.`))).toBe(true);
  const a = ktape(['analyze', dir, 'summary']);
  expect(a.stderr).toBe('');
  expect(a.status).toBe(0);
  expect(a.stdout).not.toMatch(/truncated|missing from the capture/);
  expect(query(dir, 'SELECT count(*) AS n FROM threads WHERE comm IS NULL')[0].n).toBe(0);
  expect(query(dir, "SELECT count(*) AS n FROM losses WHERE reason = 'truncated'")[0].n).toBe(0);
  const out = join(tmp(), 'x.pftrace');
  const e = ktape(['export', dir, '--perfetto', out]);
  expect(e.stderr).toMatch(/^ktape: wrote /);
  expect(e.status).toBe(0);
  expect(ktape(['compare', dir, dir]).status).toBe(0);
}

/**
 * A dump's stats table is as complete as a plain capture's, with the window's own counts: the events the tables
 * hold, its kernel gaps and bytes as its manifest says, the recorder's CPU and the BPF programs' counters.
 */
function expectWindowStats(dir: string): void {
  const m = manifestOf(dir);
  const rows = query(dir, 'SELECT name, value FROM _stats WHERE cpu IS NULL');
  const stat = (name: string) => rows.filter((r) => r.name === name).map((r) => Number(r.value));
  for (const name of ['malformed_records', 'ring_records_malformed']) expect(stat(name)).toEqual([0]);
  expect(stat('events.sched_switch')).toEqual([query(dir, 'SELECT count(*) AS n FROM _sched_switch')[0].n]);
  expect(stat('sched_switch_kernel_gaps')).toEqual([m.summary.kernel_gaps]);
  expect(stat('bytes_written')).toEqual([m.summary.bytes]);
  expect(stat('ring_buffer_bytes')).toEqual([64 * 1024 * 1024]);
  const [cpu] = stat('recorder_cpu_ns');
  expect(cpu).toBeGreaterThan(0);
  expect(cpu).toBe(stat('recorder_user_ns')[0] + stat('recorder_system_ns')[0]);
  // less than the recorder could have used in the window (2 CPUs at most): a difference, not the whole recording's
  expect(cpu).toBeLessThanOrEqual(2 * (m.end_ts - m.start_ts));
  expect(rows.some((r) => /^bpf\.kt_sched_switch.*\.recursion_misses$/.test(r.name))).toBe(true);
}

/** `ktape record -q --json -o ARGS` of a slow-syscall workload: its line and the recorder's result. */
function recordSlowSyscall(args: string[]): { wl: Row; res: Row } {
  const r = ktape(['record', '-q', '--json', '-o', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { wl: workloadLine(r.stdout, 'slow-syscall'), res: JSON.parse(r.stdout.trim().split('\n').at(-1)!) };
}

/** Run `ktape record ARGS` in the background; resolves with its exit status once it ends. */
function recordAsync(args: string[]): { done: Promise<{ status: number | null; stdout: string; stderr: string }>; pid: number } {
  const c = spawn(process.execPath, [CLI, 'record', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '',
    stderr = '';
  c.stdout.on('data', (d) => (stdout += d));
  c.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) =>
    c.on('exit', (status) => resolve({ status, stdout, stderr })),
  );
  return { done, pid: c.pid! };
}

const sleepMs = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 20000): Promise<void> {
  for (const t0 = Date.now(); !cond(); await sleepMs(20)) if (Date.now() - t0 > ms) throw new Error('timed out waiting');
}

describe.skipIf(skipOutsideCI)('flight recorder: --ring with a syscall trigger', () => {
  it('dumps the 5 s before a slow syscall and 1 s after it, as a complete capture', () => {
    const root = join(tmp(), 'fr');
    const SLEEP_MS = 300;
    const { wl, res } = recordSlowSyscall([
      root,
      '--events',
      'sched,syscall,task',
      '--ring',
      '5s',
      '--trigger',
      'syscall>200ms',
      '--trigger-after',
      '1s',
      '--max-dumps',
      '1',
      '--',
      WORKLOAD,
      'slow-syscall',
      '7000',
      String(SLEEP_MS),
      '3000',
    ]);
    expect(res.stop_reason).toBe('max-dumps');
    expect(res.dumps).toEqual([join(root, 'dump-0001')]);
    // the ring's scratch parts are gone: only the dump is left
    expect(readdirSync(root)).toEqual(['dump-0001']);
    const dump = res.dumps[0];
    const m = manifestOf(dump);
    const start = BigInt(wl.boot_sleep_start_ns),
      end = BigInt(wl.boot_sleep_end_ns);
    // the syscall is in the dump, from its entry to its return, on the workload's thread
    const s = query(dump, `SELECT ts, end_ts, dur FROM syscalls WHERE tid = ${wl.tid} AND name = 'clock_nanosleep'`);
    expect(s.length).toBe(1);
    expect(BigInt(s[0].ts)).toBeGreaterThanOrEqual(start);
    expect(BigInt(s[0].end_ts)).toBeLessThanOrEqual(end);
    expect(Number(s[0].dur)).toBeGreaterThanOrEqual(SLEEP_MS * 1e6);
    // the window: it starts no later than 5 s before the syscall, and at most one part (ring/5 = 1 s) and
    // 250 ms (the main loop's delays) earlier; the dump says where it starts, and that older data was dropped (not lost)
    const SLACK = 1_250_000_000n;
    expect(m.window).toMatchObject({ ring: '5s', trigger: 'syscall>200ms', dropped_before: true });
    expect(BigInt(m.window.trigger_ts)).toBe(BigInt(s[0].ts));
    expect(BigInt(m.start_ts)).toBeLessThanOrEqual(BigInt(s[0].ts) - 5_000_000_000n);
    expect(BigInt(m.start_ts)).toBeGreaterThanOrEqual(BigInt(s[0].ts) - 5_000_000_000n - SLACK);
    const span = EVENT_TABLES.map((t) => `SELECT min(ts) AS lo, max(ts) AS hi FROM _${t}`).join(' UNION ALL ');
    const [{ lo, hi }] = query(dump, `SELECT min(lo) AS lo, max(hi) AS hi FROM (${span})`);
    expect(BigInt(lo)).toBeGreaterThanOrEqual(BigInt(s[0].ts) - 5_000_000_000n - SLACK);
    // and ends at least 1 s after it (--trigger-after), with events up to there
    expect(BigInt(m.end_ts)).toBeGreaterThanOrEqual(end + 1_000_000_000n);
    expect(BigInt(hi)).toBeGreaterThanOrEqual(end + 900_000_000n);
    // a window that starts late is not a loss
    expect(query(dump, "SELECT count(*) AS n FROM losses WHERE reason NOT IN ('kernel_gap', 'ringbuf_full')")[0].n).toBe(0);
    expect(query(dump, `SELECT comm FROM threads WHERE tid = ${wl.tid}`)[0].comm).toBe('ktape-workload');
    expectCompleteCapture(dump);
  });
});

describe.skipIf(skipOutsideCI)('flight recorder: SIGUSR1 and exit triggers', () => {
  it('SIGUSR1 twice gives two dumps, each counting its own window once', async () => {
    const root = join(tmp(), 'fr');
    const rec = recordAsync(['-q', '--json', '-o', root, '--events', 'sched,task', '--ring', '1s', '--', WORKLOAD, 'slow-syscall', '0', '60000', '0']);
    await until(() => existsSync(join(root, '.ring-0001', 'manifest.json')));
    await sleepMs(1500);
    process.kill(rec.pid, 'SIGUSR1');
    await until(() => existsSync(join(root, 'dump-0001', 'manifest.json')));
    await sleepMs(1500);
    process.kill(rec.pid, 'SIGUSR1');
    await until(() => existsSync(join(root, 'dump-0002', 'manifest.json')));
    process.kill(rec.pid, 'SIGINT');
    const r = await rec.done;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    // the third: the window at the stop (SIGINT; the recorder ends the command)
    expect(res.dumps).toEqual([join(root, 'dump-0001'), join(root, 'dump-0002'), join(root, 'dump-0003')]);
    expect(manifestOf(res.dumps[2]).window).toMatchObject({ trigger: 'stop', what: 'the recording stopped (SIGINT)' });
    const [a, b] = res.dumps.map(manifestOf);
    for (const [d, m] of [
      [res.dumps[0], a],
      [res.dumps[1], b],
    ]) {
      expect(m.window).toMatchObject({ ring: '1s', trigger: 'SIGUSR1' });
      // the summary counts what the tables hold: no part linked twice
      const n = query(d, 'SELECT count(*) AS n FROM _sched_switch')[0].n;
      expect(m.summary.events.sched_switch).toBe(n);
      expect(m.tables.sched_switch.rows).toBe(n);
      expect(query(d, 'SELECT count(*) AS n FROM (SELECT ts, cpu FROM _sched_switch GROUP BY ts, cpu HAVING count(*) > 1)')[0].n).toBe(0);
    }
    // 1.5 s apart with a 1 s ring: the second window begins after the first ends, so no row is in both
    expect(b.start_ts).toBeGreaterThanOrEqual(a.end_ts);
    expect(a.summary.events.sched_switch + b.summary.events.sched_switch).toBeLessThanOrEqual(res.events.sched_switch);
    expectCompleteCapture(res.dumps[1]);
    expectWindowStats(res.dumps[1]);
  });

  it('a child killed by SIGSEGV trips an exit trigger matched by comm', () => {
    const root = join(tmp(), 'fr');
    const r = ktape([
      'record',
      '-q',
      '--json',
      '-o',
      root,
      '--events',
      'sched,task',
      '--ring',
      '1s',
      '--trigger',
      'exit:SIGSEGV,comm=crasher',
      '--max-dumps',
      '1',
      // a process named sh is killed by SIGSEGV first: the comm does not match, the trigger waits for crasher
      '--',
      'sh',
      '-c',
      `${WORKLOAD} slow-syscall 500 0 0; sh -c 'kill -SEGV $$'; sh -c 'printf crasher > /proc/self/comm; kill -SEGV $$'; sleep 10`,
    ]);
    expect(r.stderr).toMatch(/^(Segmentation fault\n)*$/); // the shell's word on each crash
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
    expect(res.stop_reason).toBe('max-dumps');
    expect(res.dumps.length).toBe(1);
    const m = manifestOf(res.dumps[0]);
    expect(m.window.trigger).toBe('exit:SIGSEGV,comm=crasher');
    expect(m.window.what).toMatch(/^crasher .* killed by signal 11$/);
    const ex = query(res.dumps[0], 'SELECT comm, exit_code & 127 AS sig FROM _task_exit WHERE group_dead = 1 AND exit_code & 127 = 11 ORDER BY ts');
    expect(ex.map((e) => e.comm)).toEqual(['sh', 'crasher']);
    expectCompleteCapture(res.dumps[0]);
  });
});

describe.skipIf(skipOutsideCI)('flight recorder: the stop writes a last dump', () => {
  it("the command's end dumps the window up to it, and leaves only the dump", () => {
    const root = join(tmp(), 'fr');
    const { wl, res } = recordSlowSyscall([root, '--events', 'sched,syscall,task', '--ring', '3s', '--', WORKLOAD, 'slow-syscall', '5000', '300', '200']);
    expect(res.stop_reason).toBe('command exited');
    expect(res.dumps).toEqual([join(root, 'dump-0001')]);
    expect(readdirSync(root)).toEqual(['dump-0001']);
    const m = manifestOf(res.dumps[0]);
    expect(m.window).toMatchObject({ ring: '3s', trigger: 'stop', what: 'the recording stopped (command exited)', dropped_before: true });
    // the window ends at the stop, 3 s long: it holds the sleep (0.5 s before the exit; the rest is slack for a slow
    // stop on a busy machine) and the workload's exit
    expect(BigInt(m.end_ts)).toBeGreaterThanOrEqual(BigInt(wl.boot_sleep_end_ns));
    expect(BigInt(m.start_ts)).toBeLessThanOrEqual(BigInt(m.end_ts) - 3_000_000_000n);
    const s = query(res.dumps[0], `SELECT dur FROM syscalls WHERE tid = ${wl.tid} AND name = 'clock_nanosleep'`);
    expect(s.length).toBe(1);
    expect(Number(s[0].dur)).toBeGreaterThanOrEqual(300e6);
    expect(query(res.dumps[0], `SELECT count(*) AS n FROM _task_exit WHERE tid = ${wl.tid}`)[0].n).toBe(1);
    expectCompleteCapture(res.dumps[0]);
  });

  it('SIGINT dumps the window of a system-wide ring; --max-dumps reached does not dump again', async () => {
    const root = join(tmp(), 'fr');
    const rec = recordAsync(['-q', '--json', '-o', root, '--events', 'sched,task', '--ring', '1s']);
    await until(() => existsSync(join(root, '.ring-0001', 'manifest.json')));
    await sleepMs(1500);
    process.kill(rec.pid, 'SIGINT');
    const r = await rec.done;
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const res = JSON.parse(r.stdout.trim());
    expect(res.stop_reason).toBe('SIGINT');
    expect(res.dumps).toEqual([join(root, 'dump-0001')]);
    expect(readdirSync(root)).toEqual(['dump-0001']);
    const m = manifestOf(res.dumps[0]);
    expect(m.window).toMatchObject({ trigger: 'stop', what: 'the recording stopped (SIGINT)' });
    expect(m.summary.events.sched_switch).toBeGreaterThan(0);
    expectCompleteCapture(res.dumps[0]);
    // one dump allowed, written by SIGUSR1: the stop it causes writes no second one
    const root2 = join(tmp(), 'fr2');
    const rec2 = recordAsync(['-q', '--json', '-o', root2, '--events', 'sched,task', '--ring', '1s', '--max-dumps', '1']);
    await until(() => existsSync(join(root2, '.ring-0001', 'manifest.json')));
    process.kill(rec2.pid, 'SIGUSR1');
    const r2 = await rec2.done;
    expect(r2.status).toBe(0);
    const res2 = JSON.parse(r2.stdout.trim());
    expect(res2.stop_reason).toBe('max-dumps');
    expect(readdirSync(root2)).toEqual(['dump-0001']);
    expect(manifestOf(res2.dumps[0]).window.trigger).toBe('SIGUSR1');
  });
});

describe.skipIf(skipOutsideCI)('rotation: --rotate --keep', () => {
  it('5 s at --rotate 1s --keep 3 leaves exactly 3 complete parts, never more on disk', async () => {
    const root = join(tmp(), 'rot');
    const rec = recordAsync(['-q', '--json', '-o', root, '--events', 'sched,task', '--rotate', '1s', '--keep', '3', '--duration', '5.5']);
    let most = 0;
    const parts = () => (existsSync(root) ? readdirSync(root).filter((f) => f.startsWith('part-')).length : 0);
    const watch = setInterval(() => {
      most = Math.max(most, parts());
    }, 10);
    const r = await rec.done;
    clearInterval(watch);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(most).toBeLessThanOrEqual(3);
    // about 6 parts were made (one a second); the 3 newest are left
    const left = readdirSync(root).sort();
    expect(left.length).toBe(3);
    const last = Number(left[2].slice(5));
    expect(last).toBeGreaterThanOrEqual(5);
    expect(left).toEqual([last - 2, last - 1, last].map((n) => `part-${String(n).padStart(4, '0')}`));
    expect(JSON.parse(r.stdout.trim()).parts).toEqual(left.map((p) => join(root, p)));
    const ms = left.map((p) => manifestOf(join(root, p)));
    for (let i = 1; i < ms.length; i++) expect(ms[i].start_ts).toBeGreaterThanOrEqual(ms[i - 1].end_ts);
    expect(ms.at(-1).stop_reason).toBe('duration');
    for (const p of left) expectCompleteCapture(join(root, p));
  });
});
