/**
 * ktape analyze | query | tables | convert: everything that reads a capture
 * through DuckDB (analyze/db.ts).
 */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import { UsageError } from '../formats/errors.js';
import { openCapture, viewDocs, type CaptureDb, type OpenOptions, type Row } from '../analyze/db.js';
import { readManifest } from '../formats/reader.js';
import { REPORTS, reportSkips, runReport } from '../analyze/reports/index.js';
import type { CaptureSet } from '../analyze/hosts.js';
import type { CaptureRef } from '../formats/captures.js';
import { hostsReport, openSet, selectCaptures, splitReport, splitSql } from './hosts.js';
import { jsonReplacer, parseDuration, printable, renderReport, renderTable, toCsv, window, type ReportOptions } from '../analyze/reports/common.js';
import { foldedLines } from '../families/kmem/report.js';
import { checkCommRegex, int } from './args.js';
import { runUserSql, sandbox } from './sandbox.js';

function memLimit(v: string): string {
  if (!/^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.test(v)) throw new UsageError(`--memory-limit ${v}: expected a size like 2GB or 512MiB`);
  return v.trim();
}

const dbOptions = (c: Command) =>
  c
    .option('--db <file>', 'keep the loaded database in FILE and reuse it while the capture is unchanged')
    .option(
      '--memory-limit <size>',
      'memory for the analysis, e.g. 2GB (default: a quarter of RAM, at most 4GiB); DuckDB gets 55% of it and spills the rest to a private temporary directory',
      memLimit,
    );

/** Open options with progress on a TTY. */
function openOptions(what: string, opts: { db?: string; memoryLimit?: string }): OpenOptions {
  let last = 0;
  const o: OpenOptions = {
    db: opts.db,
    memoryLimit: opts.memoryLimit,
    onWarning: (m) => process.stderr.write(`ktape: warning: ${printable(m)}\n`),
  };
  if (process.stderr.isTTY) {
    o.onProgress = (pr) => {
      const now = Date.now();
      if (now - last < 100 && pr.doneBytes < pr.totalBytes) return;
      last = now;
      process.stderr.write(`\rloading ${what}: ${pr.table} ${pr.rows} rows, ${Math.round((100 * pr.doneBytes) / Math.max(1, pr.totalBytes))}%\x1b[K`);
    };
  }
  return o;
}

/** Open with progress on a TTY. */
async function open(dir: string, opts: { db?: string; memoryLimit?: string }, report?: string): Promise<CaptureDb> {
  const o = { ...openOptions(dir, opts), skipTables: report ? reportSkips(report, readManifest(dir)) : undefined };
  try {
    return await openCapture(dir, o);
  } finally {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  }
}

/** Open several captures (a collector directory) with progress on a TTY. */
async function openMany(refs: CaptureRef[], opts: { db?: string; memoryLimit?: string }, report?: string): Promise<CaptureSet> {
  try {
    return await openSet(refs, openOptions(`${refs.length} captures`, opts), report);
  } finally {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  }
}

function format(opts: { json?: boolean; csv?: boolean }): 'human' | 'json' | 'csv' {
  if (opts.json && opts.csv) throw new UsageError('--json and --csv: choose one');
  return opts.json ? 'json' : opts.csv ? 'csv' : 'human';
}

function printRows(rows: Row[], columns: string[], fmt: 'human' | 'json' | 'csv'): void {
  if (fmt === 'json') process.stdout.write(`${JSON.stringify(rows, jsonReplacer, 2)}\n`);
  else if (fmt === 'csv') process.stdout.write(toCsv(columns, rows));
  else
    process.stdout.write(
      `${renderTable(
        columns.map((k) => ({ key: k, unit: undefined })),
        rows,
      )}\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`,
    );
}

async function runQuery(cap: { conn: CaptureDb['conn'] }, sql: string, fmt: 'human' | 'json' | 'csv', unsafe: boolean): Promise<void> {
  const { columns, rows } = await runUserSql(cap.conn, sql, unsafe);
  printRows(rows, columns, fmt);
}

