/** kmem decoder: copies of wire fields, decoded in C (record/copy-decoder.ts PlanSpec); bytes saturate to u32. */
import * as W from '../../formats/gen/events.gen.js';
import type { FamilyDecoder } from '../family.js';
import type { PlanSpec } from '../../record/copy-decoder.js';
import { TABLES } from './tables.js';

const T = (name: string) => TABLES.find((t) => t.name === name)!;
const alloc = (cache: number): PlanSpec => ({
  struct: 'kt_kmem_alloc',
  table: T('kmem_alloc'),
  constants: { cache },
  saturate: ['bytes_req', 'bytes_alloc'],
});
const free = (cache: number): PlanSpec => ({ struct: 'kt_kmem_free', table: T('kmem_free'), constants: { cache } });

export const kmemDecoder = (): FamilyDecoder => ({
  handlers: {},
  plans: { [W.KT_KMALLOC]: alloc(0), [W.KT_KMEM_CACHE_ALLOC]: alloc(1), [W.KT_KFREE]: free(0), [W.KT_KMEM_CACHE_FREE]: free(1) },
});
