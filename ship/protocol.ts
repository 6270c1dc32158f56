/**
 * The upload protocol shared by `ktape collect` (ship/collector.ts) and the uploader of `ktape record
 * --upload` / `ktape upload` (ship/uploader.ts); ship/PROTOCOL.md is its description. One request is one
 * Arrow IPC message of one table segment file (the schema, a record batch, or the end-of-stream marker),
 * exactly the bytes the recorder wrote, so the collector's copy of a capture is byte-for-byte the local one.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { IpcError, LIMITS, parseMessage, type Message } from '../formats/ipc.js';
import { MANIFEST_FILE, SEGMENT_RE } from '../formats/schema.js';

/** the path prefix of every request (a later incompatible protocol gets /v2/) */
export const API = '/v1';
export const SEQ_HEADER = 'ktape-seq';
export const DIGEST_HEADER = 'content-digest';
/** the uploader's state in the capture directory (a dot file: readers ignore it) */
export const STATE_FILE = '.ktape-upload.json';

/** host names as the collector accepts them (a directory of DIR): no '/', no leading dot, nothing to escape */
export const HOST_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/;
/** recording ids (a directory of DIR/HOST) */
export const RECORDING_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** the files a capture upload may write: table segments and the manifest */
export const isCaptureFile = (f: string): boolean => f === MANIFEST_FILE || (f.length <= 128 && SEGMENT_RE.test(f));

/** `sha-256=:BASE64:` (RFC 9530 Content-Digest) of `body` */
export const digestOf = (body: Uint8Array): string => `sha-256=:${createHash('sha256').update(body).digest('base64')}:`;

/** the path of a file of a recording */
export const filePath = (host: string, recording: string, file: string): string => `${API}/${host}/${recording}/${file}`;

export const CONTINUATION = 0xffffffff;
/** the Arrow IPC end-of-stream marker */
export const EOS = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** One framed IPC message: its bytes span [offset, offset + length); `eos` for the end-of-stream marker. */
export interface Frame {
  offset: number;
  length: number;
  eos: boolean;
  msg: Message | null;
}

/** Frame the message at the start of `head` (its first 8 bytes and metadata); null when `head` holds less than its header. */
export function frameHeader(head: Uint8Array, offset: number): Frame | null {
  if (head.byteLength < 8) return null;
  const dv = new DataView(head.buffer, head.byteOffset, head.byteLength);
  if (dv.getUint32(0, true) !== CONTINUATION) throw new IpcError(`no Arrow IPC message at byte ${offset}`);
  const len = dv.getInt32(4, true);
  if (len === 0) return { offset, length: 8, eos: true, msg: null };
  if (len < 0 || len > LIMITS.metadataBytes) throw new IpcError(`message at byte ${offset} claims ${len} bytes of metadata`);
  if (head.byteLength < 8 + len) return null;
  const msg = parseMessage(head.subarray(8, 8 + len));
  return { offset, length: 8 + len + msg.bodyLength, eos: false, msg };
}

function readAt(fd: number, pos: number, n: number): Uint8Array {
  const b = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const k = readSync(fd, b, got, n - got, pos + got);
    if (k <= 0) break;
    got += k;
  }
  return b.subarray(0, got);
}

/**
 * The complete messages of an open stream file from `offset` on (at most `max`), read header by header;
 * a message cut short at the end of the file (still being written, or torn) ends the list.
 */
export function scanFrames(fd: number, offset: number, max = Number.POSITIVE_INFINITY): Frame[] {
  const size = fstatSync(fd).size;
  const out: Frame[] = [];
  for (let pos = offset; out.length < max && pos + 8 <= size; ) {
    const pre = readAt(fd, pos, 8);
    const len = pre.byteLength === 8 ? new DataView(pre.buffer, pre.byteOffset, 8).getInt32(4, true) : -1;
    const head = len > 0 && len <= LIMITS.metadataBytes && pos + 8 + len <= size ? readAt(fd, pos, 8 + len) : pre;
    const f = frameHeader(head, pos);
    if (!f || pos + f.length > size) break;
    out.push(f);
    pos += f.length;
    if (f.eos) break;
  }
  return out;
}

/** Read the bytes of a frame. */
export const frameBytes = (fd: number, f: Frame): Uint8Array => readAt(fd, f.offset, f.length);

/** Open a file of a capture for reading: never through a symlink, only a regular file. */
export function openRegular(path: string): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw Object.assign(new Error(`${path}: not a regular file`), { code: 'EINVAL' });
  }
  return fd;
}
