/**
 * `ktape convert CAP_OR_COLLECTOR_DIR… --parquet OUT [--partition]`: the captures' tables (and with --views
 * the views) as Parquet (ZSTD), for the engines a warehouse runs. Each capture is read through the
 * analyzer's loader (analyze/db.ts: the same rows `ktape query` sees, torn batches and all) and written by
 * DuckDB's own COPY … TO (FORMAT parquet): a well-kept writer, the one ktape already embeds, which also
 * writes the hive layout (PARTITION_BY), so nothing here encodes Parquet.
 *
 * Every row gains `host`, `recording` and `date` (UTC day of the row's `ts`, through the capture's clock
 * anchors; the capture's start for tables without ts).
 *  - --partition: OUT/TABLE/host=HOST/date=YYYY-MM-DD/part-RECORDING-N.parquet (host and date live in the
 *    path, as hive readers expect). Re-converting a recording rewrites its own files; other recordings'
 *    files in the same partitions stay.
 *  - else: OUT/TABLE.parquet, one file per table holding every capture's rows.
 *
 * Privacy: OUT is 0700 and ours, files 0600 (umask 077 while DuckDB writes, then checked), and nothing is
 * written through a link: a link found in OUT is refused, a single-file table is written under a fresh name
 * and renamed into place. Paths and names reach SQL as parameters; host and recording are also checked
 * against the collector's name rules (checkNames), the one place they are validated, since they become
 * path components.
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DuckDBInstance, listValue } from '@duckdb/node-api';
import type { CaptureDb } from '../analyze/db.js';
import { viewDocs } from '../analyze/db.js';
import { rawName } from '../analyze/load.js';
import type { CaptureRef as FoundCapture } from '../formats/captures.js';
import { KtapeError, UsageError } from '../formats/errors.js';
import { MANIFEST_FILE, TABLES } from '../formats/schema.js';
import { HOST_RE, RECORDING_RE } from './protocol.js';

export interface ConvertOptions {
  partition: boolean;
  views: boolean;
  /** open one capture (the CLI's open, with progress and warnings) */
  open: (dir: string) => Promise<CaptureDb>;
  memoryLimit?: string;
}

/** A relation to write: the output name (table, or view_NAME) and the loaded relation it comes from. */
interface Relation {
  name: string;
  from: string;
  hasTs: boolean;
}

const ADDED = ['host', 'recording', 'date'];

function relations(views: boolean): Relation[] {
  const out = TABLES.map((t) => ({ name: t.name, from: rawName(t.name), hasTs: t.columns.some((c) => c.name === 'ts') }));
  if (views) for (const v of viewDocs()) out.push({ name: `view_${v.name}`, from: v.name, hasTs: v.columns.some((c) => c.name === 'ts') });
  return out;
}

/** The one check of the names that become path components and file-name patterns. */
function checkNames(caps: FoundCapture[]): void {
  for (const c of caps) {
    if (!HOST_RE.test(c.host)) throw new UsageError(`${c.dir}: host name ${JSON.stringify(c.host.slice(0, 80))} must match ${HOST_RE.source}`);
    if (!RECORDING_RE.test(c.recording))
      throw new UsageError(`${c.dir}: recording id ${JSON.stringify(c.recording.slice(0, 80))} must match ${RECORDING_RE.source}`);
  }
}

