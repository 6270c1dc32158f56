/** syscall decoder: hand-written, the hot path of a syscall storm. */
import * as W from '../../formats/gen/events.gen.js';
import type { DecodeCtx, FamilyDecoder } from '../family.js';

const O = W.OFF;

function enter(x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number): void {
  const w = x.writers.syscall_enter;
  if (!w) return;
  const { u32, i32 } = x;
  const q = p >> 2;
  const b = w.builder,
    c = b.cols,
    i = b.length++,
    y = b.w32;
  y.ts[2 * i] = tslo;
  y.ts[2 * i + 1] = tshi;
  (c.cpu as Uint16Array)[i] = cpu;
  (c.tid as Int32Array)[i] = tid;
  (c.nr as Int32Array)[i] = i32[q + (O.kt_sys_enter.nr >> 2)];
  const a = q + (O.kt_sys_enter.args >> 2);
  y.arg0[2 * i] = u32[a];
  y.arg0[2 * i + 1] = u32[a + 1];
  y.arg1[2 * i] = u32[a + 2];
  y.arg1[2 * i + 1] = u32[a + 3];
  y.arg2[2 * i] = u32[a + 4];
  y.arg2[2 * i + 1] = u32[a + 5];
  y.arg3[2 * i] = u32[a + 6];
  y.arg3[2 * i + 1] = u32[a + 7];
  y.arg4[2 * i] = u32[a + 8];
  y.arg4[2 * i + 1] = u32[a + 9];
  y.arg5[2 * i] = u32[a + 10];
  y.arg5[2 * i + 1] = u32[a + 11];
  if (b.full) w.flush();
  x.noteTgid(tslo, tshi, tid, i32[q + (O.kt_sys_enter.tgid >> 2)]);
}

function exit(x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number): void {
  const w = x.writers.syscall_exit;
  if (!w) return;
  const { u32, i32 } = x;
  const q = p >> 2;
  const b = w.builder,
    c = b.cols,
    i = b.length++,
    y = b.w32;
  y.ts[2 * i] = tslo;
  y.ts[2 * i + 1] = tshi;
  (c.cpu as Uint16Array)[i] = cpu;
  (c.tid as Int32Array)[i] = tid;
  (c.nr as Int32Array)[i] = i32[q + (O.kt_sys_exit.nr >> 2)];
  const r = q + (O.kt_sys_exit.ret >> 2);
  y.ret[2 * i] = u32[r];
  y.ret[2 * i + 1] = u32[r + 1];
  if (b.full) w.flush();
  x.noteTgid(tslo, tshi, tid, i32[q + (O.kt_sys_exit.tgid >> 2)]);
}

export const syscallDecoder = (): FamilyDecoder => ({ handlers: { [W.KT_SYS_ENTER]: enter, [W.KT_SYS_EXIT]: exit } });
