/**
 * Public API of the analyzer: open a capture as a DuckDB database with the
 * documented views (threads, processes, sched_slices, thread_state,
 * syscalls, allocations, losses, stacks, ...) on top of the raw tables.
 * `ktape analyze/query/tables/convert`, export and compare all go through
 * openCapture().
 *
 *   const cap = await openCapture('cap', { db: 'cap.duckdb', memoryLimit: '2GB' });
 *   const rows = await cap.query('SELECT tid, sum(dur) AS cpu_ns FROM sched_slices WHERE tid = $1 GROUP BY tid', [1234]);
 *   for await (const batch of cap.iterate('SELECT * FROM syscalls')) { ... }
 *   cap.close();
 *
 * Values: integers come back as JS numbers when they fit in 2^53 and as
 * bigint otherwise (kernel addresses); lists as arrays; NULL as null.
 * Everything from the user or the capture is bound as a parameter
 * ($1, $2, ... or $name), never spliced into SQL.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, readdirSync, rmSync, mkdtempSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { readManifest } from '../formats/reader.js';
import { CaptureError, KtapeError, UsageError } from '../formats/errors.js';
import { TABLE_BY_NAME, TABLES, type Manifest } from '../formats/schema.js';
import { FAMILIES } from '../families/index.js';
import { sqlModules } from './modules.js';
import { printable } from './reports/common.js';
import { loadCapture, rawName, type LoadProgress, type LoadResult } from './load.js';

/** Loader/SQL layout version: bump to invalidate every --db cache. */
export const DB_LAYOUT_VERSION = 4;

export type Param = string | number | bigint | boolean | null;
export type Row = Record<string, unknown>;

export interface OpenOptions {
  /** keep the loaded database in this file and reuse it while the capture is unchanged */
  db?: string;
  /** DuckDB memory_limit, e.g. '2GB' */
  memoryLimit?: string;
  /** DuckDB threads (default: DuckDB's) */
  threads?: number;
  /** progress while loading (called after each table file) */
  onProgress?: (p: LoadProgress) => void;
  /**
   * Event tables this caller never reads (e.g. the cpu report never reads sched_waking): on a cold
   * load of a complete capture they are left empty, which makes the load proportionally faster.
   * Ignored with `db` (a cache must hold everything) and for incomplete captures (their end time
   * comes from the last event of every table).
   */
  skipTables?: string[];
  /** one-line warnings (torn batches); default: write `ktape: warning: ...` to stderr */
  onWarning?: (msg: string) => void;
}

export interface ColumnDoc {
  name: string;
  doc: string;
  type?: string;
}
export interface ViewDoc {
  name: string;
  module: string;
  doc: string;
  columns: ColumnDoc[];
}

export interface CaptureDb {
  readonly dir: string;
  readonly manifest: Manifest;
  /** the underlying DuckDB connection (escape hatch; prefer query/iterate) */
  readonly conn: DuckDBConnection;
  /** load statistics, or null when the database came from the --db cache */
  readonly loaded: LoadResult | null;
  /** capture window [start_ts, end_ts], ns since boot (end: manifest, else last event) */
  readonly startTs: number;
  readonly endTs: number;
  /** run one statement; rows as plain objects */
  query<T = Row>(sql: string, params?: Param[] | Record<string, Param>): Promise<T[]>;
  /** stream a big result in batches of rows */
  iterate<T = Row>(sql: string, params?: Param[] | Record<string, Param>): AsyncGenerator<T[]>;
  /** column names and DuckDB types of a result */
  describe(sql: string, params?: Param[] | Record<string, Param>): Promise<{ name: string; type: string }[]>;
  /** the documented views */
  views(): ViewDoc[];
  close(): void;
}

/** Convert DuckDB JS values: safe bigints → number, recursively. */
export function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  if (Array.isArray(v)) return v.map(plain);
  if (v instanceof Date || v === null || typeof v !== 'object') return v;
  const o: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) o[k] = plain(x);
  return o;
}

