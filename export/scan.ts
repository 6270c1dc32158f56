/**
 * Streaming reads of the analyzer's views for the exporters: one DuckDB data chunk (~2048 rows) at a time,
 * columns read from the chunk's vectors. Row objects (CaptureDb.iterate) cost an object and a bigint
 * conversion per value, which at millions of events is most of an export; here the SQL casts every value
 * to what the encoder wants (DOUBLE for timestamps, 32-bit halves for 64-bit fields), so JS only indexes.
 */
import type { DuckDBDataChunk, DuckDBValue } from '@duckdb/node-api';
import type { CaptureDb } from '../analyze/db.js';
import { isDataError } from '../analyze/db.js';
import { CaptureError, KtapeError } from '../formats/errors.js';

/** a column of the current chunk */
export interface Col {
  getItem(i: number): any;
}

export class Scan {
  rows = 0;
  private chunk: DuckDBDataChunk | null = null;
  constructor(private readonly index: Map<string, number>) {}
  /** @internal */
  set(chunk: DuckDBDataChunk): void {
    this.chunk = chunk;
    this.rows = chunk.rowCount;
  }
  /** the named column of the current chunk */
  col(name: string): Col {
    const i = this.index.get(name);
    if (i === undefined) throw new KtapeError('E_EXPORT_COLUMN', `export: no column ${name} in an export query (a bug in ktape; please report it)`, 70);
    return this.chunk!.getColumnVector(i);
  }
}

function wrap(e: unknown): KtapeError {
  if (e instanceof KtapeError) return e;
  const msg = ((e as Error)?.message ?? String(e)).split('\n').filter(Boolean).slice(0, 2).join(' ');
  if (isDataError(e)) return new CaptureError('E_CAPTURE_VALUES', `export: the capture holds values out of range, so it is damaged (${msg.slice(0, 200)})`);
  return new KtapeError('E_EXPORT_QUERY', `export: ${msg} (a bug in ktape's export SQL; please report it)`, 70);
}

/** Run `sql` and hand every chunk of its result to onChunk, in result order. */
export async function scan(cap: CaptureDb, sql: string, onChunk: (s: Scan) => void, params?: Record<string, DuckDBValue>): Promise<void> {
  try {
    const result = await cap.conn.stream(sql, params);
    const index = new Map<string, number>();
    result.columnNames().forEach((n, i) => index.set(n, i));
    const s = new Scan(index);
    for (;;) {
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      s.set(chunk);
      onChunk(s);
    }
  } catch (e) {
    throw wrap(e);
  }
}

/** Run a script of statements (export/sql files): DuckDB takes one statement per prepare. */
export async function runScript(cap: CaptureDb, sql: string, where: string): Promise<void> {
  const stmts = await cap.conn.extractStatements(sql);
  for (let i = 0; i < stmts.count; i++) {
    try {
      await (await stmts.prepare(i)).run();
    } catch (e) {
      throw new KtapeError('E_SQL_MODULE', `creating export views from ${where}: ${(e as Error).message.split('\n')[0]} (a bug in ktape's SQL; please report it)`, 70);
    }
  }
}
