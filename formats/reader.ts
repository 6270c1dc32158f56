/**
 * Reading a capture directory: manifest validation and torn-tolerant table
 * reads. Every reader of captures (analyze, export, compare, tests) goes
 * through here, so the rules live in one place:
 *  - an unknown format major version, a missing manifest or table, a corrupt
 *    or zero-byte file → CaptureError naming the file (exit 2);
 *  - a torn LAST batch (killed recorder) → every complete batch is returned
 *    and the file is reported in `torn`.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchReader, type RecordBatch } from 'apache-arrow';
import { CaptureError } from './errors.js';
import { FORMAT_MAJOR, FORMAT_NAME, MANIFEST_FILE, SEGMENT_RE, TABLES, type Manifest } from './schema.js';

export function readManifest(dir: string): Manifest {
  if (!existsSync(dir)) throw new CaptureError('E_CAPTURE_MISSING', `${dir}: no such capture directory`);
  if (!statSync(dir).isDirectory()) throw new CaptureError('E_CAPTURE_NOT_DIR', `${dir}: not a capture directory (expected the directory written by ktape record)`);
  const path = join(dir, MANIFEST_FILE);
  if (!existsSync(path)) throw new CaptureError('E_MANIFEST_MISSING', `${path}: missing; ${dir} is not a ktape capture`);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new CaptureError('E_MANIFEST_CORRUPT', `${path}: not valid JSON (${(e as Error).message})`);
  }
  if (!m || m.format !== FORMAT_NAME || typeof m.format_version !== 'string')
    throw new CaptureError('E_MANIFEST_CORRUPT', `${path}: not a ktape capture manifest (format field is ${JSON.stringify(m?.format)})`);
  const major = Number(m.format_version.split('.')[0]);
  if (major !== FORMAT_MAJOR)
    throw new CaptureError('E_FORMAT_VERSION', `${path}: capture format version ${m.format_version} is not supported (this ktape reads ${FORMAT_MAJOR}.x); use a matching ktape release`);
  return m;
}

/** Segment files of a table, in order. */
export function tableFiles(dir: string, table: string): string[] {
  const files: [number, string][] = [];
  for (const f of readdirSync(dir)) {
    const m = SEGMENT_RE.exec(f);
    if (m && m[1] === table) files.push([Number(m[2]), f]);
  }
  return files.sort((a, b) => a[0] - b[0]).map(([, f]) => join(dir, f));
}

export interface ReadResult {
  batches: RecordBatch[];
  /** files whose last batch was torn (complete batches before it are returned) */
  torn: string[];
}

const CONTINUATION = 0xffffffff;

/** Read every complete batch of one stream file. */
export function readStreamFile(path: string): { batches: RecordBatch[]; torn: boolean } {
  const bytes = readFileSync(path);
  if (bytes.length === 0) throw new CaptureError('E_FILE_EMPTY', `${path}: zero-byte file (the recorder died before writing it); delete it or re-record`);
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== CONTINUATION)
    throw new CaptureError('E_FILE_CORRUPT', `${path}: not an Arrow IPC stream (bad magic)`);
  const batches: RecordBatch[] = [];
  let torn = false;
  let reader: RecordBatchReader;
  try {
    reader = RecordBatchReader.from(bytes);
    reader.open();
  } catch (e) {
    throw new CaptureError('E_FILE_CORRUPT', `${path}: unreadable Arrow schema (${(e as Error).message})`);
  }
  const version = reader.schema?.metadata.get('ktape.format_version');
  if (version && Number(version.split('.')[0]) !== FORMAT_MAJOR)
    throw new CaptureError('E_FORMAT_VERSION', `${path}: table format version ${version} is not supported (this ktape reads ${FORMAT_MAJOR}.x)`);
  try {
    for (;;) {
      const r = reader.next() as IteratorResult<RecordBatch>;
      if (r.done) break;
      batches.push(r.value);
    }
  } catch {
    torn = true;
  }
  // A stream that ends without its end-of-stream marker was cut short too.
  if (!torn && !(bytes.length >= 8 && bytes.readUInt32LE(bytes.length - 8) === CONTINUATION && bytes.readUInt32LE(bytes.length - 4) === 0))
    torn = true;
  return { batches, torn };
}

/** Read all batches of a table across its segments. */
export function readTable(dir: string, table: string, opts: { required?: boolean } = {}): ReadResult {
  const files = tableFiles(dir, table);
  if (files.length === 0) {
    if (opts.required ?? true)
      throw new CaptureError('E_TABLE_MISSING', `${join(dir, table)}.*.arrows: table ${table} is missing from the capture`);
    return { batches: [], torn: [] };
  }
  const out: ReadResult = { batches: [], torn: [] };
  for (const f of files) {
    const r = readStreamFile(f);
    out.batches.push(...r.batches);
    if (r.torn) out.torn.push(f);
  }
  return out;
}

/** Tables every capture must contain (event tables of unrecorded groups are still written, empty). */
export const REQUIRED_TABLES = TABLES.map((t) => t.name);