/** Parse `-- @view name: doc` / `-- @col name: doc` headers of the SQL modules. */
export function viewDocs(): ViewDoc[] {
  const out: ViewDoc[] = [];
  for (const { name: module, text } of sqlModules()) {
    let cur: ViewDoc | null = null;
    for (const line of text.split('\n')) {
      const v = /^--\s*@view\s+(\w+):\s*(.*)$/.exec(line);
      if (v) {
        cur = { name: v[1], module, doc: v[2].trim(), columns: [] };
        out.push(cur);
        continue;
      }
      const c = /^--\s*@col\s+(\w+):\s*(.*)$/.exec(line);
      if (c && cur) {
        cur.columns.push({ name: c[1], doc: c[2].trim() });
        continue;
      }
      const more = /^--\s{2,}(\S.*)$/.exec(line);
      if (more && cur) {
        const last = cur.columns.at(-1);
        if (last) last.doc += ` ${more[1].trim()}`;
        else cur.doc += ` ${more[1].trim()}`;
      }
    }
  }
  return out;
}

/** Cache key: layout version, SQL text, manifest and every file's size+mtime. */
function fingerprint(dir: string, manifest: Manifest): string {
  const h = createHash('sha256');
  h.update(`ktape-db ${DB_LAYOUT_VERSION}\n`);
  for (const m of sqlModules()) h.update(m.text);
  h.update(JSON.stringify(manifest));
  for (const f of readdirSync(dir).sort()) {
    const s = lstatSync(join(dir, f));
    h.update(`${f} ${s.mode} ${s.size} ${s.mtimeMs}\n`);
  }
  return h.digest('hex');
}

export function captureBytes(dir: string): number {
  let n = 0;
  for (const f of readdirSync(dir)) {
    const s = lstatSync(join(dir, f));
    if (s.isFile()) n += s.size;
  }
  return n;
}

/**
 * --memory-limit bounds the whole process: DuckDB gets 55% of it, the rest
 * is for Node, the loader's batches and DuckDB's allocations outside its
 * buffer manager. Sizes DuckDB would parse differently pass through as given.
 */
export function duckMemoryLimit(limit: string): string {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.exec(limit);
  if (!m) return limit;
  const u = m[2].toLowerCase();
  const mult = u === 'b' ? 1 : u.endsWith('ib') ? 1024 ** ('kmgt'.indexOf(u[0]) + 1) : 1000 ** ('kmgt'.indexOf(u[0]) + 1);
  return `${Math.max(64, Math.floor((Number(m[1]) * mult * 0.55) / 2 ** 20))}MiB`;
}

/**
 * The budget when no --memory-limit is given: a quarter of the machine's memory, at most 4 GiB, of which
 * DuckDB gets its share (duckMemoryLimit) and spills the rest to a private temporary directory. DuckDB's
 * own default is 80% of RAM: a 47M-event capture reached 5.4 GB RSS with it.
 */
export function defaultMemoryLimit(ram = totalmem()): string {
  return `${Math.max(256, Math.floor(Math.min(4 * 2 ** 30, ram / 4) / 2 ** 20))}MiB`;
}

/** Captures above this size load into a temporary database file instead of memory. */
const IN_MEMORY_MAX_BYTES = 512 << 20;

async function runScript(conn: DuckDBConnection, sql: string, where: string): Promise<void> {
  const stmts = await conn.extractStatements(sql);
  for (let i = 0; i < stmts.count; i++) {
    try {
      const p = await stmts.prepare(i);
      await p.run();
    } catch (e) {
      throw new KtapeError('E_SQL_MODULE', `creating views from ${where}: ${(e as Error).message.split('\n')[0]} (a bug in ktape's SQL; please report it)`, 70);
    }
  }
}

/**
 * ktape's own SQL over capture values: an overflow or an out-of-range cast there means the capture holds
 * values no recorder writes (a sum of durations past int64, a timestamp centuries away): bad input, exit 2.
 */
const DATA_ERROR = /^(Conversion|Out of Range|Overflow) Error/;

/** true for a DuckDB error that damaged capture values cause (see wrapDuck) */
export const isDataError = (e: unknown) => DATA_ERROR.test(String((e as Error)?.message ?? e));

