/**
 * `ktape collect`: receives captures from many recorders (ship/PROTOCOL.md) and writes each, per host and
 * recording, as the capture directory `ktape record` writes (DIR/HOST/RECORDING/, 0700, files 0600, never
 * through a link). A message is acknowledged only once it is on disk (fsync). The state is the files
 * themselves: at the first request for a file after a (re)start its complete messages are counted, and a
 * torn tail (a collector killed in the middle of an append) is cut off, so nothing acked is ever lost and
 * nothing is stored twice. Requests are handled one at a time between the reads of their bodies (Node's
 * event loop; the disk writes are synchronous), so no two requests interleave on a file.
 */
import { type IncomingMessage, type ServerResponse, createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import { closeSync, constants, fsyncSync, ftruncateSync, fstatSync, lstatSync, mkdirSync, readdirSync, chmodSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { IpcError, Header, parseSchema } from '../formats/ipc.js';
import { parseManifest } from '../formats/manifest.js';
import { readManifest } from '../formats/reader.js';
import { MANIFEST_FILE, SEGMENT_RE } from '../formats/schema.js';
import { CaptureError } from '../formats/errors.js';
import { replaceFile } from '../record/outdir.js';
import { API, DIGEST_HEADER, HOST_RE, RECORDING_RE, SEQ_HEADER, digestOf, frameHeader, isCaptureFile, scanFrames } from './protocol.js';
import { bearerMatches } from './token.js';

export interface CollectorOptions {
  host: string;
  port: number;
  dir: string;
  token: string;
  tls?: { cert: Buffer; key: Buffer };
  /** the largest request body accepted (one Arrow message, or a manifest) */
  maxBodyBytes: number;
  log: (line: string) => void;
}

/** A refusal: HTTP status and a one-line reason (the JSON body's `error`), plus fields for the client. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** One table segment file being received: its fd, the number of messages and bytes stored, ended by EOS. */
interface FileState {
  fd: number;
  next: number;
  size: number;
  ended: boolean;
}

const MANIFEST_MAX_BYTES = 16 << 20;
const euid = () => process.geteuid?.() ?? 0;

/** Make (or check) a private directory of the collector: a real directory (not a link) we own, 0700. */
function privateDir(path: string): void {
  try {
    mkdirSync(path, { mode: 0o700 });
    chmodSync(path, 0o700);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  const st = lstatSync(path);
  if (!st.isDirectory() || st.uid !== euid()) throw new Refusal(500, `${path}: not a directory of the collector's (a link, a file, or another owner's)`);
}

function fsyncDir(path: string): void {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** pwrite all of `b` at `pos` */
function writeAt(fd: number, b: Uint8Array, pos: number): void {
  for (let off = 0; off < b.byteLength; ) {
    const n = writeSync(fd, b, off, b.byteLength - off, pos + off);
    if (n <= 0) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
    off += n;
  }
}

export class Collector {
  private readonly files = new Map<string, FileState>();
  /** recording directories whose complete manifest is stored */
  private readonly complete = new Map<string, boolean>();
  private server: ReturnType<typeof createHttp> | null = null;

  constructor(readonly o: CollectorOptions) {}

  /** Listen; resolves with the bound address (port 0: the kernel's choice). */
  start(): Promise<AddressInfo> {
    privateDir(this.o.dir);
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((e) => this.reply(req, res, e));
    };
    const srv = this.o.tls ? createHttps({ cert: this.o.tls.cert, key: this.o.tls.key }, handler) : createHttp(handler);
    srv.requestTimeout = 120_000;
    srv.headersTimeout = 30_000;
    srv.maxHeadersCount = 64;
    this.server = srv;
    return new Promise((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(this.o.port, this.o.host, () => resolve(srv.address() as AddressInfo));
    });
  }

  /** Stop listening and close every file. */
  stop(): Promise<void> {
    for (const f of this.files.values()) if (f.fd >= 0) closeSync(f.fd);
    this.files.clear();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private reply(req: IncomingMessage, res: ServerResponse, e: unknown): void {
    const r = e instanceof Refusal ? e : new Refusal(500, `internal error: ${(e as Error)?.message ?? e}`);
    if (r.status !== 409 || r.extra.expected === undefined)
      this.o.log(`refused ${req.method} ${String(req.url).slice(0, 200)} from ${req.socket.remoteAddress}: ${r.status} ${r.message}`);
    if (res.headersSent) return void res.destroy();
    // a body not read (401, 413) is not drained: the connection closes
    res.writeHead(r.status, { 'content-type': 'application/json', connection: req.complete ? 'keep-alive' : 'close' });
    res.end(`${JSON.stringify({ error: r.message, ...r.extra })}\n`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!bearerMatches(req.headers.authorization, this.o.token)) throw new Refusal(401, 'missing or wrong bearer token');
    const url = String(req.url);
    if (req.method === 'GET' && (url === `${API}/` || url === API)) return this.ok(res, { protocol: 1 });
    const parts = url.split('/');
    if ((parts.length !== 5 && parts.length !== 4) || `/${parts[1]}` !== API) throw new Refusal(404, 'not a capture file path (/v1/HOST/RECORDING/FILE)');
    const [, , host, recording, file] = parts;
    if (!HOST_RE.test(host)) throw new Refusal(400, 'host name must match [A-Za-z0-9][A-Za-z0-9._-]*');
    if (!RECORDING_RE.test(recording)) throw new Refusal(400, 'recording id must match [A-Za-z0-9][A-Za-z0-9._-]*');
    if (file === undefined && req.method === 'GET') return this.ok(res, this.status(join(this.o.dir, host, recording)));
    if (file === undefined) throw new Refusal(405, 'only GET reads a recording');
    if (!isCaptureFile(file)) throw new Refusal(400, 'file must be manifest.json or TABLE.NNNN.arrows');
    if (req.method !== 'PUT') throw new Refusal(405, 'only PUT writes a capture file');
    const body = await this.body(req, file === MANIFEST_FILE ? Math.min(MANIFEST_MAX_BYTES, this.o.maxBodyBytes) : this.o.maxBodyBytes);
    if (req.headers[DIGEST_HEADER] !== digestOf(body)) throw new Refusal(422, 'body does not match its Content-Digest (sha-256); resend it');
    const recDir = this.recordingDir(host, recording);
    if (file === MANIFEST_FILE) return this.ok(res, this.putManifest(recDir, body));
    const seq = Number(req.headers[SEQ_HEADER]);
    if (!/^\d{1,12}$/.test(String(req.headers[SEQ_HEADER]))) throw new Refusal(400, `${SEQ_HEADER} header must be a message number`);
    this.ok(res, this.putMessage(recDir, file, seq, body));
  }

  private ok(res: ServerResponse, v: Record<string, unknown>): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(v)}\n`);
  }

  /** The request body, refused past `limit` bytes (Content-Length checked before reading any). */
  private body(req: IncomingMessage, limit: number): Promise<Buffer> {
    const declared = req.headers['content-length'];
    if (declared === undefined) throw new Refusal(411, 'Content-Length is required');
    if (!/^\d{1,15}$/.test(declared) || Number(declared) > limit) throw new Refusal(413, `body of ${declared} bytes; the limit is ${limit} bytes`);
    return new Promise((resolve, reject) => {
      const parts: Buffer[] = [];
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.byteLength;
        if (n > limit) {
          req.destroy();
          reject(new Refusal(413, `body over ${limit} bytes`));
        } else parts.push(c);
      });
      req.on('end', () => (n === Number(declared) ? resolve(Buffer.concat(parts, n)) : reject(new Refusal(400, 'body shorter than its Content-Length'))));
      req.on('error', reject);
    });
  }

  private recordingDir(host: string, recording: string): string {
    const h = join(this.o.dir, host);
    privateDir(h);
    const d = join(h, recording);
    privateDir(d);
    return d;
  }

  /** The state of a segment file, counted from the disk at first use (a torn tail is cut off). */
  private fileState(recDir: string, file: string, create = true): FileState | null {
    const path = join(recDir, file);
    const have = this.files.get(path);
    if (have) return have;
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Refusal(500, `${file}: cannot open it (${(e as NodeJS.ErrnoException).code})`);
      if (!create) return null;
      fd = openSync(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      fsyncDir(recDir);
    }
    if (!fstatSync(fd).isFile()) {
      closeSync(fd);
      throw new Refusal(500, `${file}: not a regular file at the collector`);
    }
    const frames = scanFrames(fd, 0);
    const last = frames.at(-1);
    const st: FileState = { fd, next: frames.length, size: last ? last.offset + last.length : 0, ended: !!last?.eos };
    if (fstatSync(fd).size > st.size) {
      ftruncateSync(fd, st.size);
      fsyncSync(fd);
    }
    this.files.set(path, st);
    return st;
  }

  /** Check that `body` is one whole Arrow message fit to be message `seq` of table segment `file`. */
  private checkMessage(file: string, seq: number, body: Buffer): boolean {
    let f: ReturnType<typeof frameHeader>;
    try {
      f = frameHeader(body, 0);
      if (f && seq === 0 && !f.eos) {
        const table = parseSchema(f.msg!).metadata.get('ktape.table');
        if (table !== SEGMENT_RE.exec(file)![1]) throw new IpcError(`message 0 is the schema of table ${JSON.stringify(table)}, not of ${file}`);
      }
    } catch (e) {
      if (e instanceof IpcError) throw new Refusal(400, `not an Arrow IPC message: ${e.message}`);
      throw new Refusal(400, `not an Arrow IPC message: ${(e as Error).message}`);
    }
    if (!f || f.length !== body.byteLength) throw new Refusal(400, 'the body must be exactly one Arrow IPC message');
    if (seq === 0 && (f.eos || f.msg!.header !== Header.Schema)) throw new Refusal(400, 'message 0 of a table file must be its schema');
    if (seq > 0 && !f.eos && f.msg!.header !== Header.RecordBatch) throw new Refusal(400, `message ${seq} must be a record batch or the end of the stream`);
    return f.eos;
  }

  /** Store message `seq` of a segment file: once, in order, durable before the ack. */
  private putMessage(recDir: string, file: string, seq: number, body: Buffer): Record<string, unknown> {
    const st = this.fileState(recDir, file)!;
    if (seq < st.next) return { stored: false, next: st.next }; // a resend of what is on disk: acked again
    if (seq > st.next) throw new Refusal(409, `message ${seq} of ${file} is ahead of the next expected one, ${st.next}`, { expected: st.next });
    if (st.ended) throw new Refusal(409, `${file} has ended (end-of-stream stored)`, { expected: st.next });
    if (this.isComplete(recDir)) throw new Refusal(409, 'the recording is complete (its final manifest is stored)', { expected: st.next });
    const eos = this.checkMessage(file, seq, body);
    try {
      writeAt(st.fd, body, st.size);
      fsyncSync(st.fd);
    } catch (e) {
      ftruncateSync(st.fd, st.size);
      const code = (e as NodeJS.ErrnoException).code;
      throw new Refusal(code === 'ENOSPC' || code === 'EDQUOT' ? 507 : 500, `${file}: write failed (${code ?? (e as Error).message})`);
    }
    st.size += body.byteLength;
    st.next++;
    if (eos) {
      st.ended = true;
      closeSync(st.fd);
      this.files.set(join(recDir, file), { ...st, fd: -1 });
    }
    return { stored: true, next: st.next };
  }

  /** What the collector holds of a recording: messages stored per file, ended or not, and whether it is complete. */
  private status(recDir: string): Record<string, unknown> {
    const files: Record<string, { next: number; ended: boolean }> = {};
    let names: string[];
    try {
      if (!lstatSync(recDir).isDirectory()) throw new Refusal(500, `${recDir}: not a directory`);
      names = readdirSync(recDir).filter((f) => SEGMENT_RE.test(f));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      names = []; // nothing of it yet (and no directory made for a GET)
    }
    for (const f of names) {
      const st = this.fileState(recDir, f, false);
      if (st) files[f] = { next: st.next, ended: st.ended };
    }
    return { files, complete: names.length > 0 && this.isComplete(recDir) };
  }

  /** Is the recording's stored manifest complete? (read from the disk once after a restart) */
  private isComplete(recDir: string): boolean {
    let c = this.complete.get(recDir);
    if (c === undefined) {
      try {
        c = readManifest(recDir).complete;
      } catch {
        c = false; // none yet
      }
      this.complete.set(recDir, c);
    }
    return c;
  }

  /** Store a manifest (atomically); a complete one only once every file it lists has all of its stream. */
  private putManifest(recDir: string, body: Buffer): Record<string, unknown> {
    let m: ReturnType<typeof parseManifest>;
    try {
      m = parseManifest(MANIFEST_FILE, body.toString('utf8'));
    } catch (e) {
      if (e instanceof CaptureError) throw new Refusal(400, e.message);
      throw e;
    }
    if (this.isComplete(recDir)) return { stored: false, complete: true };
    if (m.complete) {
      const missing = Object.values(m.tables ?? {})
        .flatMap((t) => t.files)
        .filter((f) => !this.fileState(recDir, f, false)?.ended);
      if (missing.length) throw new Refusal(409, `the manifest is complete but ${missing.length} of its files are not`, { missing });
    }
    replaceFile(recDir, MANIFEST_FILE, body);
    if (m.complete) {
      this.complete.set(recDir, true);
      this.o.log(`${recDir}: complete`);
    }
    return { stored: true, complete: m.complete };
  }
}