async function shell(cap: { conn: CaptureDb['conn']; dir: string }, fmt: 'human' | 'json' | 'csv', unsafe: boolean): Promise<void> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: 'ktape> ' });
  process.stdout.write(`ktape query shell on ${printable(cap.dir)}: end statements with ';', .tables lists the views, .quit or Ctrl-D exits\n`);
  rl.prompt();
  let buf = '';
  for await (const line of rl) {
    const t = line.trim();
    if (!buf && (t === '.quit' || t === '.exit')) break;
    if (!buf && t === '.tables') {
      for (const v of viewDocs()) process.stdout.write(`${v.name}: ${v.columns.map((c) => c.name).join(', ')}\n`);
      rl.prompt();
      continue;
    }
    buf += `${line}\n`;
    if (t.endsWith(';')) {
      try {
        await runQuery(cap, buf.trim().replace(/;\s*$/, ''), fmt, unsafe);
      } catch (e) {
        process.stdout.write(`error: ${printable((e as Error).message)}\n`);
      }
      buf = '';
      rl.setPrompt('ktape> ');
    } else rl.setPrompt('   ..> ');
    rl.prompt();
  }
  rl.close();
}

function readStdin(): Promise<string> {
  return new Promise((res, rej) => {
    let s = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (d) => (s += d));
    process.stdin.on('end', () => res(s));
    process.stdin.on('error', rej);
  });
}

/** analyze, query, tables and convert. */
export function registerAnalyze(program: Command): void {
  registerReports(program);
  registerQuery(program);
  registerTables(program);
  registerConvert(program);
}

/** The report's options on one capture: --since/--until/--at count from that capture's start. */
function reportOptions(cap: CaptureDb, opts: Record<string, any>): ReportOptions {
  return {
    ...window(cap, opts.since, opts.until),
    pid: opts.pid,
    comm: opts.comm,
    top: opts.top,
    by: opts.by,
    hist: !!opts.hist,
    at: opts.at !== undefined ? Math.min(cap.startTs + parseDuration('--at', opts.at), cap.endTs) : undefined,
    minAge: opts.minAge !== undefined ? parseDuration('--min-age', opts.minAge) : undefined,
    folded: !!opts.folded,
  };
}

async function analyzeOne(dir: string, name: string, opts: Record<string, any>, fmt: 'human' | 'json' | 'csv'): Promise<void> {
  const cap = await open(dir, opts, name);
  try {
    const res = await runReport(name, cap, reportOptions(cap, opts));
    if (opts.folded && name === 'leaks') process.stdout.write(foldedLines(res));
    else process.stdout.write(renderReport(res, fmt, cap.startTs));
  } finally {
    cap.close();
  }
}

async function analyzeMany(refs: CaptureRef[], name: string, opts: Record<string, any>, fmt: 'human' | 'json' | 'csv'): Promise<void> {
  const set = await openMany(refs, opts, name);
  try {
    const res = await hostsReport(set, name, (cap) => reportOptions(cap, opts), { folded: !!opts.folded && name === 'leaks', human: fmt === 'human' });
    process.stdout.write(typeof res === 'string' ? res : renderReport(res, fmt, 0));
  } finally {
    set.close();
  }
}

const collectHost = (v: string, prev: string[]) => [...prev, v];