function wrapDuck(e: unknown, what: string): KtapeError {
  if (e instanceof KtapeError) return e;
  const msg = ((e as Error)?.message ?? String(e)).split('\n').filter(Boolean).slice(0, 2).join(' ');
  if (DATA_ERROR.test(msg))
    return new CaptureError('E_CAPTURE_VALUES', `${what}: the capture holds values out of range, so it is damaged (${msg.slice(0, 200)})`);
  return new KtapeError('E_QUERY', `${what}: ${msg}`, 1);
}

class CaptureDbImpl implements CaptureDb {
  constructor(
    readonly dir: string,
    readonly manifest: Manifest,
    private readonly instance: DuckDBInstance | null,
    readonly conn: DuckDBConnection,
    readonly loaded: LoadResult | null,
    readonly startTs: number,
    readonly endTs: number,
    private readonly cleanup: () => void,
  ) {}

  async query<T = Row>(sql: string, params?: Param[] | Record<string, Param>): Promise<T[]> {
    try {
      const reader = await this.conn.runAndReadAll(sql, params as DuckDBValue[] | Record<string, DuckDBValue> | undefined);
      return reader.getRowObjectsJS().map((r) => plain(r) as T);
    } catch (e) {
      throw wrapDuck(e, 'query failed');
    }
  }

  async *iterate<T = Row>(sql: string, params?: Param[] | Record<string, Param>): AsyncGenerator<T[]> {
    let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
    try {
      result = await this.conn.stream(sql, params as DuckDBValue[] | Record<string, DuckDBValue> | undefined);
    } catch (e) {
      throw wrapDuck(e, 'query failed');
    }
    for await (const rows of result.yieldRowObjectJs()) yield rows.map((r) => plain(r) as T);
  }

  async describe(sql: string, params?: Param[] | Record<string, Param>) {
    try {
      const r = await this.conn.runAndReadUntil(`SELECT * FROM (${sql}) LIMIT 0`, 0, params as DuckDBValue[] | undefined);
      return r.columnNames().map((name, i) => ({ name, type: r.columnType(i).toString() }));
    } catch (e) {
      throw wrapDuck(e, 'describe failed');
    }
  }

  views(): ViewDoc[] {
    return viewDocs();
  }

  close(): void {
    if (!this.instance) return; // a member of a set: the set closes the connection
    try {
      this.conn.closeSync();
    } catch {
      /* already closed */
    }
    try {
      this.instance.closeSync();
    } catch {
      /* already closed */
    }
    this.cleanup();
  }
}

/**
 * Rows the capture should hold and does not become losses (reason 'truncated', cpu 65535), so that
 * every report whose window overlaps them says so: from the table's last loaded event (or the start)
 * to the end of the capture.
 */
async function recordDamage(conn: DuckDBConnection, loaded: LoadResult): Promise<void> {
  for (const d of loaded.damage) {
    const def = TABLE_BY_NAME.get(d.table)!;
    const last = def.columns.some((c) => c.name === 'ts') ? `(SELECT max(ts) FROM ${rawName(d.table)})` : 'NULL';
    await conn.run(
      `INSERT INTO _losses (cpu, kind, count, ts_start, ts_end, reason)
       SELECT 65535, $kind, $rows, least(coalesce(${last}, start_ts), end_ts), end_ts, 'truncated' FROM _capture`,
      { kind: d.table, rows: d.rows },
    );
  }
}

/** The latest event of every event table (the end of a capture whose recorder was killed). */
function lastEventSql(): string {
  return TABLES.filter((t) => t.role === 'event' && t.columns.some((c) => c.name === 'ts'))
    .map((t) => `SELECT max(ts) AS ts FROM ${rawName(t.name)}`)
    .join(' UNION ALL ');
}

/** Every family's helper tables, the SQL modules in order, then the families' view choices and stored views. */
async function createViews(conn: DuckDBConnection, manifest: Manifest, cache: boolean): Promise<void> {
  for (const f of FAMILIES) await f.analyzer?.prepare?.(conn, manifest);
  for (const m of sqlModules()) await runScript(conn, m.text, m.path);
  for (const f of FAMILIES) {
    for (const v of f.analyzer?.materialize ?? []) {
      await conn.run(`CREATE TABLE _m_${v} AS SELECT * FROM ${v}`);
      await conn.run(`CREATE OR REPLACE VIEW ${v} AS SELECT * FROM _m_${v}`);
    }
  }
  for (const f of FAMILIES) await f.analyzer?.finish?.(conn, manifest, { cache });
}

