/** Helpers of the shipping tests: a collector run through the built CLI, raw requests, capture comparison. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { expect } from 'vitest';
import { TABLES } from '../../dist/formats/schema.js';
import { CLI, ktape } from '../helpers.js';

export interface RunningCollector {
  proc: ChildProcess;
  port: number;
  url: string;
  stderr: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

/** A token file (0600) in `dir`. */
export function tokenFile(dir: string, name = 'token', token = createHash('sha256').update(name).digest('hex')): string {
  const p = join(dir, name);
  writeFileSync(p, `${token}\n`);
  chmodSync(p, 0o600);
  return p;
}

/**
 * Start `ktape collect` on 127.0.0.1 (port 0, or `port` to restart on the same one); resolves once it listens.
 * `at`: another address, and a command that runs it elsewhere (e.g. ['ip', 'netns', 'exec', NS]).
 */
export function startCollector(
  dir: string,
  token: string,
  port = 0,
  extra: string[] = [],
  at: { host: string; wrap: string[] } = { host: '127.0.0.1', wrap: [] },
): Promise<RunningCollector> {
  const argv = [process.execPath, CLI, 'collect', '--listen', `${at.host}:${port}`, '--dir', dir, '--token-file', token, ...extra];
  const proc = spawn([...at.wrap, ...argv][0], [...at.wrap, ...argv].slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = new RegExp(`collecting on http://${at.host.replaceAll('.', '\\.')}:(\\d+)`).exec(err);
      if (m && !(proc as { resolved?: boolean }).resolved) {
        (proc as { resolved?: boolean }).resolved = true;
        const p = Number(m[1]);
        resolve({
          proc,
          port: p,
          url: `http://${at.host}:${p}`,
          stderr: () => err,
          stop: (signal = 'SIGTERM') =>
            new Promise((r) => {
              if (proc.exitCode !== null || proc.signalCode !== null) return r();
              proc.once('exit', () => r());
              proc.kill(signal);
            }),
        });
      }
    });
    proc.once('exit', (code) => reject(new Error(`collector exited (${code}): ${err}`)));
  });
}

/** Run the built CLI without blocking the test's event loop (for servers the test itself runs). */
export function ktapeAsync(args: string[]): Promise<{ status: number | null; stderr: string }> {
  const p = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  p.stderr!.on('data', (c: Buffer) => (stderr += c));
  return new Promise((resolve) => p.on('exit', (status) => resolve({ status, stderr })));
}

/** One raw HTTP request (the path is sent as is: no URL normalization). */
export function raw(
  port: number,
  method: string,
  path: string,
  body: Uint8Array | null,
  headers: Record<string, string>,
): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { ...(body ? { 'content-length': String(body.byteLength) } : {}), ...headers } });
    req.on('error', reject);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        const t = Buffer.concat(parts).toString();
        let json: any = null;
        try {
          json = JSON.parse(t);
        } catch {
          json = t;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.end(body ?? undefined);
  });
}

/** The capture's files an upload carries (table segments and the manifest), name → bytes. */
export function captureFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const f of readdirSync(dir).sort()) if (f === 'manifest.json' || /\.\d{4}\.arrows$/.test(f)) out.set(f, readFileSync(join(dir, f)));
  return out;
}

/** The one recording directory under a collector's DIR/HOST. */
export function collected(dir: string): string {
  const hosts = readdirSync(dir);
  if (hosts.length !== 1) throw new Error(`expected one host under ${dir}, got ${hosts.join(',')}`);
  const recs = readdirSync(join(dir, hosts[0]));
  if (recs.length !== 1) throw new Error(`expected one recording under ${dir}/${hosts[0]}, got ${recs.join(',')}`);
  return join(dir, hosts[0], recs[0]);
}

/** `ktape analyze CAP REPORT --json`, with the capture's directory (the report's `dir`) replaced by CAP */
export function analyzed(cap: string, report = 'summary'): string {
  const r = ktape(['analyze', cap, report, '--json']);
  if (r.status !== 0) throw new Error(`ktape analyze ${cap} ${report}: ${r.stderr}`);
  return r.stdout.split(`"dir": ${JSON.stringify(cap)}`).join('"dir": "CAP"');
}

/**
 * The same rows, table by table: per table, one `ktape query` per copy counts the rows and sums their hashes
 * (a row stored twice, or missing, changes both).
 */
export function expectSameRows(local: string, remote: string): void {
  const sql = TABLES.map((t) => `SELECT '${t.name}' AS t, count(*) AS n, coalesce(sum(hash(x)), 0)::VARCHAR AS h FROM _${t.name} x`).join(' UNION ALL ');
  const [a, b] = [local, remote].map((cap) => {
    const r = ktape(['query', cap, `${sql} ORDER BY t`, '--json']);
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as { t: string; n: number; h: string }[];
  });
  expect(b).toEqual(a);
  expect(a.reduce((n, x) => n + Number(x.n), 0)).toBeGreaterThan(0);
}

/** The same table files and manifest, byte for byte, and no stray file at the collector. */
export function expectSameCapture(local: string, remote: string): void {
  const a = captureFiles(local),
    b = captureFiles(remote);
  expect([...b.keys()]).toEqual([...a.keys()]);
  for (const [f, bytes] of a) expect(b.get(f)!.equals(bytes), f).toBe(true);
  for (const f of readdirSync(remote)) expect(f.startsWith('.'), `stray file ${f}`).toBe(false);
}
