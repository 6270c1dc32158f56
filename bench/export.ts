/**
 * Exporter benchmark: events/s and peak RSS of `ktape export --perfetto` and `--chrome`, each run in its own
 * child process (the CLI, with -q) so that the peak RSS is the export's alone (/usr/bin/time's %M). Captures: KTAPE_BENCH_EXPORT_CAPTURE
 * (comma-separated) if set, else two recorded here as root (a getppid storm, ~4M syscall events; a pingpong
 * of sched switches with --events sched,task), else the demo fixture. The events are those the CLI reports.
 * KTAPE_BENCH_EXPORT_BEFORE=/path/to/an/older/checkout (built: dist/) runs that checkout's exporter on the
 * same captures, interleaved with this one, for a before/after table. KTAPE_BENCH_EXPORT_MEMORY_LIMIT=SIZE adds
 * a Perfetto export with --memory-limit SIZE (this checkout only). Wall time is what a user waits; the CPU
 * time (user + sys of the child, every DuckDB thread included) is the figure to compare on a loaded machine.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pkgPath } from '../record/paths.js';
import { loadAvg, median, run, table } from './lib.js';

interface Opts {
  quick?: boolean;
  reps?: number;
  workdir?: string;
  log?: (s: string) => void;
}

async function record(o: Opts, log: (s: string) => void, name: string, args: string[]): Promise<string | null> {
  const dir = join(o.workdir ?? '/tmp', `export-bench-${name}`);
  if (existsSync(join(dir, 'manifest.json'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(o.workdir ?? '/tmp', { recursive: true });
  log(`recording the export benchmark capture (${name}) ...`);
  const r = await run(process.execPath, [pkgPath('dist/cli/main.js'), 'record', '-q', '-o', dir, '--duration', '10', ...args]);
  if (r.code === 0) return dir;
  log(`(recording failed: ${r.stderr.trim().split('\n')[0]})`);
  return null;
}

async function captures(o: Opts, log: (s: string) => void): Promise<string[]> {
  const env = process.env.KTAPE_BENCH_EXPORT_CAPTURE;
  if (env) return env.split(',');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const wl = pkgPath('build/ktape-workload');
  const out: string[] = [];
  if (isRoot && existsSync(wl)) {
    const n = o.quick ? '500000' : '2000000';
    const a = await record(o, log, `getppid-${n}`, ['--', wl, 'getppid', n]);
    const b = await record(o, log, `pingpong-${o.quick ? 50000 : 300000}`, ['--events', 'sched,task', '--', wl, 'pingpong', o.quick ? '50000' : '300000']);
    for (const d of [a, b]) if (d) out.push(d);
  }
  return out.length ? out : [pkgPath('fixtures/demo')];
}

interface One {
  events: number;
  bytes: number;
  seconds: number;
  cpuSeconds: number;
  rssMb: number;
}

/** one CLI export in a child under /usr/bin/time: wall time, and the child's peak RSS (%M, KiB) */
async function once(root: string, capture: string, args: string[], outFile: string): Promise<One> {
  const x = await run('/usr/bin/time', [
    '-f',
    'ktape-bench-rss %M %U %S',
    process.execPath,
    join(root, 'dist/cli/main.js'),
    'export',
    capture,
    ...args,
    outFile,
  ]);
  if (x.code !== 0) throw new Error(`export failed (${root}): ${x.stderr.trim().split('\n')[0]}`);
  const rss = /ktape-bench-rss (\d+) ([\d.]+) ([\d.]+)/.exec(x.stderr);
  const ev = /: (\d+) events.*?, ([\d.]+) MB in/.exec(x.stderr);
  return {
    events: ev ? Number(ev[1]) : 0,
    bytes: ev ? Number(ev[2]) * 1e6 : 0,
    seconds: x.wallNs / 1e9,
    cpuSeconds: rss ? Number(rss[2]) + Number(rss[3]) : NaN,
    rssMb: rss ? Number(rss[1]) / 1024 : 0,
  };
}

