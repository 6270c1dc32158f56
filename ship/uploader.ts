/**
 * The sending side of the protocol (ship/PROTOCOL.md): `ktape record --upload` follows a capture while it
 * is written, `ktape upload` sends a finished or crashed one. The capture directory is the spool and the
 * source of truth: every message of every table file is read back from it (fsync'd first, so that nothing
 * acked can vanish from the local copy), sent, and counted acked in a small state file in the capture
 * (STATE_FILE, replaced atomically), so an upload resumes where it stopped whichever side restarted. The
 * collector's answer is the authority: a resent message is acked again, a gap is answered with the
 * message it expects, from which the upload goes on (so a stale or missing state file costs resends, never
 * data). Failures that a retry can cure (network, 5xx, a body corrupted in flight) are retried with
 * exponential backoff and full jitter; the others (a wrong token, a refused name) end the upload.
 */
import { closeSync, fsyncSync, readdirSync, readFileSync } from 'node:fs';
import { type Agent as HttpAgent, request as httpRequest, Agent as HttpKeepAlive } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { extraCaOptions } from './extra-ca.js';
import { join } from 'node:path';
import { KtapeError, UsageError } from '../formats/errors.js';
import { MANIFEST_FILE, SEGMENT_RE } from '../formats/schema.js';
import { replaceFile } from '../record/outdir.js';
import { DIGEST_HEADER, HOST_RE, RECORDING_RE, SEQ_HEADER, STATE_FILE, digestOf, filePath, frameBytes, openRegular, scanFrames } from './protocol.js';

export interface FileProgress {
  /** messages acked (the next one to send) */
  seq: number;
  /** bytes acked: the offset of message `seq` */
  offset: number;
  /** the end-of-stream marker is acked */
  ended: boolean;
}

export interface UploadState {
  version: 1;
  host: string;
  recording: string;
  files: Record<string, FileProgress>;
  /** Content-Digest of the manifest last acked */
  manifest: string | null;
}

export interface UploaderOptions {
  dir: string;
  url: URL;
  token: string;
  log: (line: string) => void;
}

const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;
const SAVE_EVERY_MS = 1_000;

type Answer = { ok: Record<string, unknown> } | { expected: number } | { missing: string[] };

/** Why an upload ended: a one-line KtapeError (wrong token: exit 2; others: exit 1). */
export class UploadError extends KtapeError {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `id` made safe for the collector's patterns */
const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[^A-Za-z0-9]+/, '') || 'host';

/** The recording id of a capture: its boot and start time, so a capture always goes to the same place. */
function recordingId(dir: string): { host: string; recording: string } {
  const m = JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { host?: { hostname?: string; boot_id?: string }; start_ts?: number };
  const boot = safeName(String(m.host?.boot_id ?? 'boot').slice(0, 8));
  return { host: safeName(String(m.host?.hostname ?? 'host')).slice(0, 253), recording: `${boot}-${Number(m.start_ts ?? 0)}` };
}

function loadState(dir: string): UploadState | null {
  let raw: unknown;
  try {
    const fd = openRegular(join(dir, STATE_FILE));
    try {
      raw = JSON.parse(readFileSync(fd, 'utf8'));
    } finally {
      closeSync(fd);
    }
  } catch {
    return null; // none, or unreadable: start over (the collector says what it has)
  }
  const s = raw as UploadState;
  if (s?.version !== 1 || !HOST_RE.test(String(s.host)) || !RECORDING_RE.test(String(s.recording)) || typeof s.files !== 'object') return null;
  const files: Record<string, FileProgress> = {};
  for (const [f, p] of Object.entries(s.files ?? {}))
    if (SEGMENT_RE.test(f) && Number.isSafeInteger(p?.seq) && Number.isSafeInteger(p?.offset) && p.seq >= 0 && p.offset >= 0)
      files[f] = { seq: p.seq, offset: p.offset, ended: !!p.ended };
  return { version: 1, host: s.host, recording: s.recording, files, manifest: typeof s.manifest === 'string' ? s.manifest : null };
}

type Reply = { status: number; json: any };

