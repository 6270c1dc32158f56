/**
 * files decoder: the paths and the exits are decoded in C (copy plans; the path is a text column, its UTF-8
 * checked there); the argv records, one row per NUL-separated argument, here.
 */
import * as W from '../../formats/gen/events.gen.js';
import type { DecodeCtx, FamilyDecoder, KindHandler } from '../family.js';
import { TABLES } from './tables.js';

const T = (name: string) => TABLES.find((t) => t.name === name)!;
const A = W.OFF.kt_files_argv;
const utf8 = new TextDecoder('utf-8');

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
  (b.cols.tgid as Int32Array)[i] = x.i32[(p + A.tgid) >> 2];
  (b.cols.nr as Int32Array)[i] = x.i32[(p + A.nr) >> 2];
  return { w, b, i };
}

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
    (b.cols.arg as string[])[i] = utf8.decode(x.u8.subarray(base + off, base + end));
    (b.cols.cut as Uint8Array)[i] = (k < 32 && (cut >>> k) & 1) || (last && flags & W.KT_FILES_ARGV_TRUNC) ? 1 : 0;
    (b.cols.more as Uint8Array)[i] = last && flags & W.KT_FILES_ARGV_MORE ? 1 : 0;
    if (b.full) w.flush();
    off = end + 1;
  }
};

export const filesDecoder = (): FamilyDecoder => ({
  handlers: { [W.KT_FILES_ARGV]: argvHandler },
  plans: {
    [W.KT_FILES_PATH]: { struct: 'kt_files_path', table: T('file_paths'), texts: { path: { bound: W.KT_FILES_PATH_MAX, lossy: 'lossy' } } },
    [W.KT_FILES_EXIT]: { struct: 'kt_files_exit', table: T('file_exits') },
  },
});
