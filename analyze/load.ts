/**
 * Bulk loading of a capture into DuckDB. Every table is decoded by
 * formats/reader.ts (which owns the torn-batch / corrupt-file rules) and its
 * Arrow column buffers are copied into DuckDB data chunks with
 * copy_data_to_vector (one memcpy per column per 2048 rows), then appended
 * with a DuckDB appender. Only string columns (small meta tables) go value
 * by value.
 *
 * Raw tables land under private names: capture table `sched_switch` becomes
 * `_sched_switch`, with the same columns and the matching DuckDB types.
 */
import { versionLess } from '../formats/version.js';
import { lstatSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import duckdb from '@duckdb/node-bindings';
import {
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBAppender,
  type DuckDBType,
  BIGINT,
  DOUBLE,
  INTEGER,
  SMALLINT,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import { captureTableFiles, iterStreamFile, type StreamState, unrecordedTable } from '../formats/reader.js';
import { CaptureError } from '../formats/errors.js';
import { TABLES, type ColumnDef, type Manifest, type TableDef } from '../formats/schema.js';
import { notInFormat } from '../formats/table.js';
import type { RecordBatch, Data } from 'apache-arrow';

const SQL_TYPE: Record<ColumnDef['type'], string> = {
  i8: 'TINYINT',
  i16: 'SMALLINT',
  i32: 'INTEGER',
  i64: 'BIGINT',
  u8: 'UTINYINT',
  u16: 'USMALLINT',
  u32: 'UINTEGER',
  u64: 'UBIGINT',
  utf8: 'VARCHAR',
  f64: 'DOUBLE',
};
const DUCK_TYPE: Record<ColumnDef['type'], DuckDBType> = {
  i8: TINYINT,
  i16: SMALLINT,
  i32: INTEGER,
  i64: BIGINT,
  u8: UTINYINT,
  u16: USMALLINT,
  u32: UINTEGER,
  u64: UBIGINT,
  utf8: VARCHAR,
  f64: DOUBLE,
};
const WIDTH: Record<ColumnDef['type'], number> = {
  i8: 1,
  i16: 2,
  i32: 4,
  i64: 8,
  u8: 1,
  u16: 2,
  u32: 4,
  u64: 8,
  utf8: 0,
  f64: 8,
};
/** DuckDB's STANDARD_VECTOR_SIZE: rows per data chunk */
const CHUNK = 2048;

export const rawName = (table: string) => `_${table}`;

export interface LoadProgress {
  table: string;
  rows: number;
  totalBytes: number;
  doneBytes: number;
}

/** Rows of a table that the capture should hold and does not (a torn, damaged or missing batch). */
export interface Damage {
  table: string;
  /** rows missing: exact when the manifest counts them, else a lower bound */
  rows: number;
  why: string;
}

export interface LoadResult {
  rows: Record<string, number>;
  /** tables whose rows fall short of what was recorded: every report names them as losses */
  damage: Damage[];
  /** tables with no file at all, loaded empty (incomplete captures only) */
  absent: string[];
  ms: number;
}

/** a < b for MAJOR.MINOR format versions */
export { versionLess };

/** DDL of the raw table for a capture table. */
export function rawTableDDL(def: TableDef): string {
  const cols = def.columns.map((c) => `"${c.name}" ${SQL_TYPE[c.type]}${c.nullable ? '' : ' NOT NULL'}`);
  return `CREATE TABLE ${rawName(def.name)} (${cols.join(', ')})`;
}

/**
 * The files to load for a table (formats/reader's rules: the manifest's list for a complete capture,
 * else every segment found). A table with no file is an error in a complete capture; in one whose
 * recorder was killed before writing it (kallsyms, stacks, stats: written at stop) it loads empty,
 * and so does a table of a family not recorded (no row reached it: no file since format 1.6).
 */
function planFiles(dir: string, manifest: Manifest, def: TableDef, warn: (m: string) => void, absent: string[]): string[] {
  const files = captureTableFiles(dir, manifest, def.name, warn);
  if (files.length > 0 || unrecordedTable(manifest, def.name)) return files;
  if (!manifest.complete) {
    absent.push(def.name);
    return [];
  }
  throw new CaptureError('E_TABLE_MISSING', `${join(dir, def.name)}.*.arrows: table ${def.name} is missing from the capture`);
}

/** Rows a table should have but does not, from the manifest's count or the torn batch's header. */
function shortfall(manifest: Manifest, def: TableDef, rows: number, torn: StreamState[]): Damage | null {
  const expected = manifest.complete ? manifest.tables?.[def.name]?.rows : undefined;
  if (expected !== undefined && expected >= 0) {
    if (rows > expected)
      throw new CaptureError(
        'E_ROWS_MISMATCH',
        `table ${def.name}: the files hold ${rows} rows but the manifest says ${expected}; the capture was altered (files mixed from another capture?)`,
      );
    if (rows === expected) return null;
    return {
      table: def.name,
      rows: expected - rows,
      why:
        torn
          .map((t) => t.why)
          .filter(Boolean)
          .join('; ') || 'rows missing from the files',
    };
  }
  const lost = torn.filter((t) => t.lostRows !== 0);
  if (!lost.length) return null;
  // a damaged batch whose header could not be read lost at least one row
  return { table: def.name, rows: lost.reduce((a, t) => a + (t.lostRows ?? 1), 0), why: lost.map((t) => t.why).join('; ') };
}

/** The bytes as valid UTF-8: DuckDB stores a string with a bad sequence as NULL; it becomes U+FFFD instead. */
function utf8(b: Uint8Array): Uint8Array {
  return isUtf8(b) ? b : Buffer.from(new TextDecoder().decode(b));
}

function appendBatch(appender: DuckDBAppender, chunk: DuckDBDataChunk, def: TableDef, batch: RecordBatch): number {
  const n = batch.numRows;
  // by name: a column added by a later minor format version is ignored; a nullable column an older
  // capture lacks (e.g. losses.resume_ts before 1.1) loads as NULL
  const cols: (Data | null)[] = def.columns.map((c) => {
    const child = batch.getChild(c.name);
    if (!child) {
      if (c.nullable) return null;
      throw new CaptureError('E_FILE_CORRUPT', `table ${def.name}: column ${c.name} missing from a batch`);
    }
    if (child.data.length !== 1) throw new CaptureError('E_FILE_CORRUPT', `table ${def.name}: column ${c.name} has ${child.data.length} buffers in one batch`);
    return child.data[0] as Data;
  });
  const raw = chunk.chunk;
  const validity = new Uint8Array(CHUNK / 8);
  for (let start = 0; start < n; start += CHUNK) {
    const len = Math.min(CHUNK, n - start);
    duckdb.data_chunk_reset(raw);
    for (let ci = 0; ci < def.columns.length; ci++) {
      const c = def.columns[ci];
      const d = cols[ci] as any;
      const vec = duckdb.data_chunk_get_vector(raw, ci);
      if (d === null) {
        validity.fill(0);
        duckdb.vector_ensure_validity_writable(vec);
        duckdb.copy_data_to_vector_validity(vec, 0, validity.buffer as ArrayBuffer, 0, validity.byteLength);
        continue;
      }
      const nulls: Uint8Array | undefined = d.nullCount > 0 ? d.nullBitmap : undefined;
      if (c.type === 'utf8') {
        const offs: Int32Array = d.valueOffsets;
        const bytes: Uint8Array = d.values;
        for (let r = 0; r < len; r++) {
          const row = start + r;
          if (nulls && !((nulls[(d.offset + row) >> 3] >> ((d.offset + row) & 7)) & 1)) continue;
          duckdb.vector_assign_string_element_len(vec, r, utf8(bytes.subarray(offs[row], offs[row + 1])));
        }
      } else {
        const w = WIDTH[c.type];
        const vals = d.values as ArrayBufferView;
        duckdb.copy_data_to_vector(vec, 0, vals.buffer as ArrayBuffer, vals.byteOffset + start * w, len * w);
      }
      if (nulls) {
        // DuckDB validity: uint64 words, bit r = row r valid (same bit order as Arrow's bitmap)
        validity.fill(0);
        for (let r = 0; r < len; r++) {
          const bit = d.offset + start + r;
          if ((nulls[bit >> 3] >> (bit & 7)) & 1) validity[r >> 3] |= 1 << (r & 7);
        }
        duckdb.vector_ensure_validity_writable(vec);
        duckdb.copy_data_to_vector_validity(vec, 0, validity.buffer as ArrayBuffer, 0, validity.byteLength);
      }
    }
    duckdb.data_chunk_set_size(raw, len);
    appender.appendDataChunk(chunk);
  }
  return n;
}

/**
 * Load every capture table into `_<table>`. Throws CaptureError (exit 2) for a missing
 * table, a corrupt or zero-byte file or an unknown format version.
 */
export async function loadCapture(
  conn: DuckDBConnection,
  dir: string,
  manifest: Manifest,
  onProgress?: (p: LoadProgress) => void,
  skip: ReadonlySet<string> = new Set(),
  warn: (msg: string) => void = () => {},
): Promise<LoadResult> {
  const t0 = performance.now();
  const result: LoadResult = { rows: {}, damage: [], absent: [], ms: 0 };
  // Resolve and validate every file before creating anything (skipped tables too, then created
  // empty); a table added by a later minor version than the capture's, or no longer written in the capture's,
  // is created empty.
  const later = (def: TableDef) => notInFormat(def, manifest.format_version);
  const plan = TABLES.map((def) => {
    const files = later(def) ? [] : planFiles(dir, manifest, def, warn, result.absent);
    return { def, files: skip.has(def.name) ? [] : files };
  });
  const size = (f: string) => lstatSync(f).size;
  const totalBytes = plan.reduce((a, p) => a + p.files.reduce((b, f) => b + size(f), 0), 0);
  let doneBytes = 0;
  for (const { def, files } of plan) {
    await conn.run(rawTableDDL(def));
    const app = await conn.createAppender(rawName(def.name));
    const chunk = DuckDBDataChunk.create(def.columns.map((c) => DUCK_TYPE[c.type]));
    let rows = 0;
    const states: StreamState[] = [];
    try {
      for (const f of files) {
        // batch by batch: memory stays bounded by a batch, not a file
        const st: StreamState = { value: false };
        for (const b of iterStreamFile(f, st, def)) rows += appendBatch(app, chunk, def, b);
        if (st.value) states.push({ ...st, why: `${f}: ${st.why}` });
        doneBytes += size(f);
        onProgress?.({ table: def.name, rows, totalBytes, doneBytes });
      }
      app.flushSync();
    } finally {
      app.closeSync();
    }
    result.rows[def.name] = rows;
    const d = skip.has(def.name) || later(def) ? null : shortfall(manifest, def, rows, states);
    if (d) result.damage.push(d);
  }
  result.ms = performance.now() - t0;
  return result;
}
