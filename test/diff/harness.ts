/**
 * Diff tests, in the style of Perfetto's test/trace_processor/diff_tests: a
 * tiny capture listed row by row in the test, one query, and the expected
 * output inline as CSV.
 *
 *   diffTest('kernel gap with resume_ts', {
 *     format: '1.2',
 *     manifest: { start_ts: 0, end_ts: 10_000 },
 *     tables: {
 *       sched_switch: [sw(1000, 0, 0, 10), ...],
 *       losses: [{ cpu: 0, kind: 'sched_switch', count: 1, ts_start: 1000, ts_end: 5000, reason: 'kernel_gap', resume_ts: 3000 }],
 *     },
 *     query: 'SELECT tid, ts, dur, state FROM thread_state ORDER BY tid, ts',
 *     via: 'cli',                       // `ktape query CAP SQL --csv`; default 'api': openCapture() of dist/analyze/db.js
 *     csv: `
 *       tid,ts,dur,state
 *       10,1000,2000,Running`,
 *   });
 *
 * Or a report as the user runs it: `analyze: ['cpu', '--since', '2us']` runs
 * `ktape analyze CAP cpu --since 2us --json`, and the rows of `section` are
 * compared on `columns`, as CSV.
 *
 * The capture is written by the recorder's writer (capture-builder.ts), into
 * a fresh temporary directory that is removed afterwards. Expected CSV is
 * compared line by line after trimming each line, so it can be indented.
 * `wrong: 'why'` marks a case whose view gives a wrong answer today: the test
 * holds the right answer and runs as it.fails (the suite stays green, and
 * the fix turns it red until the mark is removed).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type * as DbModule from '../../analyze/db.js';
import type * as CommonModule from '../../analyze/reports/common.js';
import { ROOT, ktape, tmp } from '../helpers.js';
import { writeCapture, type CaptureSpec, type Rows, type Value } from './capture-builder.js';

export { writeCapture, type CaptureSpec, type Rows, type Value };

const DB = (await import(join(ROOT, 'dist/analyze/db.js'))) as typeof DbModule;
const COMMON = (await import(join(ROOT, 'dist/analyze/reports/common.js'))) as typeof CommonModule;

export interface DiffSpec extends CaptureSpec {
  /** SQL over the documented views */
  query?: string;
  /** how `query` runs: 'api' = openCapture() + toCsv (default), 'cli' = `ktape query CAP SQL --csv` */
  via?: 'api' | 'cli';
  /** instead of `query`: `ktape analyze CAP ...analyze --json` */
  analyze?: string[];
  /** analyze: the JSON section (array of rows) to compare */
  section?: string;
  /** analyze: the columns of that section to compare, in this order */
  columns?: string[];
  /** the expected output, CSV with a header line */
  csv: string;
  /** the view gives a wrong answer today (say which and why): the test runs as it.fails */
  wrong?: string;
  /** with `wrong`: the (wrong) CSV it gives today; the expected failure is exactly this output */
  now?: string;
}

/** Trim every line and drop blank ones: the inline CSV may be indented. */
export function normalizeCsv(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .join('\n');
}

/** Run SQL on a capture through the analyzer API; the result as CSV (the CLI's formatting). */
export async function queryCsv(dir: string, sql: string): Promise<string> {
  const cap = await DB.openCapture(dir, {
    onWarning: (m) => {
      throw new Error(`unexpected load warning: ${m}`);
    },
  });
  try {
    const columns = (await cap.describe(sql)).map((c) => c.name);
    return COMMON.toCsv(columns, await cap.query(sql));
  } finally {
    cap.close();
  }
}

/** `ktape query DIR SQL --csv`; stdout (the CLI must exit 0 with no warning). */
export function cliQueryCsv(dir: string, sql: string): string {
  const r = ktape(['query', dir, sql, '--csv']);
  if (r.status !== 0 || r.stderr) throw new Error(`ktape query exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `ktape analyze DIR ...args --json`, parsed (the CLI must exit 0 with no warning). */
export function cliAnalyzeJson(dir: string, args: string[]): Record<string, unknown> {
  const r = ktape(['analyze', dir, ...args, '--json']);
  if (r.status !== 0 || r.stderr) throw new Error(`ktape analyze ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** Build the capture of `spec` in `dir` and produce the output the spec compares. */
export async function runDiff(dir: string, spec: DiffSpec): Promise<string> {
  writeCapture(dir, spec);
  if (spec.analyze) {
    if (!spec.section || !spec.columns) throw new Error('diffTest: analyze needs section and columns');
    const out = cliAnalyzeJson(dir, spec.analyze);
    const rows = out[spec.section];
    if (!Array.isArray(rows)) throw new Error(`diffTest: no section ${spec.section} in the report (has ${Object.keys(out).join(', ')})`);
    return COMMON.toCsv(spec.columns, rows);
  }
  if (!spec.query) throw new Error('diffTest: give query or analyze');
  return spec.via === 'cli' ? cliQueryCsv(dir, spec.query) : queryCsv(dir, spec.query);
}

/**
 * One diff test: capture from rows, query, expected CSV. A `wrong` case fails (as it.fails wants)
 * only with today's wrong output `now`: a fix (the right CSV), another output, or an error while
 * building or querying the capture all make it.fails report the test as failed.
 */
export function diffTest(name: string, spec: DiffSpec): void {
  if (spec.wrong && spec.now === undefined) throw new Error(`diffTest ${name}: a wrong case needs now (the output it gives today)`);
  const body = async () => {
    const dir = join(tmp('ktape-diff-'), 'cap');
    try {
      if (!spec.wrong) {
        expect(normalizeCsv(await runDiff(dir, spec))).toBe(normalizeCsv(spec.csv));
        return;
      }
      let actual: string;
      try {
        actual = normalizeCsv(await runDiff(dir, spec));
      } catch (e) {
        console.error(`diffTest ${name}: ${(e as Error).message}`);
        return; // not the known wrong answer
      }
      if (actual === normalizeCsv(spec.now!)) expect(actual).toBe(normalizeCsv(spec.csv));
      else console.error(`diffTest ${name}: the output changed from the known wrong one:\n${actual}`);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  };
  if (spec.wrong) it.fails(`${name} [known wrong: ${spec.wrong}]`, body);
  else it(name, body);
}

// ---------- row helpers: the columns a case is about, the rest 0 / '' / null ----------

/** sched_switch row: at `ts` on `cpu`, prev → next, prev left in `prevState` (0 = R, 1 = S, 256 = R+). */
export const sw = (ts: number, cpu: number, prevTid: number, nextTid: number, prevState = 1, extra: Record<string, Value> = {}) => ({
  ts,
  cpu,
  prev_tid: prevTid,
  next_tid: nextTid,
  prev_state: prevState,
  prev_prio: 120,
  next_prio: 120,
  ...extra,
});

/** kernel_gap loss on `cpu`: the task switched in at `tsStart` was never switched out; another one was, at `tsEnd`. */
export const gap = (cpu: number, tsStart: number, tsEnd: number, extra: Record<string, Value> = {}) => ({
  cpu,
  kind: 'sched_switch',
  count: 1,
  ts_start: tsStart,
  ts_end: tsEnd,
  reason: 'kernel_gap',
  ...extra,
});
