/**
 * The `ktape query` sandbox: the user's SQL runs on the loaded capture and nothing else. After the
 * capture is loaded, DuckDB's external access (files: COPY TO, read_csv/read_text/glob, ATTACH of a
 * file, EXPORT DATABASE, extension INSTALL/LOAD) and extension autoloading are turned off, and the
 * configuration is locked so no statement can turn them back on. One statement per query. `--unsafe`
 * skips all of it.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { plain, type Row } from '../analyze/db.js';
import { KtapeError, UsageError } from '../formats/errors.js';

const SANDBOX = [
  'SET enable_external_access = false',
  'SET autoload_known_extensions = false',
  'SET autoinstall_known_extensions = false',
  'SET allow_community_extensions = false',
  'SET lock_configuration = true', // last: nothing above can be changed back
];

const HINT = '(ktape query runs sandboxed; use --unsafe for file access, ATTACH, extensions, settings and several statements)';

/** Apply the sandbox on the capture's connection (after loading: loading reads the capture files). */
export async function sandbox(conn: DuckDBConnection): Promise<void> {
  for (const s of SANDBOX) await conn.run(s);
}

/** One line of a DuckDB error. */
const firstLine = (e: unknown) => ((e as Error)?.message ?? String(e)).split('\n').filter(Boolean).slice(0, 2).join(' ');

/** A DuckDB error caused by the sandbox (not by the SQL itself). */
function refusedBySandbox(msg: string): boolean {
  return /Permission Error|disabled (by|through) configuration|configuration has been locked|autoload/i.test(msg);
}

function queryError(e: unknown, unsafe: boolean): KtapeError {
  const msg = firstLine(e);
  if (!unsafe && refusedBySandbox(msg)) return new KtapeError('E_QUERY_SANDBOX', `query refused: ${msg} ${HINT}`, 'failure');
  return new KtapeError('E_QUERY', `query failed: ${msg}`, 'failure');
}

/**
 * Run the user's SQL. Sandboxed: exactly one statement (exit 2 otherwise). --unsafe: every statement in
 * order; the last one's result is returned.
 */
export async function runUserSql(conn: DuckDBConnection, sql: string, unsafe: boolean): Promise<{ columns: string[]; rows: Row[] }> {
  let stmts: Awaited<ReturnType<DuckDBConnection['extractStatements']>>;
  try {
    stmts = await conn.extractStatements(sql);
  } catch (e) {
    // node-api reports SQL with no statement at all (";", a comment) as an error without a message
    if (/Error in native callback/.test(firstLine(e))) throw new UsageError('query: no SQL statement', 'E_QUERY_STATEMENTS');
    throw new KtapeError('E_QUERY', `query failed: ${firstLine(e).replace(/^Failed to extract statements: /, '')}`, 'failure');
  }
  if (stmts.count === 0) throw new UsageError('query: no SQL statement', 'E_QUERY_STATEMENTS');
  if (!unsafe && stmts.count !== 1) throw new UsageError(`query: ${stmts.count} statements in one query; give exactly one ${HINT}`, 'E_QUERY_STATEMENTS');
  let out: { columns: string[]; rows: Row[] } = { columns: [], rows: [] };
  for (let i = 0; i < stmts.count; i++) {
    try {
      const reader = await (await stmts.prepare(i)).runAndReadAll();
      out = { columns: reader.columnNames(), rows: reader.getRowObjectsJS().map((r) => plain(r) as Row) };
    } catch (e) {
      throw queryError(e, unsafe);
    }
  }
  return out;
}
