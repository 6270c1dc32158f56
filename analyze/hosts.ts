/**
 * Several captures in one DuckDB database (`ktape analyze/query` of a collector directory or of several
 * captures). Thread ids collide across hosts, so the raw tables are never merged: each capture is loaded
 * exactly as openCapture() loads one, into its own attached database (c0, c1, ...: its views, macros
 * and helper tables bind there, so every rule stays defined once, in the SQL modules, and the families'
 * own loading code runs unchanged), and the main database gets, for every documented view and raw
 * table, a view that is the UNION ALL BY NAME of the captures' with `host` and `recording` columns in
 * front. Those are the views `ktape query` sees; a report runs on each capture's database in turn
 * (use()), so its rules and its figures per host are those of the capture alone. The views stay lazy:
 * nothing is computed until a query reads it.
 *
 *   const set = await openCaptures(findCaptures(['collected']), {});
 *   await set.conn.run('SELECT host, count(*) FROM sched_slices GROUP BY host');
 *   for (const m of set.members) { await set.use(m); await runReport('cpu', m.db, o); }
 *   set.close();
 */
import { dirname, join } from 'node:path';
import type { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import type { CaptureRef } from '../formats/captures.js';
import { UsageError } from '../formats/errors.js';
import { readManifest } from '../formats/reader.js';
import { TABLES, type Manifest } from '../formats/schema.js';
import { buildCapture, captureBytes, instanceSetup, memberDb, openInstance, viewDocs, type CaptureDb, type OpenOptions } from './db.js';
import { rawName } from './load.js';

export interface Member extends CaptureRef {
  /** the attached DuckDB database holding this capture's tables and views */
  catalog: string;
  /** the capture alone (its queries answer from its database once use() made it current) */
  db: CaptureDb;
}

export interface CaptureSet {
  readonly conn: DuckDBConnection;
  readonly members: Member[];
  /** make a member's database current (unqualified names are its views), or the union views' (null) */
  use(m: Member | null): Promise<void>;
  close(): void;
}

/** "host" or "host/recording": how messages name a member */
export const memberName = (m: CaptureRef) => `${m.host}/${m.recording}`;

/** Two captures with the same host and recording would be one in every view: refuse them. */
function checkDistinct(refs: CaptureRef[]): void {
  const seen = new Map<string, string>();
  for (const r of refs) {
    const k = memberName(r);
    const other = seen.get(k);
    if (other !== undefined)
      throw new UsageError(`${r.dir}: host ${r.host} recording ${r.recording} is also ${other}; pass only one of them`, 'E_CAPTURE_DUPLICATE');
    seen.set(k, r.dir);
  }
}

/** The home database's views: each documented view and raw table over every member, with host and recording. */
async function unionViews(conn: DuckDBConnection, members: Member[]): Promise<void> {
  const names = [...viewDocs().map((v) => v.name), ...TABLES.map((t) => rawName(t.name))];
  for (const n of names) {
    const parts = members.map((m) => `SELECT s.host, s.recording, v.* FROM ${m.catalog}.main."${n}" v, ${m.catalog}.main._source s`);
    await conn.run(`CREATE VIEW "${n}" AS ${parts.join(' UNION ALL BY NAME ')}`);
  }
}

/**
 * Load every capture of `refs`, each into its own database, and create the union views. Options as
 * openCapture's (no --db cache); `skipTables` gives each capture's tables a report never reads. Throws
 * CaptureError (exit 2) for a bad capture.
 */
export async function openCaptures(refs: CaptureRef[], opts: OpenOptions = {}, skipTables?: (m: Manifest) => string[]): Promise<CaptureSet> {
  if (opts.db) throw new UsageError('--db: caches one capture; analyze several captures without it');
  checkDistinct(refs);
  const manifests = refs.map((r) => readManifest(r.dir));
  const { path, config, cleanup } = instanceSetup(opts, () => refs.reduce((a, r) => a + captureBytes(r.dir), 0));
  const { inst, conn } = await openInstance(path, config, opts, cleanup);
  const members: Member[] = [];
  let home = 'memory';
  try {
    home = String((await conn.runAndReadAll('SELECT current_database()')).getRows()[0][0]);
    for (const [i, r] of refs.entries()) {
      const catalog = `c${i}`;
      await conn.run(`ATTACH ${attachPath(path, catalog)} AS ${catalog}; USE ${catalog}`);
      const built = await buildCapture(conn, r.dir, manifests[i], { ...opts, skipTables: skipTables?.(manifests[i]) });
      await conn.run('CREATE TABLE _source AS SELECT $host::VARCHAR AS host, $recording::VARCHAR AS recording', { host: r.host, recording: r.recording });
      members.push({ ...r, catalog, db: memberDb(r.dir, manifests[i], conn, built) });
    }
    await conn.run(`USE "${home}"`);
    await unionViews(conn, members);
  } catch (e) {
    close(inst, conn, cleanup);
    throw e;
  }
  return {
    conn,
    members,
    use: async (m) => {
      await conn.run(`USE "${m ? m.catalog : home}"`);
    },
    close: () => close(inst, conn, cleanup),
  };
}

/**
 * A member's database: a file beside the set's own when that is a file (a big set, spilled to the
 * private temporary directory), else in memory. ATTACH takes no parameter: only a path of plain
 * characters is written into the statement; any other stays in memory (DuckDB spills it to the same
 * directory when the memory limit is reached).
 */
function attachPath(setPath: string, catalog: string): string {
  const p = join(dirname(setPath), `${catalog}.duckdb`);
  return setPath !== ':memory:' && /^[A-Za-z0-9_./-]+$/.test(p) ? `'${p}'` : `':memory:'`;
}

function close(inst: DuckDBInstance, conn: DuckDBConnection, cleanup: () => void): void {
  try {
    conn.closeSync();
    inst.closeSync();
  } catch {
    /* already closed */
  }
  cleanup();
}
