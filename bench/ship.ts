/**
 * Shipping benchmark (issue 14): `ktape record --upload` to `ktape collect` over loopback while a paced
 * getppid workload makes 500k calls/s (1M syscall events/s), against the same recording without --upload,
 * the two interleaved rep by rep.
 *  - upload throughput: the capture's bytes and events over the recorder's wall time (which ends only once
 *    the collector holds everything), and the tail the upload adds after the workload ends;
 *  - zero loss: events lost by the recorder (ring or spool), and the collector's copy compared with the
 *    local capture, file by file, byte for byte (so its rows are the local rows);
 *  - collector CPU per event: the collector process's CPU (/proc/PID/stat) across the rep, over the events;
 *  - recorder CPU that --upload adds: the recorder's whole process tree (tree-cpu.sh) minus the workload's
 *    own CPU (exitstat.so), with and without --upload.
 * Figures only: nothing here passes or fails on timing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pkgPath } from '../record/paths.js';
import { diskBytes, fint, fx, jsonLine, median, readTreeCpu, run, table, writeTreeCpuScript } from './lib.js';
import { buildExitstat, readExitStat } from './record.js';

type Mode = 'local' | 'upload';
const MODES: Mode[] = ['local', 'upload'];
const CALLS_PER_S = 500_000;

export interface ShipSample {
  mode: Mode;
  rep: number;
  ok: boolean;
  wallNs: number;
  workloadNs: number;
  events: number;
  lost: number;
  bytes: number;
  recorderCpuNs: number;
  collectorCpuNs?: number;
  /** the collector's copy is the local capture, byte for byte */
  identical?: boolean;
  error?: string;
}

export interface ShipSummary {
  mode: Mode;
  runs: number;
  failed: number;
  eventsPerS: number;
  lost: number;
  recorderCpuNsPerEvent: number;
  uploadMBps?: number;
  /** events the collector received per second of the recorder's wall time */
  uploadEventsPerS?: number;
  uploadTailMs?: number;
  collectorCpuNsPerEvent?: number;
  identical?: boolean;
}

export interface ShipBenchResult {
  callsPerS: number;
  secs: number;
  reps: number;
  samples: ShipSample[];
  summary: ShipSummary[];
  /** median recorder CPU per event with --upload minus without, ns */
  addedRecorderCpuNsPerEvent: number;
}

interface Collector {
  proc: ChildProcess;
  url: string;
  cpuNs: () => number;
}

const CLK_TICK_NS = 1e7; // USER_HZ 100

