/**
 * Streaming reads of the analyzer's views for the exporters: one DuckDB data chunk (2048 rows) at a time.
 *
 * Fixed-width columns are read as typed arrays over the chunk's own vector memory (the C API's
 * duckdb_vector_get_data, through @duckdb/node-bindings): no value is converted or copied. The object API's
 * getItem() costs a call, a validity test done with bigint arithmetic and, for BIGINT, a bigint per value,
 * which at millions of events was most of an export. So the SQL casts each value to what the encoder
 * wants (DOUBLE timestamps, 32-bit integers; a 64-bit field stays BIGINT/UBIGINT and is read as two 32-bit
 * halves), and JS only indexes. Strings keep the object API, behind a small cache (comms repeat).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import duckdb from '@duckdb/node-bindings';
import { DuckDBEnumType, DuckDBTypeId, type DuckDBDataChunk, type DuckDBType, type DuckDBValue, type DuckDBVector } from '@duckdb/node-api';
import type { CaptureDb } from '../analyze/db.js';
import { isDataError } from '../analyze/db.js';
import { CaptureError, KtapeError } from '../formats/errors.js';

/** a column of the current chunk, value by value (any type; lists, strings) */
export interface Col {
  getItem(i: number): any;
}

/** typed array views by DuckDB type (the vector's native layout) */
const NUMERIC: Partial<Record<DuckDBTypeId, [new (b: ArrayBuffer, off: number, n: number) => ArrayLike<number>, number]>> = {
  [DuckDBTypeId.BOOLEAN]: [Uint8Array, 1],
  [DuckDBTypeId.TINYINT]: [Int8Array, 1],
  [DuckDBTypeId.UTINYINT]: [Uint8Array, 1],
  [DuckDBTypeId.SMALLINT]: [Int16Array, 2],
  [DuckDBTypeId.USMALLINT]: [Uint16Array, 2],
  [DuckDBTypeId.INTEGER]: [Int32Array, 4],
  [DuckDBTypeId.UINTEGER]: [Uint32Array, 4],
  [DuckDBTypeId.DOUBLE]: [Float64Array, 8],
};

const bug = (msg: string) => new KtapeError('E_EXPORT_COLUMN', `export: ${msg} (a bug in ktape; please report it)`, 70);

/**
 * A VARCHAR column read through a short cache of the strings last seen: a DuckDB string of up to 12 bytes
 * is inlined in its 16-byte slot (duckdb_string_t), so a repeat is recognised by comparing four words.
 */
export class Strings {
  private readonly keys = new Uint32Array(4 * 8);
  private readonly vals: (string | null)[] = new Array(8).fill(null);
  private filled = 0;
  private next = 0;
  private words!: Uint32Array;
  private vec!: DuckDBVector;
  private valid!: Uint8Array | null;
  /** @internal */
  reset(words: Uint32Array, vec: DuckDBVector, valid: Uint8Array | null): void {
    this.words = words;
    this.vec = vec;
    this.valid = valid;
  }
  get(i: number): string | null {
    if (this.valid !== null && !((this.valid[i >> 3] >> (i & 7)) & 1)) return null;
    const w = this.words,
      o = i * 4,
      len = w[o];
    if (len > 12) return this.vec.getItem(i) as string;
    const a = w[o + 1],
      b = w[o + 2],
      c = w[o + 3],
      k = this.keys;
    for (let e = 0; e < this.filled; e++) {
      const q = e * 4;
      if (k[q] === len && k[q + 1] === a && k[q + 2] === b && k[q + 3] === c) return this.vals[e];
    }
    const s = this.vec.getItem(i) as string;
    const e = this.next;
    this.next = (e + 1) & 7;
    if (this.filled < 8) this.filled++;
    k[e * 4] = len;
    k[e * 4 + 1] = a;
    k[e * 4 + 2] = b;
    k[e * 4 + 3] = c;
    this.vals[e] = s;
    return s;
  }
}

