/**
 * `npm run bench`: the recorder benchmark (bench/record.ts), the ring
 * transport comparison (bench/transport.ts), then the analyzer and exporter
 * benchmarks if they exist (bench/analyze.ts → benchAnalyze(), bench/export.ts
 * → benchExport()). Prints tables; writes bench/results/<timestamp>.json and
 * bench/results/latest.json. Not a test: nothing here passes or fails on
 * timing.
 *
 *   node dist/bench/run.js [--quick] [--reps N] [--only a,b,...] [--tools ktape,trace-cmd,perf]
 *                          [--sustain-secs S] [--flight-secs S] [--skip record,sustained,transport,ship,analyze,export,flight]
 * Environment: KTAPE_BENCH_QUICK=1, KTAPE_BENCH_REPS, KTAPE_BENCH_WORKDIR (scratch, default $TMPDIR/ktape-bench-<pid>).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, cpus, tmpdir, release } from 'node:os';
import { join } from 'node:path';
import { pkgPath, KTAPE_VERSION } from '../record/paths.js';
import { loadAvg } from './lib.js';
import { benchRecord, formatRecordBench, TOOLS, WORKLOADS, type Tool } from './record.js';
import { benchShip, formatShipBench } from './ship.js';
import { benchTransport, formatTransportBench } from './transport.js';
import { benchFlight } from './flight.js';

interface Args {
  quick: boolean;
  reps: number;
  only?: string[];
  tools?: Tool[];
  sustainSecs: number;
  flightSecs: number;
  skip: Set<string>;
}

function parseArgs(argv: string[]): Args {
  const quick = argv.includes('--quick') || process.env.KTAPE_BENCH_QUICK === '1';
  const val = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const list = (s: string | undefined) =>
    s
      ? s
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      : undefined;
  const a: Args = {
    quick,
    reps: Number(val('--reps') ?? process.env.KTAPE_BENCH_REPS ?? (quick ? 3 : 5)),
    only: list(val('--only')),
    tools: list(val('--tools')) as Tool[] | undefined,
    sustainSecs: Number(val('--sustain-secs') ?? (quick ? 5 : 30)),
    flightSecs: Number(val('--flight-secs') ?? (quick ? 20 : 300)),
    skip: new Set(list(val('--skip')) ?? []),
  };
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      `usage: npm run bench [-- --quick] [--reps N] [--only ${[...WORKLOADS.map((w) => w.name), 'sustained', 'transport', 'flight', 'ship'].join(',')}]\n` +
        `                     [--tools ${TOOLS.join(',')}] [--sustain-secs S] [--flight-secs S] [--skip record,transport,ship,analyze,export,flight]\n`,
    );
    process.exit(0);
  }
  for (const t of a.tools ?? []) if (!TOOLS.includes(t)) throw new Error(`--tools: unknown tool ${t}`);
  if (!(a.flightSecs >= 5)) throw new Error('--flight-secs: expected a number of seconds, at least 5');
  if (!Number.isInteger(a.reps) || a.reps < 1) throw new Error('--reps: expected a positive integer');
  return a;
}

function gitRev(): string | null {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: pkgPath('.'), encoding: 'utf8' }).trim();
  } catch {
    return null;
  }
}

/** Run another engineer's benchmark module if it exists; its result goes into the JSON. */
async function optional(name: 'analyze' | 'export', fn: string, opts: object, log: (s: string) => void): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = await import(`./${name}.js`);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ERR_MODULE_NOT_FOUND') {
      log(`\n(${name} benchmark: bench/${name}.ts not present yet; skipped)`);
      return { skipped: 'not present' };
    }
    throw e;
  }
  const f = mod[fn];
  if (typeof f !== 'function') {
    log(`\n(${name} benchmark: bench/${name}.ts has no ${fn}(); skipped)`);
    return { skipped: `no ${fn}` };
  }
  log(`\n== ${name} benchmark (${fn}) ==`);
  const r = await (f as (o: object) => Promise<unknown>)(opts);
  if (typeof r === 'string') log(r);
  else if (r && typeof r === 'object' && typeof (r as { text?: unknown }).text === 'string') log((r as { text: string }).text);
  return r;
}

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) {
    process.stderr.write('ktape bench: the recorder benchmark needs root (BPF, tracefs, perf); run it with sudo\n');
    process.exit(1);
  }
  const log = (s: string) => process.stdout.write(`${s}\n`);
  const workdir = process.env.KTAPE_BENCH_WORKDIR ?? join(tmpdir(), `ktape-bench-${process.pid}`);
  mkdirSync(workdir, { recursive: true });
  const started = new Date();
  const env = {
    host: hostname(),
    kernel: release(),
    cpus: cpus().length,
    cpu_model: cpus()[0]?.model,
    node: process.version,
    ktape_version: KTAPE_VERSION,
    git: gitRev(),
    loadavg_start: loadAvg(),
    loadavg_end: [] as number[],
  };
  log(`ktape bench ${a.quick ? '(quick) ' : ''}on ${env.host}: ${env.kernel}, ${env.cpus} CPUs, load ${env.loadavg_start.join(' ')}, git ${env.git ?? '?'}`);
  const result: Record<string, unknown> = { started: started.toISOString(), quick: a.quick, reps: a.reps, env };
  const opts = { quick: a.quick, reps: a.reps, workdir, log };
  try {
    const recordParts = [...WORKLOADS.map((w) => w.name), 'sustained', 'fixed-cost'];
    if (!a.skip.has('record') && (!a.only || a.only.some((x) => recordParts.includes(x)))) {
      log('\n== recorder benchmark ==');
      const only = a.only ?? (a.skip.has('sustained') ? [...WORKLOADS.map((w) => w.name), 'fixed-cost'] : undefined);
      const r = await benchRecord({ ...opts, tools: a.tools, workloads: only, sustainSecs: a.sustainSecs });
      result.record = r;
      log(`\n${formatRecordBench(r)}`);
    }
    if (!a.skip.has('transport') && (!a.only || a.only.includes('transport'))) {
      log('\n== ring transport ==');
      const r = await benchTransport({ ...opts, reps: Math.max(3, a.reps) });
      result.transport = r;
      log(`\n${formatTransportBench(r)}`);
    }
    if (!a.skip.has('ship') && (!a.only || a.only.includes('ship'))) {
      log('\n== shipping (record --upload to ktape collect over loopback) ==');
      const r = await benchShip(opts);
      result.ship = r;
      log(`\n${formatShipBench(r)}`);
    }
    if (!a.skip.has('analyze') && !a.only) result.analyze = await optional('analyze', 'benchAnalyze', opts, log);
    if (!a.skip.has('export') && !a.only) result.export = await optional('export', 'benchExport', opts, log);
    if (!a.skip.has('flight') && (!a.only || a.only.includes('flight'))) {
      log('\n== flight recorder ==');
      const r = await benchFlight({ ...opts, secs: a.flightSecs });
      result.flight = r;
      log(`\n${r.text}`);
    }
  } finally {
    env.loadavg_end = loadAvg();
    result.finished = new Date().toISOString();
    const dir = pkgPath('bench/results');
    mkdirSync(dir, { recursive: true });
    const stamp = started.toISOString().replace(/[:.]/g, '-');
    const json = JSON.stringify(result, (_k, v) => (typeof v === 'bigint' ? Number(v) : v), 2);
    writeFileSync(join(dir, `${stamp}.json`), json);
    writeFileSync(join(dir, 'latest.json'), json);
    log(`\nresults: bench/results/${stamp}.json (and latest.json); load ${env.loadavg_end.join(' ')} at the end`);
    if (!process.env.KTAPE_BENCH_WORKDIR) rmSync(workdir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`ktape bench: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
