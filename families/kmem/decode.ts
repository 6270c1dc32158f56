/** kmem decoder: hand-written, the hot path of an allocation storm (and bytes saturate to u32). */
import * as W from '../../formats/gen/events.gen.js';
import type { DecodeCtx, FamilyDecoder } from '../family.js';

const O = W.OFF;

function alloc(x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number, kind: number): void {
  const w = x.writers.kmem_alloc;
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
  (c.cache as Uint8Array)[i] = kind === W.KT_KMEM_CACHE_ALLOC ? 1 : 0;
  const pp = q + (O.kt_kmem_alloc.ptr >> 2),
    cs = q + (O.kt_kmem_alloc.call_site >> 2);
  y.ptr[2 * i] = u32[pp];
  y.ptr[2 * i + 1] = u32[pp + 1];
  y.call_site[2 * i] = u32[cs];
  y.call_site[2 * i + 1] = u32[cs + 1];
  const br = q + (O.kt_kmem_alloc.bytes_req >> 2),
    ba = q + (O.kt_kmem_alloc.bytes_alloc >> 2);
  (c.bytes_req as Uint32Array)[i] = u32[br + 1] ? 0xffffffff : u32[br];
  (c.bytes_alloc as Uint32Array)[i] = u32[ba + 1] ? 0xffffffff : u32[ba];
  (c.gfp_flags as Uint32Array)[i] = u32[q + (O.kt_kmem_alloc.gfp_flags >> 2)];
  (c.node as Int16Array)[i] = i32[q + (O.kt_kmem_alloc.node >> 2)];
  (c.stack_id as Int32Array)[i] = i32[q + (O.kt_kmem_alloc.stack_id >> 2)];
  if (b.full) w.flush();
  x.noteTgid(tslo, tshi, tid, i32[q + (O.kt_kmem_alloc.tgid >> 2)]);
}

function free(x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number, kind: number): void {
  const w = x.writers.kmem_free;
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
  (c.cache as Uint8Array)[i] = kind === W.KT_KMEM_CACHE_FREE ? 1 : 0;
  const pp = q + (O.kt_kmem_free.ptr >> 2),
    cs = q + (O.kt_kmem_free.call_site >> 2);
  y.ptr[2 * i] = u32[pp];
  y.ptr[2 * i + 1] = u32[pp + 1];
  y.call_site[2 * i] = u32[cs];
  y.call_site[2 * i + 1] = u32[cs + 1];
  if (b.full) w.flush();
  x.noteTgid(tslo, tshi, tid, i32[q + (O.kt_kmem_free.tgid >> 2)]);
}

export const kmemDecoder = (): FamilyDecoder => ({
  handlers: { [W.KT_KMALLOC]: alloc, [W.KT_KMEM_CACHE_ALLOC]: alloc, [W.KT_KFREE]: free, [W.KT_KMEM_CACHE_FREE]: free },
});