function registerReports(program: Command): void {
  const reportNames = Object.keys(REPORTS);
  const analyze = program
    .command('analyze')
    .description('analyze a capture: summary, cpu, sched-latency, syscalls, tasks, offcpu, leaks, switches (no privileges needed)')
    .argument('<capture...>', 'capture directory written by ktape record (or several, or a collector directory), then the report (default summary)')
    .option('--host <name>', 'only the captures of this host (repeatable; a collector directory or several captures)', collectHost, [] as string[])
    .option('--pid <n>', 'only this process (tgid) or thread (tid)', int('--pid', 0))
    .option('--comm <regex>', 'only tasks whose comm matches REGEX')
    .option('--since <t>', 'start of the window, from the capture start (1.5s, 200ms, 300us, 42ns; bare = seconds)')
    .option('--until <t>', 'end of the window, from the capture start')
    .option('--top <n>', 'rows per table', int('--top', 1), 20)
    .addOption(new Option('--by <what>', 'cpu: group by thread, process or comm').choices(['thread', 'process', 'comm']).default('thread'))
    .option('--hist', 'syscalls: latency histograms')
    .option('--at <t>', 'leaks: outstanding at this time from the capture start (default: the end)')
    .option('--min-age <t>', 'leaks: only allocations at least this old (as memleak -o)')
    .option('--folded', 'leaks: print flamegraph.pl folded stacks (bytes)')
    .option('--json', 'JSON output (stable snake_case fields, unit in the name)')
    .option('--csv', 'CSV output');
  dbOptions(analyze)
    .addHelpText(
      'after',
      `
Reports:
${reportNames.map((n) => `  ${n.padEnd(14)} ${REPORTS[n].doc}`).join('\n')}

Examples:
  ktape analyze cap                          summary
  ktape analyze cap cpu --by process --top 10
  ktape analyze cap sched-latency --comm '^kt-' --json
  ktape analyze cap leaks --min-age 500ms --folded | flamegraph.pl > leaks.svg
  ktape analyze cap syscalls --pid 1234 --hist --db cap.duckdb
  ktape analyze collected cpu                one row set per host (collected/HOST/RECORDING, ktape collect)
  ktape analyze web1 web2 syscalls --host web2

Several captures (a collector directory, or several paths): each capture is analyzed on its own (its
window, --top and --since from its own start) and its rows come under a host column (and recording,
when a host has several); JSON lists each capture's facts under "hosts". --db caches one capture only.`,
    )
    .action(async (args: string[], opts) => {
      const fmt = format(opts);
      await checkCommRegex('--comm', opts.comm);
      const { paths, report } = splitReport(args);
      const name = report ?? 'summary';
      // validate durations before loading
      for (const f of ['since', 'until', 'at', 'minAge'] as const) if (opts[f] !== undefined) parseDuration(`--${f === 'minAge' ? 'min-age' : f}`, opts[f]);
      const refs = selectCaptures(paths, opts.host);
      if (refs === null || refs.length === 1) await analyzeOne(refs?.[0].dir ?? paths[0], name, opts, fmt);
      else await analyzeMany(refs, name, opts, fmt);
    });
}

/** `ktape query` over several captures: the union views (host, recording, ...). */
async function queryMany(refs: CaptureRef[], sql: string | undefined, opts: Record<string, any>, fmt: 'human' | 'json' | 'csv'): Promise<void> {
  const set = await openMany(refs, opts);
  try {
    if (!opts.unsafe) await sandbox(set.conn);
    if (sql === undefined) await shell({ conn: set.conn, dir: `${refs.length} captures` }, fmt, !!opts.unsafe);
    else await runQuery(set, sql, fmt, !!opts.unsafe);
  } finally {
    set.close();
  }
}

function registerQuery(program: Command): void {
  const query = program
    .command('query')
    .description("run SQL over a capture's views (interactive shell when stdin is a TTY and no SQL is given)")
    .argument('<capture...>', 'capture directory (or several, or a collector directory), then one SQL statement (else read from stdin when it is not a TTY)')
    .option('--host <name>', 'only the captures of this host (repeatable)', collectHost, [] as string[])
    .option('--json', 'JSON rows')
    .option('--csv', 'CSV')
    .option('--unsafe', "no sandbox: DuckDB's full power: file access, ATTACH, extensions, several statements (the last one's rows are printed)");
  dbOptions(query)
    .addHelpText(
      'after',
      `
Examples:
  ktape query cap "SELECT comm, sum(dur) AS cpu_ns FROM sched_slices JOIN threads USING (tid) GROUP BY comm ORDER BY 2 DESC LIMIT 5"
  ktape query cap "SELECT name, count(*) FROM syscalls WHERE failed GROUP BY name" --csv
  ktape tables cap        lists the views and their columns
  ktape query collected "SELECT host, sum(dur) AS cpu_ns FROM sched_slices GROUP BY host"

Several captures (a collector directory DIR/HOST/RECORDING, or several paths): every view and raw table
has host and recording columns first, and holds the rows of every capture (tids are per host: join on
host too). Each capture's own views are also in the databases c0, c1, ... (c0.threads; the captures in the order found).

Sandbox: the SQL runs on the loaded capture only: one statement; no file access (COPY TO, read_csv,
read_text, ATTACH), no extension INSTALL/LOAD, settings locked. --unsafe lifts all of it.`,
    )
    .action(async (args: string[], opts) => {
      const fmt = format(opts);
      let { paths, sql } = splitSql(args);
      if (sql === undefined && !process.stdin.isTTY) sql = (await readStdin()).trim().replace(/;\s*$/, '');
      if (sql !== undefined && !sql.trim()) throw new UsageError('query: empty SQL statement');
      const refs = selectCaptures(paths, opts.host);
      if (refs !== null) {
        await queryMany(refs, sql, opts, fmt);
        return;
      }
      const cap = await open(paths[0], opts);
      try {
        if (!opts.unsafe) await sandbox(cap.conn);
        if (sql === undefined) await shell(cap, fmt, !!opts.unsafe);
        else await runQuery(cap, sql, fmt, !!opts.unsafe);
      } finally {
        cap.close();
      }
    });
}