/** OUT: made 0700 (its parent must exist), or an existing directory of ours (not a link), set to 0700. */
function outputDir(flag: string, out: string): void {
  const st = lstatSync(out, { throwIfNoEntry: false });
  if (!st) {
    const parent = dirname(out);
    if (!statSync(parent, { throwIfNoEntry: false })?.isDirectory())
      throw new UsageError(`${flag} ${out}: parent directory ${parent} does not exist; create it first`);
    try {
      mkdirSync(out, { mode: 0o700 }); // the files hold command lines and kernel addresses
    } catch (e) {
      throw new UsageError(`${flag} ${out}: cannot create it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  } else if (st.isSymbolicLink()) throw new UsageError(`${flag} ${out}: is a symbolic link; name the directory itself`);
  else if (!st.isDirectory()) throw new UsageError(`${flag} ${out}: exists and is not a directory`);
  else if (st.uid !== (process.geteuid?.() ?? st.uid)) throw new UsageError(`${flag} ${out}: owned by another user`);
  chmodSync(out, 0o700);
}

/** Walk `dir`: refuse any link in it, set directories 0700 and files 0600; the number of .parquet files. */
function secureTree(flag: string, dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    const st = lstatSync(p);
    if (st.isSymbolicLink()) throw new UsageError(`${flag}: ${p} is a symbolic link; ktape convert writes nothing through links`);
    if (st.isDirectory()) {
      chmodSync(p, 0o700);
      n += secureTree(flag, p);
    } else if (st.isFile()) {
      chmodSync(p, 0o600);
      if (e.endsWith('.parquet')) n++;
    }
  }
  return n;
}

/**
 * The SELECT of one relation with the added columns: $1 host, $2 recording, $3 the wall-clock offset to use
 * when the capture has no clock anchor (from the manifest's mtime), $4 the capture's start (ns since boot).
 */
function selectSql(r: Relation): string {
  const at = r.hasTs ? 'coalesce(ts, $4::BIGINT)' : '$4::BIGINT';
  const offset = 'coalesce((SELECT realtime_ns - boottime_ns FROM _clock_anchors ORDER BY boottime_ns LIMIT 1), $3::BIGINT)';
  return (
    `SELECT COLUMNS(c -> c NOT IN (${ADDED.map((a) => `'${a}'`).join(', ')})), $1::VARCHAR AS host, $2::VARCHAR AS recording, ` +
    `CAST(epoch_ms(CAST((${offset} + ${at}) // 1000000 AS BIGINT)) AS DATE) AS date FROM ${r.from}`
  );
}

/** BOOTTIME → REALTIME offset (ns) from the manifest's modification time, for a capture without clock anchors. */
function fallbackOffset(cap: CaptureDb): bigint {
  const mtimeNs = statSync(join(cap.dir, MANIFEST_FILE), { bigint: true }).mtimeNs;
  return mtimeNs - BigInt(cap.manifest.end_ts ?? cap.manifest.start_ts);
}

async function copy(cap: CaptureDb, sql: string, params: (string | bigint)[], path: string): Promise<void> {
  try {
    await cap.conn.run(sql, params);
  } catch (e) {
    throw new KtapeError('E_CONVERT', `convert: writing ${path} failed: ${(e as Error).message.split('\n')[0]}`, 'failure');
  }
}

/** Write one capture's relations: into the hive layout, or to `dest(name)` (one file per relation). */
async function writeCapture(c: FoundCapture, cap: CaptureDb, rels: Relation[], out: string, dest: ((name: string) => string) | null): Promise<void> {
  const base = [c.host, c.recording, fallbackOffset(cap), BigInt(cap.manifest.start_ts)];
  for (const r of rels) {
    if (dest) {
      const path = dest(r.name);
      await copy(cap, `COPY (${selectSql(r)}) TO $5 (FORMAT parquet, COMPRESSION zstd)`, [...base, path], path);
      continue;
    }
    const dir = join(out, r.name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const opts = 'FORMAT parquet, COMPRESSION zstd, PARTITION_BY (host, date), OVERWRITE_OR_IGNORE, FILENAME_PATTERN $6';
    await copy(cap, `COPY (${selectSql(r)}) TO $5 (${opts})`, [...base, dir, `part-${c.recording}-{i}`], dir);
  }
}

/** Merge the staged files of each relation (one per capture, in order) into OUT/NAME.parquet (one capture: renamed). */
async function mergeStaged(staging: string, names: string[], count: number, out: string, memoryLimit?: string): Promise<void> {
  // rename: replaces a link at the destination itself, never its target
  if (count === 1) {
    for (const name of names) renameSync(join(staging, `0.${name}.parquet`), join(out, `${name}.parquet`));
    return;
  }
  const inst = await DuckDBInstance.create(':memory:', memoryLimit ? { memory_limit: memoryLimit } : {});
  const conn = await inst.connect();
  try {
    for (const name of names) {
      const files = Array.from({ length: count }, (_, i) => join(staging, `${i}.${name}.parquet`));
      const tmpPath = join(staging, `${name}.parquet`);
      try {
        await conn.run('COPY (SELECT * FROM read_parquet($1)) TO $2 (FORMAT parquet, COMPRESSION zstd)', [listValue(files), tmpPath]);
      } catch (e) {
        throw new KtapeError('E_CONVERT', `convert: writing ${join(out, `${name}.parquet`)} failed: ${(e as Error).message.split('\n')[0]}`, 'failure');
      }
      renameSync(tmpPath, join(out, `${name}.parquet`));
    }
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}

/** Convert `caps` into OUT (flag: the option naming it, for errors); the number of Parquet files in OUT. */
export async function convertCaptures(caps: FoundCapture[], flag: string, out: string, o: ConvertOptions): Promise<number> {
  checkNames(caps);
  outputDir(flag, out);
  secureTree(flag, out);
  const rels = relations(o.views);
  const umask = process.umask(0o077);
  // a private staging directory inside OUT: files appear in OUT only by rename
  const staging = o.partition ? null : mkdtempSync(join(out, '.ktape-convert-'));
  try {
    for (const [i, c] of caps.entries()) {
      const cap = await o.open(c.dir);
      try {
        await writeCapture(c, cap, rels, out, staging ? (name) => join(staging, `${i}.${name}.parquet`) : null);
      } finally {
        cap.close();
      }
    }
    if (staging)
      await mergeStaged(
        staging,
        rels.map((r) => r.name),
        caps.length,
        out,
        o.memoryLimit,
      );
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
    process.umask(umask);
  }
  return secureTree(flag, out);
}
