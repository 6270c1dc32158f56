/** kmem's compare metrics: slab allocations and bytes, outstanding at the end, and the allocation stacks. */
import { num } from '../values.js';
import type { CompareDef } from '../family.js';

export const kmemCompare: CompareDef = {
  metrics: {
    kmalloc_count: { unit: 'count', kind: 'flow', activity: true, doc: 'kmalloc allocations' },
    kmalloc_bytes: { unit: 'bytes', kind: 'flow', doc: 'kmalloc bytes allocated' },
    kmalloc_outstanding_bytes: { unit: 'bytes', kind: 'level', doc: 'kmalloc bytes still allocated at the end' },
    kmem_cache_count: { unit: 'count', kind: 'flow', activity: true, doc: 'kmem_cache_alloc allocations' },
    kmem_cache_bytes: { unit: 'bytes', kind: 'flow', doc: 'kmem_cache_alloc bytes allocated' },
    kmem_cache_outstanding_bytes: { unit: 'bytes', kind: 'level', doc: 'kmem_cache bytes still allocated at the end' },
  },
  help: ['kmalloc_count  kmalloc_bytes  kmalloc_outstanding_bytes', 'kmem_cache_count  kmem_cache_bytes  kmem_cache_outstanding_bytes'],
  stacks: true,
  async collect(x) {
    for (const r of await x.query('kmem')) {
      const pre = r.kind === 'kmalloc' ? 'kmalloc' : 'kmem_cache';
      const n = num(r.n);
      x.put(r.grp, `${pre}_count`, n, n);
      x.put(r.grp, `${pre}_bytes`, num(r.bytes), n);
      x.put(r.grp, `${pre}_outstanding_bytes`, num(r.outstanding_bytes), num(r.outstanding_n));
    }
    for (const r of await x.query('alloc_stacks')) x.stack(r.grp, r.folded ?? null, num(r.n));
  },
};
