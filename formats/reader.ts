/**
 * Reading a capture directory: manifest validation and torn-tolerant table
 * reads. Every reader of captures (analyze, export, compare, tests) goes
 * through here, so the rules live in one place. A capture is untrusted input:
 *  - only regular files inside the capture directory are read: a symlink, a
 *    FIFO, a device or a directory in place of a file → CaptureError naming it
 *    (exit 2), and nothing is opened in a way that can block;
 *  - the manifest is checked against its schema (formats/manifest.ts);
 *  - every Arrow message is framed, bounds-checked and validated against the
 *    table's schema (formats/ipc.ts) before any of it is decoded;
 *  - an unknown format major version, a missing manifest or table, a corrupt
 *    or zero-byte file → CaptureError naming the file (exit 2);
 *  - a torn or corrupt batch (killed recorder, full disk, damaged copy) →
 *    every complete batch before it is returned and the file is reported.
 */
import { closeSync, constants, fstatSync, openSync, readSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { RecordBatch } from 'apache-arrow';
import { CaptureError } from './errors.js';
import { IpcError, LIMITS, decodeBatch, parseMessage, parseSchema, type IpcSchema, type Message } from './ipc.js';
import { parseManifest } from './manifest.js';
import { FORMAT_MAJOR, MANIFEST_FILE, SEGMENT_RE, TABLE_BY_NAME, type Manifest, type TableDef } from './schema.js';

const errnoText: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
  ELOOP: 'is a symbolic link; only regular files inside the capture are read',
  ENXIO: 'is a socket or FIFO, not a regular file',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a path component is not a directory',
  EMFILE: 'too many open files',
};

/**
 * Open a capture file for reading: never through a symlink (O_NOFOLLOW), never blocking on a FIFO
 * (O_NONBLOCK), and only if it is a regular file. Returns the fd and its size.
 */