function registerTables(program: Command): void {
  const tables = program
    .command('tables')
    .description('list the views of a capture with their columns, types and descriptions')
    .argument('<capture>', 'capture directory')
    .option('--json', 'JSON output');
  dbOptions(tables).action(async (dir: string, opts) => {
    const cap = await open(dir, opts);
    try {
      const views = [];
      for (const v of cap.views()) {
        const types = new Map((await cap.describe(`SELECT * FROM ${v.name}`)).map((c) => [c.name, c.type]));
        views.push({ ...v, columns: v.columns.map((c) => ({ ...c, type: types.get(c.name) ?? '?' })) });
      }
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
        return;
      }
      for (const v of views) {
        process.stdout.write(`${printable(`${v.name}  (analyze/sql/${v.module}.sql)`)}\n  ${printable(v.doc)}\n`);
        const cols = v.columns.map((c) => ({ name: printable(c.name), type: printable(c.type), doc: printable(c.doc) }));
        const w = Math.max(...cols.map((c) => c.name.length)),
          tw = Math.max(...cols.map((c) => c.type.length));
        for (const c of cols) process.stdout.write(`    ${c.name.padEnd(w)}  ${c.type.padEnd(tw)}  ${c.doc}\n`);
        process.stdout.write('\n');
      }
      process.stdout.write('Raw capture tables are loaded as _<table> (e.g. _losses); see formats/schema.ts.\n');
    } finally {
      cap.close();
    }
  });
}

function registerConvert(program: Command): void {
  const convert = program
    .command('convert')
    .description("write the captures' tables (and with --views the views) as Parquet (ZSTD) via DuckDB COPY, with host, recording and date columns")
    .argument('<captures...>', 'capture directories, or collector directories (DIR/HOST/RECORDING/)')
    .requiredOption('--parquet <dir>', 'output directory (created 0700)')
    .option('--partition', 'hive layout: DIR/TABLE/host=HOST/date=YYYY-MM-DD/*.parquet (else one DIR/TABLE.parquet per table)')
    .option('--views', 'also write the views (threads, sched_slices, syscalls, ...)');
  dbOptions(convert).action(async (paths: string[], opts) => {
    const { findCaptures } = await import('../formats/captures.js');
    const { convertCaptures } = await import('../ship/parquet.js');
    const caps = findCaptures(paths);
    if (opts.db && caps.length > 1) throw new UsageError(`--db ${opts.db}: caches one capture; ${paths.join(' ')} holds ${caps.length}`);
    const out = resolve(opts.parquet);
    const n = await convertCaptures(caps, '--parquet', out, {
      partition: !!opts.partition,
      views: !!opts.views,
      memoryLimit: opts.memoryLimit,
      open: (dir) => open(dir, opts),
    });
    const layout = opts.partition ? ' (TABLE/host=HOST/date=YYYY-MM-DD/)' : '';
    process.stderr.write(`wrote ${n} Parquet files of ${caps.length} capture${caps.length === 1 ? '' : 's'} to ${out}${layout}\n`);
  });
}
