/**
 * Analyzer benchmark (issue 10, goals 5 and 6): the cpu and sched-latency reports, cold (load + report in a
 * fresh process) and warm (--db cache), side by side with `perf sched latency` and `perf sched timehist -s`
 * over perf's capture of the same workload, at three sizes (about 1M, 5M and 15M ktape events), because
 * fixed start-up costs dominate small captures. Every run is a child process under /usr/bin/time, so the
 * wall time and peak RSS are the command's own. Reps of one size run interleaved (ktape, perf, ktape, ...).
 * Workload: `ktape-workload pingpong N` (a context-switch storm). Prints figures; never asserts.
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pkgPath } from '../record/paths.js';
import { fx, median, run, table, which } from './lib.js';
import { type PageFigures, pageFigures } from './page.js';

export interface BenchAnalyzeOptions {
  quick?: boolean;
  reps?: number;
  workdir?: string;
  log?: (s: string) => void;
}

interface Timed {
  ms: number;
  /** user + system CPU time of the command (all its threads), ms: robust to a loaded machine, unlike ms */
  cpuMs: number;
  rssMb: number;
}

/** one command under /usr/bin/time: wall ms, CPU ms and peak RSS (MiB); throws if it fails */
async function timed(cmd: string, args: string[]): Promise<Timed> {
  const r = await run('/usr/bin/time', ['-f', 'ktape-bench-rss %M %U %S', cmd, ...args]);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim().split('\n').slice(-2).join(' ')}`);
  const m = /ktape-bench-rss (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { ms: r.wallNs / 1e6, cpuMs: m ? (Number(m[2]) + Number(m[3])) * 1000 : NaN, rssMb: m ? Number(m[1]) / 1024 : NaN };
}

const med = (xs: Timed[]): Timed => ({ ms: median(xs.map((x) => x.ms)), cpuMs: median(xs.map((x) => x.cpuMs)), rssMb: median(xs.map((x) => x.rssMb)) });

/** the two runs whose CPU time issue 15 compares: making the report must not cost much more than the summary */
const SUMMARY_RUN = 'ktape analyze (summary) cold';
const REPORT_RUN = 'ktape report (HTML) cold';

/** the commands measured at one size, by name, each a function that runs it once */
type Runs = Record<string, () => Promise<Timed>>;

function ktapeRuns(cli: string, cap: string, db: string, html: string): Runs {
  const k = (args: string[]) => () => timed(process.execPath, [cli, ...args]);
  return {
    'ktape cpu cold': k(['analyze', cap, 'cpu', '--json']),
    [SUMMARY_RUN]: k(['analyze', cap, '--json']),
    [REPORT_RUN]: k(['report', cap, '-o', html]),
    'ktape sched-latency cold': k(['analyze', cap, 'sched-latency', '--json']),
    'ktape cpu warm (--db)': k(['analyze', cap, 'cpu', '--json', '--db', db]),
    'ktape sched-latency warm (--db)': k(['analyze', cap, 'sched-latency', '--json', '--db', db]),
  };
}

async function ktapeEvents(cli: string, cap: string): Promise<{ events: number; lost: number }> {
  const r = await run(process.execPath, [
    cli,
    'query',
    cap,
    'SELECT (SELECT sum(events) FROM event_counts) AS events, (SELECT coalesce(sum(count), 0) FROM losses) AS lost',
    '--json',
  ]);
  if (r.code !== 0) throw new Error(`ktape query: ${r.stderr.trim()}`);
  const [row] = JSON.parse(r.stdout);
  return { events: Number(row.events), lost: Number(row.lost) };
}

async function perfEvents(pdata: string): Promise<number> {
  const st = await run('perf', ['report', '-i', pdata, '--stats']);
  const m = /SAMPLE events:\s+(\d+)/.exec(st.stdout);
  return m ? Number(m[1]) : NaN;
}

interface SizeResult {
  trips: number;
  ktape_events: number;
  ktape_lost: number;
  perf_events: number | null;
  runs: Record<string, Timed & { mevents_per_s: number }>;
  /** the HTML report of this capture: its size and time to a drawn first screen */
  page?: PageFigures;
  error?: string;
}

/** Record the workload with ktape and perf at one size, then run every command `reps` times, interleaved. */
async function benchSize(trips: number, reps: number, work: string, log: (s: string) => void): Promise<SizeResult> {
  const cli = pkgPath('dist/cli/main.js');
  const wl = pkgPath('build/ktape-workload');
  const cap = join(work, `cap-${trips}`);
  const db = join(work, `cap-${trips}.duckdb`);
  const pdata = join(work, `perf-${trips}.data`);
  rmSync(cap, { recursive: true, force: true });
  log(`analyze bench: recording pingpong ${trips} with ktape (sched,task) and perf sched record`);
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
  if (rec.code !== 0) throw new Error(`ktape record failed: ${rec.stderr.trim().split('\n')[0]}`);
  const { events, lost } = await ktapeEvents(cli, cap);
  const html = join(work, `report-${trips}.html`);
  const runs: Runs = ktapeRuns(cli, cap, db, html);
  let perfN: number | null = null;
  if (which('perf')) {
    const pr = await run('perf', ['sched', 'record', '-o', pdata, '--', wl, 'pingpong', String(trips)]);
    if (pr.code === 0 && existsSync(pdata)) {
      perfN = await perfEvents(pdata);
      runs['perf sched latency'] = () => timed('perf', ['sched', 'latency', '-i', pdata]);
      runs['perf sched timehist -s'] = () => timed('perf', ['sched', 'timehist', '-s', '-i', pdata]);
    } else log(`analyze bench: perf sched record failed: ${pr.stderr.trim().split('\n').slice(-1)[0]}`);
  }
  // build the --db caches once (not timed), so that the warm runs are warm
  for (const rep of ['cpu', 'sched-latency']) await run(process.execPath, [cli, 'analyze', cap, rep, '--json', '--db', db]);
  const got: Record<string, Timed[]> = {};
  for (let i = 0; i < reps; i++) for (const [name, f] of Object.entries(runs)) (got[name] ??= []).push(await f());
  const page = await pageFigures(html, reps);
  rmSync(html, { force: true });
  rmSync(cap, { recursive: true, force: true });
  rmSync(db, { force: true });
  rmSync(pdata, { force: true });
  const out: SizeResult['runs'] = {};
  for (const [name, ts] of Object.entries(got)) {
    const m = med(ts);
    const n = name.startsWith('perf') ? (perfN ?? NaN) : events;
    out[name] = { ...m, mevents_per_s: n / (m.ms / 1000) / 1e6 };
  }
  return { trips, ktape_events: events, ktape_lost: lost, perf_events: perfN, runs: out, page };
}

/** the report's CPU next to the summary's, on the same capture (issue 15: "not much more than ktape analyze") */
function reportCost(s: SizeResult): string {
  const rep = s.runs[REPORT_RUN].cpuMs,
    sum = s.runs[SUMMARY_RUN].cpuMs;
  return `report CPU of pingpong ${s.trips} (${s.ktape_events} events): ${fx(rep / 1000, 2)} s, \`ktape analyze CAP\` ${fx(sum / 1000, 2)} s (${fx(rep / sum, 2)}x)`;
}