export class Scan {
  rows = 0;
  private chunk: DuckDBDataChunk | null = null;
  private readonly strings = new Map<string, Strings>();
  private readonly types: DuckDBTypeId[];
  constructor(
    private readonly index: Map<string, number>,
    private readonly columnTypes: DuckDBType[],
  ) {
    this.types = columnTypes.map((t) => t.typeId);
  }
  /** @internal */
  set(chunk: DuckDBDataChunk): void {
    this.chunk = chunk;
    this.rows = chunk.rowCount;
  }
  private at(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw bug(`no column ${name} in an export query`);
    return i;
  }
  private data(i: number, bytes: number): Uint8Array {
    return duckdb.vector_get_data(duckdb.data_chunk_get_vector(this.chunk!.chunk, i), bytes);
  }
  /** the named column of the current chunk, value by value */
  col(name: string): Col {
    return this.chunk!.getColumnVector(this.at(name));
  }
  /** the current chunk's rows as objects of the named columns: for families with few rows (task events, signals), where clarity wins */
  objects(names: readonly string[]): Record<string, any>[] {
    const cols = names.map((n) => this.col(n));
    const out: Record<string, any>[] = [];
    for (let i = 0; i < this.rows; i++) {
      const r: Record<string, any> = {};
      names.forEach((n, k) => {
        r[n] = cols[k].getItem(i);
      });
      out.push(r);
    }
    return out;
  }
  /** a BOOLEAN, integer (up to 32 bits) or DOUBLE column as numbers (a NULL row holds an arbitrary value: see valid()) */
  num(name: string): ArrayLike<number> {
    const i = this.at(name);
    const t = NUMERIC[this.types[i]];
    if (!t) throw bug(`column ${name} is not a 32-bit integer or DOUBLE (cast it in the SQL)`);
    const d = this.data(i, this.rows * t[1]);
    return new t[0](d.buffer as ArrayBuffer, d.byteOffset, this.rows);
  }
  /** a BIGINT/UBIGINT column as 32-bit halves: row r is lo = [2r], hi = [2r + 1] (little-endian, as DuckDB stores it) */
  halves(name: string): Uint32Array {
    const i = this.at(name);
    if (this.types[i] !== DuckDBTypeId.BIGINT && this.types[i] !== DuckDBTypeId.UBIGINT) throw bug(`column ${name} is not BIGINT/UBIGINT`);
    const d = this.data(i, this.rows * 8);
    return new Uint32Array(d.buffer as ArrayBuffer, d.byteOffset, this.rows * 2);
  }
  /** the validity bitmap of a column (bit r of byte r >> 3 set = row r not NULL), or null when no row is NULL */
  valid(name: string): Uint8Array | null {
    const v = duckdb.vector_get_validity(duckdb.data_chunk_get_vector(this.chunk!.chunk, this.at(name)), Math.ceil(this.rows / 64) * 8);
    return v?.byteLength ? v : null;
  }
  /**
   * An ENUM column: its values' indexes (native, as num() reads them) and the enum's members. A column of
   * few distinct strings (thread names) cast to an ENUM in SQL costs JS no string work at all per row.
   */
  dict(name: string): { codes: ArrayLike<number>; values: readonly string[] } {
    const i = this.at(name);
    const t = this.columnTypes[i];
    if (!(t instanceof DuckDBEnumType)) throw bug(`column ${name} is not an ENUM`);
    const [Arr, width] = NUMERIC[t.internalTypeId]!;
    const d = this.data(i, this.rows * width);
    return { codes: new Arr(d.buffer as ArrayBuffer, d.byteOffset, this.rows), values: t.values };
  }
  /** a VARCHAR column through a cache of its recent values */
  str(name: string): Strings {
    const i = this.at(name);
    if (this.types[i] !== DuckDBTypeId.VARCHAR) throw bug(`column ${name} is not VARCHAR`);
    let s = this.strings.get(name);
    if (!s) this.strings.set(name, (s = new Strings()));
    const d = this.data(i, this.rows * 16);
    s.reset(new Uint32Array(d.buffer as ArrayBuffer, d.byteOffset, this.rows * 4), this.chunk!.getColumnVector(i), this.valid(name));
    return s;
  }
}

/** test bit i of a validity bitmap from Scan.valid() (null: every row valid) */
export const isValid = (v: Uint8Array | null, i: number): boolean => v === null || ((v[i >> 3] >> (i & 7)) & 1) === 1;

function wrap(e: unknown): KtapeError {
  if (e instanceof KtapeError) return e;
  const msg = ((e as Error)?.message ?? String(e)).split('\n').filter(Boolean).slice(0, 2).join(' ');
  if (isDataError(e)) return new CaptureError('E_CAPTURE_VALUES', `export: the capture holds values out of range, so it is damaged (${msg.slice(0, 200)})`);
  return new KtapeError('E_EXPORT_QUERY', `export: ${msg} (a bug in ktape's export SQL; please report it)`, 70);
}

/**
 * A young-generation collection every RECLAIM_CHUNKS chunks. A result chunk's memory is DuckDB's (outside
 * its memory limit) and is freed only by the finalizer of its JS wrapper; the encoders allocate almost
 * nothing on the JS heap, so without this no collection runs during a scan and every chunk of it stays
 * allocated (about 150 MB per 2M sys_enter rows). A minor GC of a small young generation takes well under a
 * millisecond. Node exposes gc() only behind --expose-gc, which the flag API turns on for new contexts.
 */
const RECLAIM_CHUNKS = 32;
let minorGc: (() => void) | null | undefined;
function reclaim(): void {
  if (minorGc === undefined) {
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc = vm.runInNewContext('gc') as (o: { type: 'minor' }) => void;
      minorGc = () => gc({ type: 'minor' });
    } catch {
      minorGc = null;
    }
  }
  minorGc?.();
}

/**
 * Run `sql` and hand every chunk of its result to onChunk, in result order. A query without ORDER BY
 * returns rows in the order the tables hold them (DuckDB's preserve_insertion_order, on by default), which
 * for a raw event table is the recorder's order.
 */
export async function scan(cap: CaptureDb, sql: string, onChunk: (s: Scan) => void, params?: Record<string, DuckDBValue>): Promise<void> {
  try {
    const result = await cap.conn.stream(sql, params);
    const index = new Map<string, number>();
    result.columnNames().forEach((n, i) => {
      index.set(n, i);
    });
    const s = new Scan(index, result.columnTypes());
    // one chunk ahead: DuckDB computes the next chunk on its own thread while this one is encoded
    let next = result.fetchChunk();
    for (let n = 1; ; n++) {
      const chunk = await next;
      if (!chunk || chunk.rowCount === 0) break;
      next = result.fetchChunk();
      s.set(chunk);
      onChunk(s);
      if (n % RECLAIM_CHUNKS === 0) reclaim();
    }
  } catch (e) {
    throw wrap(e);
  }
}

/** Run a script of statements (export SQL files): DuckDB takes one statement per prepare. */
export async function runScript(cap: CaptureDb, sql: string, where: string): Promise<void> {
  const stmts = await cap.conn.extractStatements(sql);
  for (let i = 0; i < stmts.count; i++) {
    try {
      await (await stmts.prepare(i)).run();
    } catch (e) {
      throw new KtapeError(
        'E_SQL_MODULE',
        `creating export views from ${where}: ${(e as Error).message.split('\n')[0]} (a bug in ktape's SQL; please report it)`,
        70,
      );
    }
  }
}
