/**
 * Exporter benchmark (issue 4): events/s of `ktape export --perfetto` and
 * `--chrome` on a large capture, in process (no CLI start-up), median of
 * reps. The capture is KTAPE_BENCH_EXPORT_CAPTURE if set, else one recorded
 * here (root: 5 s of a getppid storm, ~4M syscall events), else the demo
 * fixture (small: figures are then start-up dominated).
 */
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest } from '../formats/reader.js';
import { pkgPath } from '../record/paths.js';
import { exportChrome } from '../export/chrome.js';
import { exportPerfetto } from '../export/perfetto.js';
import { median, run, table } from './lib.js';

interface Opts { quick?: boolean; reps?: number; workdir?: string; log?: (s: string) => void }

async function captureFor(o: Opts, log: (s: string) => void): Promise<{ dir: string; note: string }> {
  const env = process.env.KTAPE_BENCH_EXPORT_CAPTURE;
  if (env) return { dir: env, note: 'KTAPE_BENCH_EXPORT_CAPTURE' };
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const wl = pkgPath('build/ktape-workload');
  if (isRoot && existsSync(wl)) {
    const dir = join(o.workdir ?? '/tmp', 'export-bench-capture');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(o.workdir ?? '/tmp', { recursive: true });
    const n = o.quick ? '500000' : '2000000';
    log(`recording the export benchmark capture (getppid ${n}) ...`);
    const r = await run(process.execPath, [pkgPath('dist/cli/main.js'), 'record', '-q', '-o', dir, '--duration', '10', '--', wl, 'getppid', n]);
    if (r.code === 0) return { dir, note: `recorded: getppid ${n}` };
    log(`(recording failed: ${r.stderr.trim().split('\n')[0]}; using the demo fixture)`);
  }
  return { dir: pkgPath('fixtures/demo'), note: 'fixtures/demo (not root: small capture)' };
}

export async function benchExport(o: Opts = {}): Promise<object> {
  const log = o.log ?? ((s: string) => process.stdout.write(`${s}\n`));
  const reps = Math.max(1, Math.min(o.reps ?? 3, 5));
  const { dir, note } = await captureFor(o, log);
  const m = readManifest(dir);
  const outDir = join(o.workdir ?? '/tmp', 'export-bench-out');
  mkdirSync(outDir, { recursive: true });
  const res: Record<string, { events: number; seconds: number[]; bytes: number }> = {};
  const kinds: [string, () => { events: number; bytes: number }][] = [
    ['perfetto', () => exportPerfetto(dir, join(outDir, 'x.pftrace'))],
    ['perfetto --no-compact', () => exportPerfetto(dir, join(outDir, 'x.pftrace'), { compact: false })],
    ['chrome', () => exportChrome(dir, join(outDir, 'x.json'))],
  ];
  for (let r = 0; r < reps; r++) {
    for (const [name, f] of kinds) {
      const t0 = process.hrtime.bigint();
      const x = f();
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      const e = (res[name] ??= { events: x.events, seconds: [], bytes: x.bytes });
      e.seconds.push(s);
    }
  }
  rmSync(outDir, { recursive: true, force: true });
  const captureBytes = Object.values(m.tables).reduce((s, t) => s + t.files.reduce((a, f) => a + (existsSync(join(dir, f)) ? statSync(join(dir, f)).size : 0), 0), 0);
  const rows = [['export', 'events', 'median s', 'events/s', 'output MB', 'MB/s out']];
  const out: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(res)) {
    const s = median(r.seconds);
    const eps = r.events / s;
    out[name] = { events: r.events, seconds: r.seconds, median_s: s, events_per_s: Math.round(eps), output_bytes: r.bytes };
    rows.push([name, r.events.toLocaleString('en-US'), s.toFixed(2), Math.round(eps).toLocaleString('en-US'), (r.bytes / 1e6).toFixed(1), (r.bytes / 1e6 / s).toFixed(0)]);
  }
  const text = table(rows, `export throughput, ${note}, capture ${(captureBytes / 1e6).toFixed(0)} MB, median of ${reps}`);
  if (!o.log) log(text);
  return { capture: dir, capture_note: note, capture_bytes: captureBytes, reps, results: out, text };
}

if (process.argv[1] && process.argv[1].endsWith('bench/export.js')) {
  benchExport({ reps: Number(process.env.KTAPE_BENCH_REPS ?? 3) }).catch((e) => {
    process.stderr.write(`${e?.stack ?? e}\n`);
    process.exit(1);
  });
}
