/**
 * Fuzz worker: runs ktape commands in this one process (the built CLI's exported main(), as the
 * `ktape` binary runs them) over the capture directories named on stdin, one JSON line each:
 *   {"id": 3, "dir": "/tmp/x/case3", "other": "/tmp/x/base"}
 * and prints one JSON line per command: {"id", "cmd", "status", "ms", "stderr"}. A crash of this
 * process (a segfault) or a case that never ends is seen by the parent, which knows the last case
 * started from the "start" lines.
 */
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { rmSync } from 'node:fs';

const CLI = new URL('../../dist/cli/main.js', import.meta.url).pathname;
const _out = process.stdout.write.bind(process.stdout);
const REPORTS = ['cpu', 'sched-latency', 'syscalls', 'tasks', 'offcpu', 'leaks', 'switches'];

// the CLI's module runs its own main(process.argv) on import: give it a harmless one
const argv0 = process.argv;
process.argv = [argv0[0], CLI, '--version'];
const quiet = true;
const realOut = process.stdout.write.bind(process.stdout),
  _realErr = process.stderr.write.bind(process.stderr);
let captured = '';
process.stdout.write = (c, ...a) => (quiet ? true : realOut(c, ...a));
process.stderr.write = (c) => {
  captured += String(c);
  return true;
};
const { main } = await import(CLI);
await new Promise((r) => setTimeout(r, 50));
process.argv = argv0;

function commands(c) {
  const d = c.dir,
    t = join(c.scratch, 'out');
  return [
    ['analyze', d],
    ['analyze', d, REPORTS[c.id % REPORTS.length]],
    ['query', d, 'SELECT count(*) FROM sched_slices'],
    ['tables', d],
    ['convert', d, '--parquet', `${t}-pq`],
    ['export', d, '--perfetto', `${t}.pftrace`, '-q'],
    ['export', d, '--chrome', `${t}.json`, '-q'],
    ['compare', c.other, d],
  ];
}

const rl = createInterface({ input: process.stdin });
for await (const line of rl) {
  if (!line.trim()) continue;
  const c = JSON.parse(line);
  for (const cmd of commands(c)) {
    realOut(`${JSON.stringify({ start: c.id, cmd: cmd[0] })}\n`);
    captured = '';
    process.exitCode = undefined;
    const t0 = performance.now();
    let status;
    try {
      status = await main(['node', 'ktape', ...cmd]);
    } catch (e) {
      status = 'threw';
      captured += String(e?.stack ?? e);
    }
    realOut(`${JSON.stringify({ id: c.id, cmd: cmd.join(' '), status, ms: Math.round(performance.now() - t0), stderr: captured.slice(0, 2000) })}\n`);
  }
  rmSync(c.scratch, { recursive: true, force: true });
}
process.exitCode = 0;
