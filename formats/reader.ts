/**
 * Reading a capture directory: manifest validation and torn-tolerant table
 * reads. Every reader of captures (analyze, export, compare, tests) goes
 * through here, so the rules live in one place:
 *  - an unknown format major version, a missing manifest or table, a corrupt
 *    or zero-byte file → CaptureError naming the file (exit 2);
 *  - a torn LAST batch (killed recorder) → every complete batch is returned
 *    and the file is reported in `torn`.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatchReader, type RecordBatch } from 'apache-arrow';
import { CaptureError } from './errors.js';
import { FORMAT_MAJOR, FORMAT_NAME, MANIFEST_FILE, SEGMENT_RE, type Manifest } from './schema.js';

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

function* chunks(fd: number, size: number, chunk: number): Generator<Uint8Array> {
  let pos = 0;
  while (pos < size) {
    const b = Buffer.allocUnsafe(Math.min(chunk, size - pos));
    const n = readSync(fd, b, 0, b.length, pos);
    if (n <= 0) break;
    pos += n;
    yield n === b.length ? b : b.subarray(0, n);
  }
}

/**
 * Iterate the complete batches of one stream file, reading it in chunks so
 * memory stays bounded by a batch, not a file. `torn.value` is set once the
 * iteration has finished if the file's last batch was incomplete.
 */
export function* iterStreamFile(path: string, torn: { value: boolean } = { value: false }, chunkBytes = 4 << 20): Generator<RecordBatch> {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new CaptureError('E_FILE_EMPTY', `${path}: zero-byte file (the recorder died before writing it); delete it or re-record`);
    const head = Buffer.alloc(8);
    readSync(fd, head, 0, 8, 0);
    if (size < 8 || head.readUInt32LE(0) !== CONTINUATION)
      throw new CaptureError('E_FILE_CORRUPT', `${path}: not an Arrow IPC stream (bad magic)`);
    const tail = Buffer.alloc(8);
    readSync(fd, tail, 0, 8, size - 8);
    const hasEos = tail.readUInt32LE(0) === CONTINUATION && tail.readUInt32LE(4) === 0;
    let reader: RecordBatchReader;
    try {
      reader = RecordBatchReader.from(chunks(fd, size, chunkBytes) as never) as RecordBatchReader;
      reader.open();
    } catch (e) {
      throw new CaptureError('E_FILE_CORRUPT', `${path}: unreadable Arrow schema (${(e as Error).message})`);
    }
    if (!reader.schema) throw new CaptureError('E_FILE_CORRUPT', `${path}: no Arrow schema in the stream`);
    const version = reader.schema.metadata.get('ktape.format_version');
    if (version && Number(version.split('.')[0]) !== FORMAT_MAJOR)
      throw new CaptureError('E_FORMAT_VERSION', `${path}: table format version ${version} is not supported (this ktape reads ${FORMAT_MAJOR}.x)`);
    for (;;) {
      let r: IteratorResult<RecordBatch>;
      try {
        r = reader.next() as IteratorResult<RecordBatch>;
      } catch {
        torn.value = true;
        return;
      }
      if (r.done) break;
      yield r.value;
    }
    // A stream that ends without its end-of-stream marker was cut short too.
    if (!hasEos) torn.value = true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Iterate all batches of a table across its segments, one batch in memory at
 * a time. Torn files are appended to `torn` as they are finished.
 */
export function* iterTable(dir: string, table: string, opts: { required?: boolean; torn?: string[] } = {}): Generator<RecordBatch> {
  const files = tableFiles(dir, table);
  if (files.length === 0 && (opts.required ?? true))
    throw new CaptureError('E_TABLE_MISSING', `${join(dir, table)}.*.arrows: table ${table} is missing from the capture`);
  for (const f of files) {
    const t = { value: false };
    yield* iterStreamFile(f, t);
    if (t.value) opts.torn?.push(f);
  }
}

/** Read all batches of a table across its segments (small tables; big ones: iterTable). */
export function readTable(dir: string, table: string, opts: { required?: boolean } = {}): ReadResult {
  const torn: string[] = [];
  const batches = [...iterTable(dir, table, { required: opts.required, torn })];
  return { batches, torn };
}