export function openCaptureFile(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new CaptureError(code === 'ENOENT' ? 'E_FILE_MISSING' : 'E_FILE_UNREADABLE', `${path}: ${errnoText[code] ?? `cannot open it (${code})`}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    const what = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device';
    throw new CaptureError('E_FILE_UNREADABLE', `${path}: is ${what}, not a regular file; a capture holds only regular files`);
  }
  return { fd, size: st.size };
}

function readAt(fd: number, pos: number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  let got = 0;
  while (got < n) {
    const k = readSync(fd, b, got, n - got, pos + got);
    if (k <= 0) break;
    got += k;
  }
  return got === n ? b : b.subarray(0, got);
}

const MANIFEST_MAX_BYTES = 16 << 20;

export function readManifest(dir: string): Manifest {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(dir); // the directory itself may be a link the user chose; the files in it may not
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CaptureError('E_CAPTURE_MISSING', `${dir}: no such capture directory`);
    throw new CaptureError('E_CAPTURE_UNREADABLE', `${dir}: ${errnoText[code ?? ''] ?? `cannot read it (${code})`}`);
  }
  if (!st.isDirectory()) throw new CaptureError('E_CAPTURE_NOT_DIR', `${dir}: not a capture directory (expected the directory written by ktape record)`);
  const path = join(dir, MANIFEST_FILE);
  let text: string;
  try {
    const { fd, size } = openCaptureFile(path);
    try {
      if (size > MANIFEST_MAX_BYTES)
        throw new CaptureError('E_MANIFEST_CORRUPT', `${path}: ${size} bytes; a manifest is at most ${MANIFEST_MAX_BYTES >> 20} MiB`);
      text = Buffer.from(readAt(fd, 0, size)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (e instanceof CaptureError && e.code === 'E_FILE_MISSING')
      throw new CaptureError('E_MANIFEST_MISSING', `${path}: missing; ${dir} is not a ktape capture`);
    throw e;
  }
  return parseManifest(path, text);
}

/** Segment files of a table found in the directory, in order. */
export function tableFiles(dir: string, table: string): string[] {
  const files: [number, string][] = [];
  for (const f of readdirSync(dir)) {
    const m = SEGMENT_RE.exec(f);
    if (m && m[1] === table) files.push([Number(m[2]), f]);
  }
  return files.sort((a, b) => a[0] - b[0]).map(([, f]) => join(dir, f));
}

/**
 * A table of a family the capture did not record (`options.events`): since format 1.6 the recorder
 * makes its file only if a row reaches it, so having none is no damage; readers load it empty.
 */
export function unrecordedTable(manifest: Manifest, table: string): boolean {
  const group = TABLE_BY_NAME.get(table)?.group;
  const events: string[] | undefined = manifest.options?.events;
  return group !== undefined && Array.isArray(events) && !events.includes(group);
}

/**
 * The files of a table: the ones the manifest lists when the capture is complete (a listed file that
 * is gone is an error; a file it does not list is ignored, with a warning), else every segment file
 * found (a recorder killed before writing the final manifest lists none).
 */
export function captureTableFiles(dir: string, manifest: Manifest, table: string, warn?: (msg: string) => void): string[] {
  const found = tableFiles(dir, table);
  const listed = manifest.complete ? manifest.tables?.[table]?.files : undefined;
  if (!listed) return found;
  const out = listed.map((f) => join(dir, basename(f)));
  for (const p of out)
    if (!found.includes(p))
      throw new CaptureError('E_TABLE_MISSING', `${p}: missing, but the manifest lists it for table ${table}; restore the file or re-record`);
  const extra = found.filter((f) => !out.includes(f));
  if (extra.length)
    warn?.(
      `${extra.join(', ')}: not listed in the manifest for table ${table}; ignored (the manifest lists ${listed.length} file${listed.length === 1 ? '' : 's'})`,
    );
  return out;
}

export interface ReadResult {
  batches: RecordBatch[];
  /** files whose last batch was torn (complete batches before it are returned) */
  torn: string[];
}

/**
 * How a stream file ended. `value`: it was cut short inside a message or a message is damaged, so rows
 * may be missing; `why` says where; `lostRows` is the damaged batch's row count when its header could
 * be read (0: nothing lost). `unfinished`: it stops at a clean message boundary without the
 * end-of-stream marker (the recorder was killed between batches): nothing is missing from it.
 */
export interface StreamState {
  value: boolean;
  why?: string;
  lostRows?: number;
  unfinished?: boolean;
}

const CONTINUATION = 0xffffffff;

/** Does the file's schema fit the table? Columns are matched by name (minor versions add nullable ones). */
function checkSchema(path: string, s: IpcSchema, def: TableDef): void {
  const version = s.metadata.get('ktape.format_version');
  if (version && Number(version.split('.')[0]) !== FORMAT_MAJOR)
    throw new CaptureError('E_FORMAT_VERSION', `${path}: table format version ${version} is not supported (this ktape reads ${FORMAT_MAJOR}.x)`);
  const table = s.metadata.get('ktape.table');
  if (table !== undefined && table !== def.name) throw new CaptureError('E_FILE_CORRUPT', `${path}: holds table ${JSON.stringify(table)}, not ${def.name}`);
  for (const c of def.columns) {
    const f = s.fields.find((x) => x.name === c.name);
    if (!f && !c.nullable) throw new CaptureError('E_FILE_CORRUPT', `${path}: not a ${def.name} table (no column ${c.name})`);
    if (f && f.type !== c.type) throw new CaptureError('E_FILE_CORRUPT', `${path}: column ${c.name} is ${f.type}, table ${def.name} needs ${c.type}`);
  }
}

type Next = { msg: Message; body: Uint8Array; end: number } | { eos: true } | { torn: string; rows?: number } | { corrupt: string };

/** the row count in a RecordBatch header, if it can be read */
function headerRows(m: Message): number | undefined {
  if (m.header !== 3) return undefined;
  try {
    return Math.min(LIMITS.rows, Math.max(0, m.fb.scalar(m.table, 0, m.fb.i64, 0)));
  } catch {
    return undefined;
  }
}

/** Frame and check the message at `pos`: prefix, metadata flatbuffer, body inside the file. */
function nextMessage(fd: number, size: number, pos: number): Next {
  if (pos === size) return { torn: 'no end-of-stream marker', rows: 0 };
  if (pos + 8 > size) return { torn: `cut inside the message prefix at byte ${pos}` };
  const pre = Buffer.from(readAt(fd, pos, 8));
  if (pre.readUInt32LE(0) !== CONTINUATION) return { corrupt: `no message at byte ${pos}` };
  const len = pre.readInt32LE(4);
  if (len === 0) return { eos: true };
  if (len < 0 || len > LIMITS.metadataBytes) return { corrupt: `message at byte ${pos} claims ${len} bytes of metadata` };
  if (pos + 8 + len > size) return { torn: `cut inside the message header at byte ${pos}` };
  let msg: Message;
  try {
    msg = parseMessage(readAt(fd, pos + 8, len));
  } catch (e) {
    return { corrupt: `message at byte ${pos}: ${(e as Error).message}` };
  }
  const end = pos + 8 + len + msg.bodyLength;
  if (end > size) return { torn: `batch at byte ${pos} is cut short`, rows: headerRows(msg) };
  return { msg, body: readAt(fd, pos + 8 + len, msg.bodyLength), end };
}

/** note damage in `state`: `rows` lost (undefined: unknown, at least one) */
function damaged(state: StreamState, why: string, rows: number | undefined): void {
  const known = state.value ? state.lostRows : 0;
  state.value = true;
  state.why = state.why ? `${state.why}; ${why}` : why;
  state.lostRows = rows === undefined || known === undefined ? undefined : known + rows;
}

/**
 * The batches after the schema. A batch whose layout does not check out is skipped (its rows are
 * counted as lost) and reading goes on after it, since its frame was sound; a frame that is cut short
 * or damaged ends the file.
 */
function* batches(fd: number, size: number, start: number, schema: IpcSchema, state: StreamState, def?: TableDef): Generator<RecordBatch> {
  const required = def ? def.columns.filter((c) => !c.nullable).map((c) => c.name) : [];
  for (let pos = start, k = 0; ; k++) {
    const n = nextMessage(fd, size, pos);
    if ('eos' in n) return;
    if ('torn' in n && n.rows === 0) {
      state.unfinished = true;
      return;
    }
    if ('torn' in n) return damaged(state, n.torn, n.rows);
    if ('corrupt' in n) return damaged(state, n.corrupt, undefined);
    pos = n.end;
    // ktape before 0.2 wrote an empty table as two Schema messages (pyarrow refuses it; nothing is lost)
    if (n.msg.header === 1 && n.msg.bodyLength === 0) continue;
    let batch: RecordBatch;
    try {
      batch = decodeBatch(n.msg, schema, n.body);
    } catch (e) {
      if (!(e instanceof IpcError)) throw e;
      damaged(state, `batch ${k}: ${e.message}`, headerRows(n.msg));
      continue;
    }
    const nulls = required.find((c) => (batch.getChild(c)?.nullCount ?? 0) > 0);
    if (nulls) {
      damaged(state, `batch ${k}: column ${nulls} holds nulls, which table ${def!.name} does not allow`, batch.numRows);
      continue;
    }
    yield batch;
  }
}

/**
 * Iterate the complete batches of one stream file, one message in memory at a time. `state.value` is
 * set once the iteration has finished if the file was cut short or a batch is damaged (the batches
 * before it are yielded). A damaged schema, or one that does not fit `def`, throws CaptureError.
 */
export function* iterStreamFile(path: string, state: StreamState = { value: false }, def?: TableDef): Generator<RecordBatch> {
  const { fd, size } = openCaptureFile(path);
  try {
    if (size === 0) throw new CaptureError('E_FILE_EMPTY', `${path}: zero-byte file (the recorder died before writing it); delete it or re-record`);
    const first = nextMessage(fd, size, 0);
    if ('corrupt' in first) throw new CaptureError('E_FILE_CORRUPT', `${path}: not a readable Arrow IPC stream (${first.corrupt})`);
    if ('eos' in first) throw new CaptureError('E_FILE_CORRUPT', `${path}: an Arrow IPC stream without a schema`);
    if ('torn' in first) {
      Object.assign(state, { value: true, why: 'cut inside its schema' });
      return;
    }
    let schema: IpcSchema;
    try {
      schema = parseSchema(first.msg);
    } catch (e) {
      throw new CaptureError('E_FILE_CORRUPT', `${path}: unreadable Arrow schema (${(e as Error).message})`);
    }
    const d = def ?? TABLE_BY_NAME.get(SEGMENT_RE.exec(basename(path))?.[1] ?? '');
    if (d) checkSchema(path, schema, d);
    yield* batches(fd, size, first.end, schema, state, d);
  } finally {
    closeSync(fd);
  }
}

/**
 * Iterate all batches of a table across its segments, one batch in memory at
 * a time. Torn files are appended to `torn` as they are finished.
 */
export function* iterTable(dir: string, table: string, opts: { required?: boolean; torn?: string[]; manifest?: Manifest } = {}): Generator<RecordBatch> {
  const files = opts.manifest ? captureTableFiles(dir, opts.manifest, table) : tableFiles(dir, table);
  if (files.length === 0 && (opts.required ?? true) && !(opts.manifest && unrecordedTable(opts.manifest, table)))
    throw new CaptureError('E_TABLE_MISSING', `${join(dir, table)}.*.arrows: table ${table} is missing from the capture`);
  for (const f of files) {
    const t: StreamState = { value: false };
    yield* iterStreamFile(f, t);
    if (t.value) opts.torn?.push(f);
  }
}

/** Read all batches of a table across its segments (small tables; big ones: iterTable). */
export function readTable(dir: string, table: string, opts: { required?: boolean; manifest?: Manifest } = {}): ReadResult {
  const torn: string[] = [];
  const batches = [...iterTable(dir, table, { required: opts.required, torn, manifest: opts.manifest })];
  return { batches, torn };
}