const KINDS: [string, string[]][] = [
  ['perfetto', ['--perfetto']],
  ['perfetto --no-compact', ['--no-compact', '--perfetto']],
  ['chrome', ['--chrome']],
];

/** the exports to run: KINDS, plus a Perfetto export at KTAPE_BENCH_EXPORT_MEMORY_LIMIT (this checkout only: older ones lack the flag) */
function kinds(code: string): [string, string[]][] {
  const limit = process.env.KTAPE_BENCH_EXPORT_MEMORY_LIMIT;
  return limit && code === 'after' ? [...KINDS, [`perfetto --memory-limit ${limit}`, ['--memory-limit', limit, '--perfetto']]] : KINDS;
}

export async function benchExport(o: Opts = {}): Promise<object> {
  const log = o.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const reps = Math.max(1, Math.min(o.reps ?? 3, 5));
  const before = process.env.KTAPE_BENCH_EXPORT_BEFORE;
  const roots: [string, string][] = [['after', pkgPath('.')], ...(before ? [['before', before] as [string, string]] : [])];
  const outDir = join(o.workdir ?? '/tmp', 'export-bench-out');
  mkdirSync(outDir, { recursive: true });
  const results: Record<string, unknown>[] = [];
  const rows = [['capture', 'export', 'code', 'events', 'median s', 'events/s', 'cpu s', 'events/cpu-s', 'output MB', 'peak RSS MB', 'load']];
  for (const capture of await captures(o, log)) {
    const res = new Map<string, (One & { load: number })[]>();
    // interleaved: every rep runs each export of each checkout once, so drift in the machine's load hits both alike
    for (let r = 0; r < reps; r++)
      for (const [name, args] of kinds('after'))
        for (const [code, root] of roots) {
          if (!kinds(code).some(([n]) => n === name)) continue;
          const key = `${name}\t${code}`;
          if (!res.has(key)) res.set(key, []);
          // the 1-minute load average: wall-clock figures mean little when it is above the core count
          const load = loadAvg()[0] ?? NaN;
          res.get(key)!.push({ ...(await once(root, capture, args, join(outDir, name.startsWith('chrome') ? 'x.json' : 'x.pftrace'))), load });
        }
    for (const [key, xs] of res) {
      const [name, code] = key.split('\t');
      const s = median(xs.map((x) => x.seconds));
      const cpu = median(xs.map((x) => x.cpuSeconds));
      const rss = Math.max(...xs.map((x) => x.rssMb));
      const load = median(xs.map((x) => x.load));
      const eps = xs[0].events / s;
      results.push({
        capture,
        export: name,
        code,
        events: xs[0].events,
        seconds: xs.map((x) => x.seconds),
        median_s: s,
        events_per_s: Math.round(eps),
        cpu_seconds: xs.map((x) => x.cpuSeconds),
        median_cpu_s: cpu,
        events_per_cpu_s: Math.round(xs[0].events / cpu),
        output_bytes: xs[0].bytes,
        peak_rss_mb: Math.round(rss),
        load_avg: xs.map((x) => x.load),
      });
      rows.push([
        capture.split('/').pop()!,
        name,
        code,
        xs[0].events.toLocaleString('en-US'),
        s.toFixed(2),
        Math.round(eps).toLocaleString('en-US'),
        cpu.toFixed(2),
        Math.round(xs[0].events / cpu).toLocaleString('en-US'),
        (xs[0].bytes / 1e6).toFixed(1),
        rss.toFixed(0),
        load.toFixed(1),
      ]);
    }
  }
  rmSync(outDir, { recursive: true, force: true });
  const text = table(
    rows,
    `export throughput (CLI in a child process, wall time incl. start-up and load; cpu = user+sys of the child, all threads; load = 1-min load average before the run; median of ${reps})`,
  );
  if (!o.log) log(text);
  return { reps, results, text };
}

if (process.argv[1]?.endsWith('bench/export.js')) {
  benchExport({ reps: Number(process.env.KTAPE_BENCH_REPS ?? 3), workdir: process.env.KTAPE_BENCH_WORKDIR }).catch((e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  });
}
