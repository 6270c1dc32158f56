/**
 * Small helpers shared by the benchmark scripts: running a command and
 * collecting its output, process-tree CPU accounting through /proc, medians
 * and plain-text tables. Benchmarks print figures; they never assert.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  wallNs: number;
}

/** Run a command to completion, capturing stdout and stderr. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [],
      err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let timer: NodeJS.Timeout | null = null;
    if (opts.timeoutMs) timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    const done = (code: number | null) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), wallNs: Number(process.hrtime.bigint() - t0) });
    };
    child.on('error', (e) => {
      err.push(Buffer.from(String(e)));
      done(127);
    });
    child.on('close', (code, sig) => done(code ?? (sig ? 128 : null)));
  });
}

/** Does `cmd` exist on PATH? */
export function which(cmd: string): string | null {
  for (const d of (process.env.PATH ?? '').split(':')) {
    const p = join(d, cmd);
    if (d && existsSync(p)) return p;
  }
  return null;
}

/**
 * tree-cpu.sh OUT CMD...: run CMD, wait for it, then write this shell's
 * /proc stat line to OUT. The line's cutime/cstime fields hold the CPU time
 * of every descendant that was waited for (CMD and, recursively, its own
 * reaped children), in clock ticks.
 */
export function writeTreeCpuScript(dir: string): string {
  const p = join(dir, 'tree-cpu.sh');
  writeFileSync(p, '#!/bin/sh\nout=$1; shift\n"$@"\nrc=$?\nread -r line < /proc/$$/stat\necho "$line" > "$out"\nexit $rc\n');
  chmodSync(p, 0o755);
  return p;
}

const CLK_TCK = 100; // USER_HZ: fixed at 100 on Linux for /proc times

/** {self, children} CPU ns from a /proc/<pid>/stat line written by tree-cpu.sh. */
export function readTreeCpu(path: string): { selfNs: number; childrenNs: number } | null {
  if (!existsSync(path)) return null;
  const line = readFileSync(path, 'utf8');
  const f = line
    .slice(line.lastIndexOf(')') + 2)
    .trim()
    .split(/\s+/);
  // fields after the comm: f[0] = state (field 3); utime = field 14 -> f[11]
  const tick = 1e9 / CLK_TCK;
  return { selfNs: (Number(f[11]) + Number(f[12])) * tick, childrenNs: (Number(f[13]) + Number(f[14])) * tick };
}

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

export function sum(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Total size of a file, or of every file under a directory. */
export function diskBytes(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  let n = 0;
  for (const f of readdirSync(path)) n += diskBytes(join(path, f));
  return n;
}

/** The first stdout line that parses as a JSON object with the given key. */
export function jsonLine<T = Record<string, unknown>>(text: string, key: string): T | null {
  for (const l of text.split('\n')) {
    const s = l.trim();
    if (!s.startsWith('{')) continue;
    try {
      const o = JSON.parse(s);
      if (o && typeof o === 'object' && key in o) return o as T;
    } catch {
      /* not JSON */
    }
  }
  return null;
}

/** Format helpers for tables */
export const fx = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
export const fint = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '-');
export const fratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '-');

/** A plain-text table: first row is the header; numbers right-aligned. */
export function table(rows: string[][], title?: string): string {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const isNum = (s: string) => /^[-+]?[\d,.]+(×| ?%| ?[kMG]?B?\/s)?$|^-$/.test(s);
  const fmt = (r: string[], head: boolean) =>
    r
      .map((c, i) => (!head && isNum(c) && i > 0 ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  const lines = [fmt(rows[0], true), w.map((n) => '-'.repeat(n)).join('  ')];
  for (const r of rows.slice(1)) lines.push(fmt(r, false));
  return (title ? `${title}\n` : '') + lines.join('\n');
}

export function loadAvg(): number[] {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return [];
  }
}
