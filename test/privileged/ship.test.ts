/**
 * `ktape record --upload` against `ktape collect` on 127.0.0.1, through the built CLI, recording a real
 * workload (build/ktape-workload getppid-rate: it reports the calls it made, the ground truth). Each case
 * ends with the collector's copy equal to the local capture, file by file, byte for byte (a crashed
 * capture: every complete message, which is what its readers read), and with the same analysis:
 *  - the collector is killed with -9 while the recording streams and restarted: the upload resumes;
 *  - the collector's network link is down for 10 s (it runs in a network namespace the test makes, joined to
 *    this one by a veth pair; its end is set down, so packets vanish without an error): the upload resumes;
 *  - the recorder is killed with -9: `ktape upload` sends the rest;
 *  - the collector is unreachable and the spool passes --spool-max: the loss is in the capture (losses,
 *    reason spool_full), the recorder says so, and `ktape upload` ships the capture afterwards.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, ktape, privilegedSkipReason, ROOT, tmp, WORKLOAD } from '../helpers.js';
import { analyzed, collected, expectSameCapture, expectSameRows, startCollector, tokenFile } from '../e2e/ship.helpers.js';

const skip = privilegedSkipReason();

interface Run {
  proc: ChildProcess;
  err: () => string;
  done: Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

function recordAsync(args: string[]): Run {
  const proc = spawn(process.execPath, [CLI, 'record', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '',
    stderr = '';
  proc.stdout!.on('data', (c: Buffer) => (stdout += c));
  proc.stderr!.on('data', (c: Buffer) => (stderr += c));
  const done = new Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    proc.on('exit', (status, signal) => resolve({ status, signal, stdout, stderr })),
  );
  return { proc, done, err: () => stderr };
}

/** Wait until `cond` holds (polled; the test's own bound is vitest's timeout). */
async function until(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 100));
}

/** the recording directory under a collector's DIR holds at least `n` table files with data beyond their schema */
const streaming =
  (coll: string, n = 3) =>
  () => {
    try {
      const d = collected(coll);
      return readdirSync(d).filter((f) => f.endsWith('.arrows') && readFileSync(join(d, f)).byteLength > 2048).length >= n;
    } catch {
      return false;
    }
  };

