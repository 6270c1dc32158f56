/**
 * files decoder: the path and argv records carry strings (decoded here, record by record: the kept length and the
 * cut mark come from the read's return value); the exits are plain copies of wire fields, decoded in C.
 */
import * as W from '../../formats/gen/events.gen.js';
import type { DecodeCtx, FamilyDecoder, KindHandler } from '../family.js';
import { TABLES } from './tables.js';

const T = (name: string) => TABLES.find((t) => t.name === name)!;
const P = W.OFF.kt_files_path;
const A = W.OFF.kt_files_argv;
const strict = new TextDecoder('utf-8', { fatal: true });
const lenient = new TextDecoder('utf-8');

/** bytes [off, off + n) as text, and whether they were not valid UTF-8 */
function text(u8: Uint8Array, off: number, n: number): [string, number] {
  const b = u8.subarray(off, off + n);
  try {
    return [strict.decode(b), 0];
  } catch {
    return [lenient.decode(b), 1];
  }
}

/** the common columns of a row: ts, cpu, tid, tgid, nr */
function head(x: DecodeCtx, table: string, p: number, tslo: number, tshi: number, cpu: number, tid: number) {
  const w = x.writers[table];
  if (!w) return null;
  const b = w.builder,
    i = b.length++;
  b.w32.ts[2 * i] = tslo;
  b.w32.ts[2 * i + 1] = tshi;
  (b.cols.cpu as Uint16Array)[i] = cpu;
  (b.cols.tid as Int32Array)[i] = tid;
  (b.cols.tgid as Int32Array)[i] = x.i32[(p + P.tgid) >> 2];
  (b.cols.nr as Int32Array)[i] = x.i32[(p + P.nr) >> 2];
  return { w, b, i };
}

const pathHandler: KindHandler = (x, p, tslo, tshi, cpu, tid) => {
  const r = head(x, 'file_paths', p, tslo, tshi, cpu, tid);
  if (!r) return;
  const { w, b, i } = r;
  const ret = x.i32[(p + P.len) >> 2];
  const n = ret < 0 ? 0 : Math.min(Math.max(ret - 1, 0), W.KT_FILES_PATH_MAX);
  const [s, lossy] = text(x.u8, p + P.path, n);
  (b.cols.arg as Uint8Array)[i] = x.u32[(p + P.arg) >> 2];
  (b.cols.path as string[])[i] = s;
  (b.cols.len as Uint32Array)[i] = n;
  (b.cols.cut as Uint8Array)[i] = ret > W.KT_FILES_PATH_MAX + 1 ? 1 : 0;
  (b.cols.lossy as Uint8Array)[i] = lossy;
  (b.cols.read_error as Int32Array)[i] = Math.min(ret, 0);
  if (b.full) w.flush();
  x.noteTgid(tslo, tshi, tid, x.i32[(p + P.tgid) >> 2]);
};

/** one row per argument; the buffer is NUL-separated, its used length bounded by the record */
const argvHandler: KindHandler = (x, p, tslo, tshi, cpu, tid) => {
  const bytes = Math.min(x.u32[(p + A.bytes) >> 2], W.KT_FILES_ARGV_BUF);
  const flags = x.u32[(p + A.flags) >> 2];
  const cut = x.u32[(p + A.cut) >> 2];
  const base = p + A.buf;
  for (let k = 0, off = 0; off < bytes; k++) {
    let end = off;
    while (end < bytes && x.u8[base + end] !== 0) end++;
    const r = head(x, 'file_argv', p, tslo, tshi, cpu, tid);
    if (!r) return;
    const { w, b, i } = r;
    const last = end + 1 >= bytes;
    (b.cols.idx as Uint16Array)[i] = k;
    (b.cols.arg as string[])[i] = text(x.u8, base + off, end - off)[0];
    (b.cols.cut as Uint8Array)[i] = (k < 32 && (cut >>> k) & 1) || (last && flags & W.KT_FILES_ARGV_TRUNC) ? 1 : 0;
    (b.cols.more as Uint8Array)[i] = last && flags & W.KT_FILES_ARGV_MORE ? 1 : 0;
    if (b.full) w.flush();
    off = end + 1;
  }
};

export const filesDecoder = (): FamilyDecoder => ({
  handlers: { [W.KT_FILES_PATH]: pathHandler, [W.KT_FILES_ARGV]: argvHandler },
  plans: { [W.KT_FILES_EXIT]: { struct: 'kt_files_exit', table: T('file_exits') } },
});