function startCollector(node: string, cli: string, dir: string, token: string): Promise<Collector> {
  const proc = spawn(node, [cli, 'collect', '--listen', '127.0.0.1:0', '--dir', dir, '--token-file', token], { stdio: ['ignore', 'ignore', 'pipe'] });
  const cpuNs = () => {
    const line = readFileSync(`/proc/${proc.pid}/stat`, 'utf8');
    const f = line.slice(line.lastIndexOf(')') + 2).split(/\s+/);
    return (Number(f[11]) + Number(f[12])) * CLK_TICK_NS;
  };
  let err = '';
  return new Promise((resolve, reject) => {
    proc.stderr!.on('data', (c: Buffer) => {
      err += c;
      const m = /collecting on (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
      if (m) resolve({ proc, url: m[1], cpuNs });
    });
    proc.once('exit', (code) => reject(new Error(`ktape collect exited (${code}): ${err.slice(-400)}`)));
  });
}

/** table files and manifest of a capture, name → bytes */
function files(dir: string): Map<string, Buffer> {
  const m = new Map<string, Buffer>();
  for (const f of readdirSync(dir).sort()) if (f === 'manifest.json' || f.endsWith('.arrows')) m.set(f, readFileSync(join(dir, f)));
  return m;
}

function sameCapture(local: string, collDir: string): boolean {
  const hosts = readdirSync(collDir);
  const recs = hosts.length === 1 ? readdirSync(join(collDir, hosts[0])) : [];
  if (recs.length !== 1) return false;
  const a = files(local),
    b = files(join(collDir, hosts[0], recs[0]));
  return a.size === b.size && [...a].every(([f, bytes]) => b.get(f)?.equals(bytes) === true);
}

interface Ctx {
  node: string;
  cli: string;
  workload: string;
  treeCpu: string;
  exitstat: string;
  workdir: string;
  token: string;
  secs: number;
}

async function runOnce(c: Ctx, mode: Mode, rep: number, coll: Collector | null, collDir: string): Promise<ShipSample> {
  const dir = join(c.workdir, `ship-${mode}-${rep}`);
  const [outer, inner] = [join(c.workdir, 'ship-outer.stat'), join(c.workdir, 'ship-inner.stat')];
  for (const p of [dir, outer, inner]) rmSync(p, { recursive: true, force: true });
  const upload = coll ? ['--upload', coll.url, '--token-file', c.token] : [];
  const cpu0 = coll?.cpuNs() ?? 0;
  const wl = ['env', `LD_PRELOAD=${c.exitstat}`, `KT_EXITSTAT=${inner}`, c.workload, 'getppid-rate', String(CALLS_PER_S), String(c.secs)];
  const r = await run(c.treeCpu, [outer, c.node, c.cli, 'record', '-o', dir, '--events', 'syscall', ...upload, '--json', '-q', '--', ...wl]);
  const j = jsonLine<{ elapsed_ns: number }>(r.stdout, 'elapsed_ns');
  const k = jsonLine<{ events_total: number; lost: number; bytes: number }>(r.stdout, 'events_total');
  const tree = readTreeCpu(outer),
    w = readExitStat(inner);
  const s: ShipSample = {
    mode,
    rep,
    ok: r.code === 0 && !!j && !!k && !!tree && w !== null,
    wallNs: r.wallNs,
    workloadNs: j?.elapsed_ns ?? NaN,
    events: k?.events_total ?? NaN,
    lost: k?.lost ?? NaN,
    bytes: diskBytes(dir),
    recorderCpuNs: tree && w !== null ? tree.childrenNs - w : NaN,
  };
  if (coll) {
    s.collectorCpuNs = coll.cpuNs() - cpu0;
    s.identical = s.ok && sameCapture(dir, collDir);
  }
  if (!s.ok) s.error = (r.stderr || r.stdout).slice(-600);
  rmSync(dir, { recursive: true, force: true });
  // the collector's copy (its DIR itself stays: the collector made it and keeps it)
  for (const h of coll ? readdirSync(collDir) : []) rmSync(join(collDir, h), { recursive: true, force: true });
  return s;
}

function summarize(samples: ShipSample[], mode: Mode): ShipSummary {
  const ok = samples.filter((s) => s.mode === mode && s.ok);
  const med = (f: (s: ShipSample) => number) => median(ok.map(f));
  const sum: ShipSummary = {
    mode,
    runs: ok.length,
    failed: samples.filter((s) => s.mode === mode && !s.ok).length,
    eventsPerS: med((s) => s.events / (s.workloadNs / 1e9)),
    lost: ok.reduce((n, s) => n + s.lost, 0),
    recorderCpuNsPerEvent: med((s) => s.recorderCpuNs / s.events),
  };
  if (mode === 'upload') {
    sum.uploadMBps = med((s) => s.bytes / 2 ** 20 / (s.wallNs / 1e9));
    sum.uploadEventsPerS = med((s) => s.events / (s.wallNs / 1e9));
    sum.uploadTailMs = med((s) => (s.wallNs - s.workloadNs) / 1e6);
    sum.collectorCpuNsPerEvent = med((s) => (s.collectorCpuNs ?? NaN) / s.events);
    sum.identical = ok.length > 0 && ok.every((s) => s.identical);
  }
  return sum;
}

export async function benchShip(o: { quick: boolean; reps: number; workdir: string; log: (s: string) => void }): Promise<ShipBenchResult> {
  const workdir = join(o.workdir, 'ship');
  mkdirSync(workdir, { recursive: true, mode: 0o700 });
  const token = join(workdir, 'token');
  writeFileSync(token, `${'b'.repeat(64)}\n`);
  chmodSync(token, 0o600);
  const c: Ctx = {
    node: process.execPath,
    cli: pkgPath('dist/cli/main.js'),
    workload: pkgPath('build/ktape-workload'),
    treeCpu: writeTreeCpuScript(workdir),
    exitstat: await buildExitstat(workdir),
    workdir,
    token,
    secs: Number(process.env.KTAPE_BENCH_SHIP_SECS ?? (o.quick ? 3 : 10)),
  };
  const collDir = join(workdir, 'collected');
  const coll = await startCollector(c.node, c.cli, collDir, token);
  const samples: ShipSample[] = [];
  try {
    for (let rep = 0; rep < o.reps; rep++)
      for (const mode of rep % 2 ? [...MODES].reverse() : MODES) {
        o.log(`  ship: ${mode} rep ${rep + 1}/${o.reps} (getppid at ${fint(CALLS_PER_S)} calls/s for ${c.secs} s)`);
        samples.push(await runOnce(c, mode, rep, mode === 'upload' ? coll : null, collDir));
        const e = samples.at(-1)!.error;
        if (e) o.log(`    failed: ${e.split('\n').filter(Boolean).at(-1)}`);
      }
  } finally {
    coll.proc.kill('SIGTERM');
  }
  const summary = MODES.map((m) => summarize(samples, m));
  const [local, up] = summary;
  return {
    callsPerS: CALLS_PER_S,
    secs: c.secs,
    reps: o.reps,
    samples,
    summary,
    addedRecorderCpuNsPerEvent: up.recorderCpuNsPerEvent - local.recorderCpuNsPerEvent,
  };
}

export function formatShipBench(r: ShipBenchResult): string {
  const rows = [
    [
      'mode',
      'runs',
      'failed',
      'events/s',
      'lost',
      'recorder CPU ns/event',
      'upload MB/s',
      'upload events/s',
      'upload tail ms',
      'collector CPU ns/event',
      'identical',
    ],
  ];
  for (const s of r.summary)
    rows.push([
      s.mode,
      String(s.runs),
      String(s.failed),
      fint(s.eventsPerS),
      fint(s.lost),
      fx(s.recorderCpuNsPerEvent, 1),
      s.uploadMBps === undefined ? '' : fx(s.uploadMBps, 1),
      s.uploadEventsPerS === undefined ? '' : fint(s.uploadEventsPerS),
      s.uploadTailMs === undefined ? '' : fint(s.uploadTailMs),
      s.collectorCpuNsPerEvent === undefined ? '' : fx(s.collectorCpuNsPerEvent, 1),
      s.identical === undefined ? '' : s.identical ? 'yes' : 'NO',
    ]);
  return `${table(rows, `Upload over loopback: getppid at ${fint(r.callsPerS)} calls/s (${fint(2 * r.callsPerS)} events/s) for ${r.secs} s, ${r.reps} interleaved reps (medians)`)}
--upload adds ${fx(r.addedRecorderCpuNsPerEvent, 1)} ns of recorder CPU per event (recorder tree minus the workload)`;
}