/** One request; resolves with the status and the JSON answer (network failures reject). */
function call(
  u: URL,
  token: string,
  agent: HttpAgent | undefined,
  method: string,
  path: string,
  body: Uint8Array | null,
  headers: Record<string, string>,
): Promise<Reply> {
  const base = u.pathname.replace(/\/+$/, '');
  const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)({
    method,
    host: u.hostname,
    port: u.port || (u.protocol === 'https:' ? 443 : 80),
    path: `${base}${path}`,
    agent,
    ...(u.protocol === 'https:' && !agent ? extraCaOptions() : {}),
    timeout: REQUEST_TIMEOUT_MS,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-length': String(body.byteLength) } : {}), ...headers },
  });
  return new Promise((resolve, reject) => {
    req.on('timeout', () => req.destroy(new Error(`no answer in ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.on('response', (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('error', reject);
      res.on('end', () => {
        let json: any = {};
        try {
          json = JSON.parse(Buffer.concat(parts).toString('utf8') || '{}');
        } catch {
          json = {};
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.end(body ?? undefined);
  });
}

/** The one-line error of a refusal: a wrong token is a usage error (exit 2), the rest exit 1. */
function refused(url: URL, status: number, json: any, what: string): never {
  const why = String(json?.error ?? 'no reason given').slice(0, 300);
  if (status === 401 || status === 403)
    throw new UploadError('E_UPLOAD_AUTH', `${url.href}: the collector refused the token (${status}: ${why}); check --token-file`, 'usage');
  throw new UploadError('E_UPLOAD_REFUSED', `${url.href}: the collector refused ${what} (${status}: ${why})`, 'failure');
}

export class Uploader {
  readonly state: UploadState;
  private readonly agent: HttpAgent;
  private lastSave = 0;
  private dirty = false;
  /** messages sent and stored, and resends the collector had already */
  sent = 0;
  duplicates = 0;
  /** the last manifest acked was complete */
  completeSent = false;
  /** retryable failures give up after this time (ms since the epoch) */
  deadline = Number.POSITIVE_INFINITY;
  private failing = false;
  /** ask the collector what it holds before sending (at the start, and after it was unreachable) */
  private needSync = true;

  constructor(readonly o: UploaderOptions) {
    this.state = loadState(o.dir) ?? { version: 1, ...recordingId(o.dir), files: {}, manifest: null };
    const opts = { keepAlive: true, maxSockets: 1 };
    this.agent = o.url.protocol === 'https:' ? new HttpsAgent({ ...opts, ...extraCaOptions() }) : new HttpKeepAlive(opts);
  }

  /** Bytes of the table files acked by the collector. */
  get ackedBytes(): number {
    let n = 0;
    for (const p of Object.values(this.state.files)) n += p.offset;
    return n;
  }

  close(): void {
    this.agent.destroy();
  }

  private request(method: string, path: string, body: Uint8Array | null, headers: Record<string, string>): Promise<Reply> {
    return call(this.o.url, this.o.token, this.agent, method, path, body, headers);
  }

  /** Check that the collector answers and takes the token (before recording starts). */
  static async hello(url: URL, token: string): Promise<void> {
    const r = await call(url, token, undefined, 'GET', '/v1/', null, {}).catch((e: Error) => {
      throw new UploadError('E_UPLOAD_UNREACHABLE', `${url.href}: cannot reach the collector (${e.message})`, 'failure');
    });
    if (r.status !== 200) refused(url, r.status, r.json, 'GET /v1/');
  }

  private refused(status: number, json: any, what: string): never {
    refused(this.o.url, status, json, what);
  }
  /** PUT one file's message (or the manifest), retrying what a retry can cure. */
  private async put(file: string, body: Uint8Array, seq: number | null): Promise<Answer> {
    const path = filePath(this.state.host, this.state.recording, file);
    const headers: Record<string, string> = { [DIGEST_HEADER]: digestOf(body), 'content-type': 'application/vnd.apache.arrow.stream' };
    if (seq !== null) headers[SEQ_HEADER] = String(seq);
    for (let attempt = 0; ; attempt++) {
      let why: string;
      try {
        const r = await this.request('PUT', path, body, headers);
        if (r.status === 200) return this.recovered({ ok: r.json });
        if (r.status === 409 && Number.isSafeInteger(r.json?.expected)) return this.recovered({ expected: r.json.expected });
        if (r.status === 409 && Array.isArray(r.json?.missing)) return this.recovered({ missing: r.json.missing.map(String) });
        if (r.status !== 422 && r.status !== 408 && r.status !== 429 && r.status < 500)
          this.refused(r.status, r.json, `${file}${seq === null ? '' : ` message ${seq}`}`);
        why = `${r.status} ${String(r.json?.error ?? '').slice(0, 200)}`;
      } catch (e) {
        if (e instanceof UploadError) throw e;
        why = (e as Error).message;
      }
      if (Date.now() > this.deadline)
        throw new UploadError(
          'E_UPLOAD_UNREACHABLE',
          `${this.o.url.href}: gave up sending ${file} (${why}); the capture is intact locally: run ktape upload ${this.o.dir} ${this.o.url.href}`,
          'failure',
        );
      if (!this.failing) this.o.log(`upload to ${this.o.url.href}: ${why}; retrying`);
      this.failing = true;
      this.needSync = true;
      await sleep(Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16)));
    }
  }

  private recovered(a: Answer): Answer {
    if (this.failing) this.o.log(`upload to ${this.o.url.href}: the collector answers again; resuming`);
    this.failing = false;
    return a;
  }

  /**
   * Take the collector's word for what it holds: a file it has fewer messages of than the state says
   * (it lost them, or it is another collector) goes back to its count; a manifest it lacks is sent again.
   */
  private async sync(): Promise<void> {
    const path = filePath(this.state.host, this.state.recording, '').replace(/\/$/, '');
    let r: Reply;
    try {
      r = await this.request('GET', path, null, {});
    } catch {
      return; // unreachable: the PUTs retry, and sync again once it answers
    }
    if (r.status !== 200) this.refused(r.status, r.json, `GET ${path}`);
    this.needSync = false;
    const remote = (r.json?.files ?? {}) as Record<string, { next?: number }>;
    for (const [f, p] of Object.entries(this.state.files)) {
      const next = Number(remote[f]?.next ?? 0);
      if (Number.isSafeInteger(next) && next < p.seq) Object.assign(p, { seq: next, offset: -1, ended: false });
    }
    if (r.json?.complete !== true) this.state.manifest = null;
    this.dirty = true;
  }

  /** Move `p` to message `seq` of the file (the collector's expected one), counting from the start. */
  private seek(fd: number, file: string, p: FileProgress, seq: number): void {
    const frames = scanFrames(fd, 0, seq);
    if (frames.length < seq) throw new UploadError('E_UPLOAD_REFUSED', `${file}: the collector holds ${seq} messages of it, the local file ${frames.length}`);
    const last = frames.at(-1);
    Object.assign(p, { seq, offset: last ? last.offset + last.length : 0, ended: !!last?.eos });
    this.dirty = true;
  }

  /** Send the complete messages of one table file not yet acked. */
  private async sendFile(file: string): Promise<void> {
    this.state.files[file] ??= { seq: 0, offset: 0, ended: false };
    const p = this.state.files[file];
    if (p.ended) return;
    const fd = openRegular(join(this.o.dir, file));
    try {
      if (p.offset < 0) this.seek(fd, file, p, p.seq); // after sync()
      for (let frames = scanFrames(fd, p.offset); frames.length; frames = scanFrames(fd, p.offset)) {
        fsyncSync(fd); // durable here before it is acked there
        for (const f of frames) {
          const a = await this.put(file, frameBytes(fd, f), p.seq);
          if ('expected' in a) {
            this.seek(fd, file, p, a.expected);
            break;
          }
          if ('ok' in a && a.ok.stored === false) this.duplicates++;
          else this.sent++;
          Object.assign(p, { seq: p.seq + 1, offset: f.offset + f.length, ended: f.eos });
          this.dirty = true;
          this.save(false);
        }
        if (p.ended) return;
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Write the state file (at most once a second unless `now`). */
  save(now: boolean): void {
    if (!this.dirty || (!now && Date.now() - this.lastSave < SAVE_EVERY_MS)) return;
    try {
      replaceFile(this.o.dir, STATE_FILE, JSON.stringify(this.state));
      this.dirty = false;
      this.lastSave = Date.now();
    } catch (e) {
      this.o.log(
        `${join(this.o.dir, STATE_FILE)}: cannot save the upload state (${(e as NodeJS.ErrnoException).code}); a restart resends from the collector's count`,
      );
      this.lastSave = Date.now();
    }
  }

  /**
   * One pass over the capture: every table file's new messages, then the manifest as it was at the start
   * of the pass (a complete manifest is written after every file it lists is closed, so they are all
   * sent before it). Returns whether the manifest sent is the complete one.
   */
  async round(): Promise<boolean> {
    if (this.needSync) await this.sync();
    let manifest: Buffer | null = null;
    try {
      const fd = openRegular(join(this.o.dir, MANIFEST_FILE));
      try {
        manifest = readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    } catch {
      manifest = null; // not written yet
    }
    const files = readdirSync(this.o.dir)
      .filter((f) => SEGMENT_RE.test(f))
      .sort();
    for (const f of files) await this.sendFile(f);
    if (manifest && digestOf(manifest) !== this.state.manifest) {
      const a = await this.put(MANIFEST_FILE, manifest, null);
      if ('ok' in a) {
        this.state.manifest = digestOf(manifest);
        this.completeSent = a.ok.complete === true;
        this.dirty = true;
      }
    } else if (manifest) this.completeSent ||= JSON.parse(manifest.toString('utf8')).complete === true;
    this.save(true);
    return this.completeSent;
  }
}

/** The --upload URL: http(s)://HOST:PORT[/PATH]; a UsageError naming the flag otherwise. */
export function parseUploadUrl(flag: string, s: string): URL {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw new UsageError(`${flag} ${s}: not a URL (expected http://HOST:PORT or https://HOST:PORT)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag} ${s}: the collector is reached over http:// or https://`);
  if (u.username || u.password || u.search || u.hash) throw new UsageError(`${flag} ${s}: no user, query or fragment (the token comes from --token-file)`);
  return u;
}