function getppidCalls(cap: string, tid: number): number {
  const r = ktape(['query', cap, `SELECT count(*) AS n FROM syscalls WHERE tid = ${tid} AND name = 'getppid'`, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return Number(JSON.parse(r.stdout)[0].n);
}

const workload = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((l) => l.mode === 'getppid-rate');

/** bytes of the table files in a capture directory (0 before it exists) */
function tableBytes(dir: string): number {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.arrows'))
      .reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  } catch {
    return 0;
  }
}

/**
 * A network namespace joined to this one by a veth pair (10.78.X.1 here, 10.78.X.2 there; names unique per
 * run). down()/up() set the namespace's end of the link; cleanup() deletes the namespace, and with it the pair.
 */
function vethNamespace() {
  const id = randomBytes(3).toString('hex');
  const ns = `kt-ship-${process.pid}-${id}`;
  const [here, there] = [`ktsh${id}`, `ktsn${id}`];
  const net = `10.78.${randomBytes(1)[0]}`;
  const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
  const v = {
    ns,
    addr: `${net}.2`,
    wrap: ['ip', 'netns', 'exec', ns],
    down: () => ip('-n', ns, 'link', 'set', there, 'down'),
    up: () => ip('-n', ns, 'link', 'set', there, 'up'),
    cleanup: () => {
      try {
        ip('netns', 'delete', ns);
      } catch {
        // not made
      }
    },
  };
  try {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('link', 'add', here, 'type', 'veth', 'peer', 'name', there, 'netns', ns);
    ip('addr', 'add', `${net}.1/30`, 'dev', here);
    ip('-n', ns, 'addr', 'add', `${net}.2/30`, 'dev', there);
    ip('link', 'set', here, 'up');
    v.up();
  } catch (e) {
    v.cleanup();
    throw e;
  }
  return v;
}

const RECORD = ['--events', 'syscall,task,sched', '--batch-rows', '4096', '--kallsyms', 'used', '--json'];

// each case records for seconds and analyzes both copies: minutes on a loaded 2-CPU machine
describe.skipIf(skip)('ktape record --upload', { timeout: 400_000 }, () => {
  it('the collector killed -9 and restarted while the recording streams: same bytes, same analysis, every call', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const coll = join(d, 'coll');
    let c = await startCollector(coll, tok);
    const cap = join(d, 'cap');
    const rec = recordAsync(['-o', cap, '--upload', c.url, '--token-file', tok, ...RECORD, '--', WORKLOAD, 'getppid-rate', '20000', '6']);
    await until(streaming(coll));
    await c.stop('SIGKILL');
    await until(() => rec.err().includes('retrying'));
    await new Promise((r) => setTimeout(r, 1000)); // batches written while it is down
    c = await startCollector(coll, tok, c.port);
    const r = await rec.done;
    await c.stop();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/retrying/);
    expect(r.stderr).toMatch(/uploaded to http:\/\/127\.0\.0\.1:\d+\/ as /);
    const remote = collected(coll);
    expectSameCapture(cap, remote);
    expectSameRows(cap, remote);
    for (const report of ['summary', 'syscalls', 'cpu']) expect(analyzed(remote, report)).toBe(analyzed(cap, report));
    const wl = workload(r.stdout);
    expect(wl.n).toBeGreaterThan(10_000);
    // the workload's loop makes wl.n calls; one more before it may be caught
    expect(getppidCalls(remote, wl.tid) - wl.n).toBeGreaterThanOrEqual(0);
    expect(getppidCalls(remote, wl.tid) - wl.n).toBeLessThanOrEqual(1);
  });

  it('the collector unreachable for 10 s (its netns link down) while the recording streams: the same rows, table by table', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const coll = join(d, 'coll');
    const v = vethNamespace();
    try {
      const c = await startCollector(coll, tok, 0, [], { host: v.addr, wrap: v.wrap });
      const cap = join(d, 'cap');
      const rec = recordAsync(['-o', cap, '--upload', c.url, '--token-file', tok, ...RECORD, '--', WORKLOAD, 'getppid-rate', '20000', '18']);
      await until(streaming(coll));
      v.down();
      await new Promise((r) => setTimeout(r, 1000)); // what was in flight when the link went down has landed or is lost
      const [remote0, local0] = [tableBytes(collected(coll)), tableBytes(cap)];
      await new Promise((r) => setTimeout(r, 9000));
      const [remote1, local1] = [tableBytes(collected(coll)), tableBytes(cap)];
      v.up();
      const r = await rec.done;
      await c.stop();
      // nothing reached the collector while the link was down, and the recording went on meanwhile
      expect(remote1).toBe(remote0);
      expect(local1).toBeGreaterThan(local0);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/uploaded to http:\/\/10\.78\.\d+\.2:\d+\/ as /);
      const remote = collected(coll);
      expectSameRows(cap, remote);
      expectSameCapture(cap, remote);
      const wl = workload(r.stdout);
      expect(getppidCalls(remote, wl.tid) - wl.n).toBeGreaterThanOrEqual(0);
      expect(getppidCalls(remote, wl.tid) - wl.n).toBeLessThanOrEqual(1);
    } finally {
      v.cleanup();
    }
  });

  it('the recorder killed -9: ktape upload sends the rest of the crashed capture', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const coll = join(d, 'coll');
    const c = await startCollector(coll, tok);
    const cap = join(d, 'cap');
    const rec = recordAsync(['-o', cap, '--upload', c.url, '--token-file', tok, ...RECORD, '--', WORKLOAD, 'getppid-rate', '20000', '30']);
    await until(streaming(coll));
    await new Promise((r) => setTimeout(r, 1500)); // more batches written than acked, likely
    rec.proc.kill('SIGKILL');
    expect((await rec.done).signal).toBe('SIGKILL');
    const u = ktape(['upload', cap, c.url, '--token-file', tok]);
    await c.stop();
    expect(u.status, u.stderr).toBe(0);
    expect(u.stderr).toMatch(/the capture is incomplete/);
    const remote = collected(coll);
    // every complete message: the local files are cut only between batches unless the kill tore one
    for (const f of readdirSync(cap).filter((f) => f.endsWith('.arrows'))) {
      const a = readFileSync(join(cap, f)),
        b = readFileSync(join(remote, f));
      expect(a.subarray(0, b.byteLength).equals(b), f).toBe(true);
    }
    expect(readFileSync(join(remote, 'manifest.json')).equals(readFileSync(join(cap, 'manifest.json')))).toBe(true);
    const torn = readdirSync(cap).some((f) => f.endsWith('.arrows') && readFileSync(join(cap, f)).byteLength !== readFileSync(join(remote, f)).byteLength);
    if (!torn) expect(analyzed(remote, 'syscalls')).toBe(analyzed(cap, 'syscalls'));
    expect(analyzed(remote, 'tasks')).toBe(analyzed(cap, 'tasks'));
  });

  it('an unreachable collector and --spool-max: events dropped are losses (spool_full) in the capture; ktape upload ships it later', async () => {
    const d = tmp();
    const tok = tokenFile(d);
    const cap = join(d, 'cap');
    const r = ktape(
      [
        'record',
        '-o',
        cap,
        '--upload',
        'http://127.0.0.1:9',
        '--token-file',
        tok,
        '--spool-max',
        '1M',
        '--upload-wait',
        '1',
        '--compress',
        'none',
        ...RECORD,
      ].concat(['--', WORKLOAD, 'getppid-rate', '300000', '3']),
      { cwd: ROOT },
    );
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the collector .*recording anyway/);
    expect(r.stderr).toMatch(/upload spool full: .* \(--spool-max 1\.0MiB\); dropping events/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(/(gave up sending|not all uploaded after 1 s).*; .*intact locally: run ktape upload /);
    const wl = workload(r.stdout);
    const q = ktape([
      'query',
      cap,
      "SELECT kind, sum(count) AS n, min(ts_start) AS t0, max(ts_end) AS t1 FROM losses WHERE reason = 'spool_full' GROUP BY 1",
      '--json',
    ]);
    expect(q.status, q.stderr).toBe(0);
    const lost = Object.fromEntries(JSON.parse(q.stdout).map((l: any) => [l.kind, l]));
    expect(Number(lost.sys_enter?.n ?? 0)).toBeGreaterThan(0);
    expect(Number(lost.sys_enter.t1)).toBeGreaterThanOrEqual(Number(lost.sys_enter.t0));
    const recorded = getppidCalls(cap, wl.tid);
    expect(recorded).toBeLessThan(wl.n);
    expect(recorded + Number(lost.sys_enter.n)).toBeGreaterThanOrEqual(wl.n);
    const coll = join(d, 'coll');
    const c = await startCollector(coll, tok);
    const u = ktape(['upload', cap, c.url, '--token-file', tok]);
    await c.stop();
    expect(u.status, u.stderr).toBe(0);
    expectSameCapture(cap, collected(coll));
  });
});
