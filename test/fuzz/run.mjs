#!/usr/bin/env node
/**
 * Fuzz ktape's readers with mutated copies of a fixture capture: every case runs through every
 * command that reads a capture (analyze with two reports, query, tables, convert, both exports,
 * compare), in worker processes (worker.mjs). A run passes when it ends, within the time bound,
 * with exit 0 or 2, no stack trace and no internal error; a crash or hang of a worker is a failure
 * named after the case and command it was running.
 *
 *   node test/fuzz/run.mjs --cases 2000 --seed 7 [--fixture tiny] [--workers 2] [--json out.json]
 *
 * `npm test` runs a short fixed-seed run (test/unit/fuzz.test.ts); `npm run fuzz` a long one.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { mutate } from './mutate.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
const WORKER = new URL('./worker.mjs', import.meta.url).pathname;

function badRun(res) {
  if (res.status !== 0 && res.status !== 2) return `exit ${res.status}`;
  if (/\n\s+at \S/.test(`\n${res.stderr}`)) return 'stack trace';
  if (/internal error/.test(res.stderr)) return 'internal error';
  return null;
}

/** One worker process; `run(case)` resolves with the case's results, or a failure on crash/hang. */
function startWorker(timeoutMs) {
  const p = spawn(process.execPath, [WORKER], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: p.stdout });
  let pending = null,
    current = null,
    timer = null;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => finish({ hang: current }), timeoutMs);
  };
  const finish = (extra) => {
    clearTimeout(timer);
    const pd = pending;
    pending = null;
    if (pd) pd.resolve({ results: pd.results, ...extra });
  };
  lines.on('line', (l) => {
    const m = JSON.parse(l);
    if (!pending) return;
    if (m.start !== undefined) {
      current = m.cmd;
      arm();
      return;
    }
    pending.results.push(m);
    if (pending.results.length === pending.count) finish({});
  });
  p.on('exit', (code, sig) => finish({ crash: `${current}: worker ${sig ? `killed by ${sig}` : `exited ${code}`}` }));
  return {
    proc: p,
    run(c, count) {
      return new Promise((resolve) => {
        pending = { resolve, results: [], count };
        current = null;
        arm();
        p.stdin.write(`${JSON.stringify(c)}\n`);
      });
    },
    stop() {
      clearTimeout(timer);
      p.stdin.end();
      p.kill('SIGKILL');
    },
  };
}

export async function fuzz({ cases = 200, seed = 1, fixture = 'tiny', workers = 2, timeoutMs = 60_000, onCase, onFailure } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'ktape-fuzz-'));
  const base = join(ROOT, 'fixtures', fixture);
  const failures = [];
  const byStatus = {};
  let runs = 0,
    next = 0;
  const pool = Array.from({ length: workers }, () => startWorker(timeoutMs));
  const CMDS = 8;
  async function loop(w) {
    while (next < cases) {
      const id = next++;
      const dir = join(root, `case-${id}`),
        scratch = join(root, `scratch-${id}`);
      cpSync(base, dir, { recursive: true });
      mkdirSync(scratch);
      const what = mutate(dir, seed * 1_000_003 + id);
      const r = await pool[w].run({ id, dir, other: base, scratch }, CMDS);
      for (const res of r.results) {
        runs++;
        byStatus[res.status] = (byStatus[res.status] ?? 0) + 1;
        const bad = badRun(res);
        if (bad) onFailure?.(failures[failures.push({ id, mutation: what, cmd: res.cmd, why: bad, stderr: res.stderr.slice(0, 500) }) - 1]);
      }
      if (r.hang || r.crash) {
        onFailure?.(failures[failures.push({ id, mutation: what, cmd: r.hang ?? r.crash, why: r.hang ? `no answer within ${timeoutMs} ms` : 'crash' }) - 1]);
        pool[w].stop();
        pool[w] = startWorker(timeoutMs);
      }
      rmSync(dir, { recursive: true, force: true });
      onCase?.({ id, what, failures: failures.length });
    }
  }
  try {
    await Promise.all(pool.map((_, w) => loop(w)));
  } finally {
    for (const w of pool) w.stop();
    rmSync(root, { recursive: true, force: true });
  }
  return { cases, runs, seed, fixture, byStatus, failures };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const t0 = Date.now();
  const tty = process.stderr.isTTY;
  const res = await fuzz({
    cases: Number(arg('cases', 1000)),
    seed: Number(arg('seed', Date.now() % 100000)),
    fixture: arg('fixture', 'tiny'),
    workers: Number(arg('workers', 2)),
    onCase: ({ id, failures }) => tty && process.stderr.write(`\rfuzz: case ${id + 1}, ${failures} failures\x1b[K`),
    onFailure: (f) => console.log(`FAIL case ${f.id} (${f.mutation}): ${f.cmd}: ${f.why} ${f.stderr ?? ''}`),
  });
  if (tty) process.stderr.write('\n');
  console.log(
    `fuzz: ${res.cases} cases, ${res.runs} command runs, seed ${res.seed}, fixture ${res.fixture}, exits ${JSON.stringify(res.byStatus)}, ${res.failures.length} failures, ${((Date.now() - t0) / 1000).toFixed(0)} s`,
  );
  const out = arg('json');
  if (out) writeFileSync(out, JSON.stringify(res, null, 2));
  process.exitCode = res.failures.length ? 1 : 0;
}