/** One line per damaged table and for the tables a killed recorder never wrote. */
function warnDamage(loaded: LoadResult, dir: string, warn: (m: string) => void): void {
  for (const d of loaded.damage)
    warn(
      `table ${d.table}: ${d.rows === 1 ? 'at least 1 row' : `${d.rows} rows`} missing (${d.why}); loaded every complete batch, and the losses view lists the shortfall`,
    );
  if (loaded.absent.length)
    warn(
      `${[...loaded.absent].sort().join(', ')}: not in ${dir} (the recorder stopped before writing ${loaded.absent.length === 1 ? 'it' : 'them'}); loaded empty`,
    );
}

/** _capture: the capture's facts and window (end: the manifest's, else the last event of any table). */
async function captureTable(conn: DuckDBConnection, dir: string, manifest: Manifest, loaded: LoadResult): Promise<void> {
  await conn.run(
    `CREATE TABLE _capture AS SELECT $dir::VARCHAR AS dir, $fv::VARCHAR AS format_version, $complete::BOOLEAN AS complete,
       $host::VARCHAR AS hostname, $krel::VARCHAR AS kernel_release, $machine::VARCHAR AS machine, $cpus::INTEGER AS cpus,
       $start::BIGINT AS start_ts,
       coalesce($end::BIGINT, (SELECT max(ts) FROM (${lastEventSql()})), $start::BIGINT) AS end_ts,
       $wl_tgid::INTEGER AS workload_tgid, $cmd::VARCHAR AS command_line`,
    {
      dir,
      fv: manifest.format_version,
      complete: !!manifest.complete && loaded.damage.length === 0,
      host: manifest.host?.hostname ?? null,
      krel: manifest.host?.kernel_release ?? null,
      machine: manifest.host?.machine ?? null,
      cpus: manifest.host?.cpus ?? null,
      start: manifest.start_ts,
      end: manifest.end_ts ?? null,
      wl_tgid: manifest.workload?.pid ?? null,
      cmd: (manifest.command_line ?? []).join(' '),
    },
  );
}

/** Where the database lives and DuckDB's settings: memory, or a private temporary file above IN_MEMORY_MAX_BYTES. */
export function instanceSetup(opts: OpenOptions, bytes: () => number): { path: string; config: Record<string, string>; cleanup: () => void } {
  const config: Record<string, string> = { memory_limit: duckMemoryLimit(opts.memoryLimit ?? defaultMemoryLimit()) };
  if (opts.threads) config.threads = String(opts.threads);
  if (opts.db) return { path: opts.db, config, cleanup: () => {} };
  // spilled data holds the capture: a private (0700) directory, never DuckDB's default ./.tmp
  const t = mkdtempSync(join(tmpdir(), 'ktape-db-'));
  config.temp_directory = join(t, 'spill');
  const path = opts.memoryLimit || bytes() > IN_MEMORY_MAX_BYTES ? join(t, 'capture.duckdb') : ':memory:';
  return { path, config, cleanup: () => rmSync(t, { recursive: true, force: true }) };
}

/** A DuckDB instance and connection; a refused --memory-limit or --db is a usage error (after cleanup). */
export async function openInstance(
  path: string,
  config: Record<string, string>,
  opts: OpenOptions,
  cleanup: () => void,
): Promise<{ inst: DuckDBInstance; conn: DuckDBConnection }> {
  try {
    const inst = await DuckDBInstance.create(path, config);
    // a --db file holds the whole capture (command lines, kernel addresses): owner-only
    if (opts.db) for (const f of [path, `${path}.wal`]) if (existsSync(f)) chmodSync(f, 0o600);
    return { inst, conn: await inst.connect() };
  } catch (e) {
    cleanup();
    if (opts.memoryLimit && /memory/i.test(String((e as Error).message)))
      throw new UsageError(`--memory-limit ${opts.memoryLimit}: DuckDB refused it (${(e as Error).message}); use a size like 2GB`);
    throw new UsageError(`--db ${path}: cannot open it as a DuckDB database (${(e as Error).message.split('\n')[0]}); pass a new file name`, 'E_DB_OPEN');
  }
}

