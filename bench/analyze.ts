/**
 * Analyzer benchmark (issue 3): load rows/s, and the cpu and sched-latency
 * reports on a capture of >= 10M events, cold (load + report, fresh process)
 * and warm (--db cache), side by side with `perf sched latency` and
 * `perf sched timehist -s` over a perf capture of the same workload.
 * Workload: `ktape-workload pingpong N` (a context-switch storm).
 * Prints figures; never asserts.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pkgPath } from '../record/paths.js';
import { run, which } from './lib.js';

export interface BenchAnalyzeOptions {
  quick?: boolean;
  reps?: number;
  workdir?: string;
  log?: (s: string) => void;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchAnalyze(opts: BenchAnalyzeOptions = {}): Promise<object> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const work = opts.workdir ?? join(process.env.TMPDIR ?? '/tmp', `ktape-bench-analyze-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const reps = Math.max(1, opts.quick ? 1 : Math.min(opts.reps ?? 3, 3));
  // 3 to 6 sched events per round trip (depends on whether the two threads share a CPU): 2.5M round trips ≥ 10M events
  const trips = Number(process.env.KTAPE_BENCH_ANALYZE_TRIPS ?? (opts.quick ? 150_000 : 2_500_000));
  const cli = pkgPath('dist/cli/main.js');
  const wl = pkgPath('build/ktape-workload');
  const cap = join(work, 'cap');
  const db = join(work, 'cap.duckdb');
  rmSync(cap, { recursive: true, force: true });
  rmSync(db, { force: true });

  log(`analyze bench: recording pingpong ${trips} with ktape (sched,task)`);
  const rec = await run(process.execPath, [
    cli,
    'record',
    '-q',
    '-o',
    cap,
    '--events',
    'sched,task',
    '--buffer-mb',
    '256',
    '--',
    wl,
    'pingpong',
    String(trips),
  ]);
  if (rec.code !== 0)
    return { error: `ktape record failed: ${rec.stderr.trim()}`, text: `analyze bench skipped: ktape record failed (${rec.stderr.trim().split('\n')[0]})` };

  // load rows/s, in process (no node startup, no report)
  const { openCapture } = await import('../analyze/db.js');
  const loads: number[] = [];
  let rows = 0;
  for (let i = 0; i < reps; i++) {
    const c = await openCapture(cap);
    rows = Object.values(c.loaded!.rows).reduce((a, b) => a + b, 0);
    loads.push(c.loaded!.ms);
    c.close();
  }
  const c0 = await openCapture(cap);
  const [{ events, lost }] = await c0.query<{ events: number; lost: number }>(
    `SELECT (SELECT sum(events) FROM event_counts) AS events, (SELECT coalesce(sum(count), 0) FROM losses) AS lost`,
  );
  c0.close();
  const loadMs = median(loads);

  const time = async (args: string[]) => {
    const ts: number[] = [];
    for (let i = 0; i < reps; i++) {
      const r = await run(process.execPath, [cli, ...args]);
      if (r.code !== 0) throw new Error(`ktape ${args.join(' ')}: ${r.stderr.trim()}`);
      ts.push(r.wallNs / 1e6);
    }
    return median(ts);
  };
  const res: Record<string, number | null> = {};
  for (const rep of ['cpu', 'sched-latency']) {
    log(`analyze bench: ${rep} cold`);
    res[`${rep}_cold_ms`] = await time(['analyze', cap, rep, '--json']);
    rmSync(db, { force: true });
    const build = await run(process.execPath, [cli, 'analyze', cap, rep, '--json', '--db', db]);
    res[`${rep}_db_build_ms`] = build.wallNs / 1e6;
    log(`analyze bench: ${rep} warm`);
    res[`${rep}_warm_ms`] = await time(['analyze', cap, rep, '--json', '--db', db]);
  }

  // perf over the same workload
  const perf: Record<string, number | string | null> = { perf_sched_latency_ms: null, perf_sched_timehist_ms: null, perf_events: null };
  if (which('perf')) {
    const pdata = join(work, 'perf.data');
    log(`analyze bench: perf sched record pingpong ${trips}`);
    const pr = await run('perf', ['sched', 'record', '-o', pdata, '--', wl, 'pingpong', String(trips)]);
    if (pr.code === 0 && existsSync(pdata)) {
      const st = await run('perf', ['report', '-i', pdata, '--stats']);
      const m = /SAMPLE events:\s+(\d+)/.exec(st.stdout);
      perf.perf_events = m ? Number(m[1]) : null;
      const lat: number[] = [],
        th: number[] = [];
      for (let i = 0; i < reps; i++) {
        lat.push((await run('perf', ['sched', 'latency', '-i', pdata])).wallNs / 1e6);
        th.push((await run('perf', ['sched', 'timehist', '-s', '-i', pdata])).wallNs / 1e6);
      }
      perf.perf_sched_latency_ms = median(lat);
      perf.perf_sched_timehist_ms = median(th);
      rmSync(pdata, { force: true });
    } else perf.error = `perf sched record failed: ${pr.stderr.trim().split('\n').slice(-1)[0]}`;
  } else perf.error = 'perf not installed';

  const evs = (n: number | null | undefined, ms: number | null | undefined) => (n && ms ? n / (ms / 1000) / 1e6 : null);
  const out: Record<string, any> = {
    workload: `pingpong ${trips}`,
    events,
    lost,
    rows_loaded: rows,
    load_ms: loadMs,
    load_rows_per_s: rows / (loadMs / 1000),
    ...res,
    ...perf,
    cpu_cold_mevents_per_s: evs(events, res.cpu_cold_ms),
    cpu_warm_mevents_per_s: evs(events, res.cpu_warm_ms),
    sched_latency_cold_mevents_per_s: evs(events, res['sched-latency_cold_ms']),
    sched_latency_warm_mevents_per_s: evs(events, res['sched-latency_warm_ms']),
    perf_sched_latency_mevents_per_s: evs(perf.perf_events as number, perf.perf_sched_latency_ms as number),
    perf_sched_timehist_mevents_per_s: evs(perf.perf_events as number, perf.perf_sched_timehist_ms as number),
  };
  const f = (x: number | null | undefined, d = 0) => (x === null || x === undefined ? '-' : x.toFixed(d));
  const lines = [
    `analyze: ${out.workload}, ${events} ktape events (${lost} lost), ${rows} rows loaded; perf capture ${out.perf_events ?? '-'} events`,
    `  load                       ${f(loadMs)} ms   ${f(out.load_rows_per_s / 1e6, 2)} M rows/s`,
    `  what                       time (ms)   M events/s`,
    `  ktape cpu cold             ${f(res.cpu_cold_ms).padStart(9)}   ${f(out.cpu_cold_mevents_per_s, 2)}`,
    `  ktape cpu warm (--db)      ${f(res.cpu_warm_ms).padStart(9)}   ${f(out.cpu_warm_mevents_per_s, 2)}`,
    `  ktape sched-latency cold   ${f(res['sched-latency_cold_ms']).padStart(9)}   ${f(out.sched_latency_cold_mevents_per_s, 2)}`,
    `  ktape sched-latency warm   ${f(res['sched-latency_warm_ms']).padStart(9)}   ${f(out.sched_latency_warm_mevents_per_s, 2)}`,
    `  perf sched latency         ${f(perf.perf_sched_latency_ms as number).padStart(9)}   ${f(out.perf_sched_latency_mevents_per_s, 2)}`,
    `  perf sched timehist -s     ${f(perf.perf_sched_timehist_ms as number).padStart(9)}   ${f(out.perf_sched_timehist_mevents_per_s, 2)}`,
  ];
  if (!opts.workdir) rmSync(work, { recursive: true, force: true });
  else {
    rmSync(cap, { recursive: true, force: true });
    rmSync(db, { force: true });
  }
  const text = lines.join('\n');
  return { ...out, text };
}

// direct run: node dist/bench/analyze.js [--quick]
if (import.meta.url === `file://${process.argv[1]}`) {
  benchAnalyze({ quick: process.argv.includes('--quick') }).then((r: any) => {
    console.log(r.text);
    const { text, ...json } = r;
    console.log(JSON.stringify(json, null, 2));
  });
}