function render(sizes: SizeResult[]): string {
  const rows = [['size', 'command', 'events', 'median ms', 'M events/s', 'CPU s', 'peak RSS MB']];
  for (const s of sizes) {
    if (s.error) {
      rows.push([`pingpong ${s.trips}`, `error: ${s.error}`, '', '', '', '', '']);
      continue;
    }
    for (const [name, r] of Object.entries(s.runs)) {
      const n = name.startsWith('perf') ? s.perf_events : s.ktape_events;
      rows.push([`pingpong ${s.trips}`, name, String(n ?? '-'), fx(r.ms, 0), fx(r.mevents_per_s, 2), fx(r.cpuMs / 1000, 2), fx(r.rssMb, 0)]);
    }
  }
  const notes = [
    '  events: ktape rows of its event tables (sched_switch, sched_waking, task); perf: samples in its capture of the same workload.',
    '  cold: a fresh `ktape analyze CAP REPORT --json` (load + report); warm: the same with --db after the cache was built; perf: `perf sched latency|timehist -s -i perf.data`.',
    '  CPU s: user + system time of the command (/usr/bin/time %U + %S), median.',
    ...sizes.filter((s) => s.runs[REPORT_RUN] && s.runs[SUMMARY_RUN]).map((s) => `  ${reportCost(s)}`),
    `  peak RSS: /usr/bin/time %M of the command. Lost ktape events: ${sizes.map((s) => `${s.trips}: ${s.ktape_lost}`).join(', ')}`,
    ...sizes
      .filter((s) => s.page)
      .map(
        (s) =>
          `  report page of pingpong ${s.trips} (${s.ktape_events} events): ${fx(s.page!.html_bytes / 2 ** 20, 2)} MiB, first drawn screen ${s.page!.first_screen_ms === null ? '- (no /usr/bin/chromium)' : `${fx(s.page!.first_screen_ms, 0)} ms`} (chromium ${s.page!.browser ?? '-'}, headless)`,
      ),
  ];
  return `${table(rows, 'analyze: ktape reports against perf sched, at three sizes')}\n${notes.join('\n')}`;
}

export async function benchAnalyze(opts: BenchAnalyzeOptions = {}): Promise<object> {
  const log = opts.log ?? ((s: string) => process.stderr.write(`${s}\n`));
  const work = opts.workdir ?? join(process.env.TMPDIR ?? '/tmp', `ktape-bench-analyze-${process.pid}`);
  mkdirSync(work, { recursive: true });
  const reps = Math.max(1, opts.quick ? 1 : Math.min(opts.reps ?? 3, 3));
  // 4 to 6 sched events per round trip (whether the two threads share a CPU): ~1M, 5M and 15M events
  const env = process.env.KTAPE_BENCH_ANALYZE_TRIPS;
  const trips = env ? env.split(',').map(Number) : opts.quick ? [20_000, 100_000, 300_000] : [200_000, 1_000_000, 3_000_000];
  const sizes: SizeResult[] = [];
  for (const t of trips) {
    try {
      sizes.push(await benchSize(t, reps, work, log));
    } catch (e) {
      sizes.push({ trips: t, ktape_events: 0, ktape_lost: 0, perf_events: null, runs: {}, error: (e as Error).message });
    }
  }
  if (!opts.workdir) rmSync(work, { recursive: true, force: true });
  return { sizes, text: render(sizes) };
}

// direct run: node dist/bench/analyze.js [--quick]
if (import.meta.url === `file://${process.argv[1]}`) {
  benchAnalyze({ quick: process.argv.includes('--quick') }).then((r: any) => {
    console.log(r.text);
    const { text, ...json } = r;
    console.log(JSON.stringify(json, null, 2));
  });
}