export interface Built {
  loaded: LoadResult;
  startTs: number;
  endTs: number;
}

/**
 * Load a capture into the connection's current database (analyze/hosts.ts loads several captures, each
 * into its own) and create its views there. Throws CaptureError (exit 2) for a bad capture.
 */
export async function buildCapture(conn: DuckDBConnection, dir: string, manifest: Manifest, opts: OpenOptions): Promise<Built> {
  const warn = opts.onWarning ?? ((m: string) => process.stderr.write(`ktape: warning: ${printable(m)}\n`));
  let loaded: LoadResult;
  try {
    const skip = new Set(!opts.db && manifest.complete && manifest.end_ts != null ? (opts.skipTables ?? []) : []);
    loaded = await loadCapture(conn, dir, manifest, opts.onProgress, skip, warn);
  } catch (e) {
    throw e instanceof KtapeError ? e : wrapDuck(e, `loading ${dir}`);
  }
  warnDamage(loaded, dir, warn);
  await captureTable(conn, dir, manifest, loaded);
  await recordDamage(conn, loaded);
  await createViews(conn, manifest, !!opts.db);
  const [[s, e]] = (await conn.runAndReadAll('SELECT start_ts, end_ts FROM _capture')).getRowsJS() as [bigint, bigint][];
  return { loaded, startTs: Number(s), endTs: Number(e) };
}

/** A capture of an open set (analyze/hosts.ts): shares the set's connection, which the set closes. */
export function memberDb(dir: string, manifest: Manifest, conn: DuckDBConnection, b: Built): CaptureDb {
  return new CaptureDbImpl(dir, manifest, null, conn, b.loaded, b.startTs, b.endTs, () => {});
}

/**
 * Open a capture directory for analysis. Loads it into DuckDB (or reuses
 * `opts.db` when it was built from exactly this capture) and creates the
 * views. Throws CaptureError (exit 2) for a bad capture.
 */
export async function openCapture(dir: string, opts: OpenOptions = {}): Promise<CaptureDb> {
  const manifest = readManifest(dir);
  const key = fingerprint(dir, manifest);
  const { path, config, cleanup } = instanceSetup(opts, () => captureBytes(dir));

  const open = () => openInstance(path, config, opts, cleanup);

  let { inst, conn } = await open();
  if (opts.db && existsSync(opts.db)) {
    const tables = (await conn.runAndReadAll(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()`))
      .getRows()
      .map((r) => String(r[0]));
    if (tables.length > 0) {
      if (!tables.includes('_ktape_cache')) {
        conn.closeSync();
        inst.closeSync();
        throw new UsageError(`--db ${opts.db}: exists and is not a ktape database; refusing to overwrite it (pass a new file name)`, 'E_DB_FOREIGN');
      }
      const k = (await conn.runAndReadAll('SELECT key FROM _ktape_cache')).getRows();
      if (k.length === 1 && k[0][0] === key) {
        const [[s, e]] = (await conn.runAndReadAll('SELECT start_ts, end_ts FROM _capture')).getRowsJS() as [bigint, bigint][];
        return new CaptureDbImpl(dir, manifest, inst, conn, null, Number(s), Number(e), cleanup);
      }
      // stale: built from another capture or an older capture state → rebuild from scratch
      conn.closeSync();
      inst.closeSync();
      for (const f of [opts.db, `${opts.db}.wal`]) rmSync(f, { force: true });
      ({ inst, conn } = await open());
    }
  }

  let built: Built;
  try {
    built = await buildCapture(conn, dir, manifest, opts);
  } catch (e) {
    conn.closeSync();
    inst.closeSync();
    if (opts.db) for (const f of [opts.db, `${opts.db}.wal`]) rmSync(f, { force: true });
    cleanup();
    throw e;
  }
  await conn.run('CREATE TABLE _ktape_cache AS SELECT $key::VARCHAR AS key, $dir::VARCHAR AS capture_dir, now() AS created_at', { key, dir });
  if (opts.db) await conn.run('CHECKPOINT');
  return new CaptureDbImpl(dir, manifest, inst, conn, built.loaded, built.startTs, built.endTs, cleanup);
}
