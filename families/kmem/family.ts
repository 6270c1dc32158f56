/** The kmem family: slab allocations and frees, with kernel stacks, for outstanding-memory (leak) analysis. */
import * as W from '../../formats/gen/events.gen.js';
import { kmemCompare } from './compare.js';
import type { Family, FinishCtx } from '../family.js';
import { TABLES as TASK_TABLES } from '../task/tables.js';
import { kmemDecoder } from './decode.js';
import { TABLES } from './tables.js';

/** The stack maps (kmem.bpf.c) and the bits their ids carry: a stack whose kt_stacks bucket held another is in the spill map. */
export const STACK_MAPS = [
  ['kt_stacks', 0],
  ['kt_stacks_spill', W.KT_STACK_SPILL],
] as const;

/** The stacks table (kernel stacks of allocations, from the stack maps); returns every ip in it. */
function writeStacks(x: FinishCtx): Set<bigint> {
  const w = x.table('stacks', 65536);
  const ips = new Set<bigint>();
  const s = x.settings;
  if (s.events.includes('kmem') && s.kmemStacks) {
    const frames = Buffer.alloc(s.stackDepth * 8);
    for (const [map, bits] of STACK_MAPS)
      x.forEachEntry(x.mapFd(map), 4, frames, (key) => {
        const id = key.readInt32LE(0) | bits;
        for (let d = 0; d < s.stackDepth; d++) {
          const ip = frames.readBigUInt64LE(8 * d);
          if (ip === 0n) break;
          w.push({ stack_id: id, depth: d, ip });
          ips.add(ip);
        }
      });
  }
  w.close();
  return ips;
}

export const kmem: Family = {
  name: 'kmem',
  doc: 'slab allocations and frees with kernel stacks (kmem:kmalloc/kfree/kmem_cache_*)',
  byDefault: true,
  tables: TABLES,
  kinds: [
    { id: W.KT_KMALLOC, name: 'kmalloc', struct: 'kt_kmem_alloc' },
    { id: W.KT_KFREE, name: 'kfree', struct: 'kt_kmem_free' },
    { id: W.KT_KMEM_CACHE_ALLOC, name: 'kmem_cache_alloc', struct: 'kt_kmem_alloc' },
    { id: W.KT_KMEM_CACHE_FREE, name: 'kmem_cache_free', struct: 'kt_kmem_free' },
  ],
  programs: [
    { name: 'kt_kmalloc', kind: W.KT_KMALLOC },
    { name: 'kt_kmem_cache_alloc', kind: W.KT_KMEM_CACHE_ALLOC },
    { name: 'kt_kfree', kind: W.KT_KFREE },
    { name: 'kt_kmem_cache_free', kind: W.KT_KMEM_CACHE_FREE },
    // record the events the kernel skipped the main program for (an interrupt's, nested in it on the CPU): bpf/common.bpf.h
    { name: 'kt_kmalloc_nested', kind: W.KT_KMALLOC, nested: true },
    { name: 'kt_kmem_cache_alloc_nested', kind: W.KT_KMEM_CACHE_ALLOC, nested: true },
    { name: 'kt_kfree_nested', kind: W.KT_KFREE, nested: true },
    { name: 'kt_kmem_cache_free_nested', kind: W.KT_KMEM_CACHE_FREE, nested: true },
  ],
  bpfConfig: (s) => {
    const b = Buffer.alloc(W.SIZEOF.kt_kmem_config);
    b.writeUInt32LE(s.kmemStacks ? 1 : 0, W.OFF.kt_kmem_config.stacks);
    return b;
  },
  prepareMaps: (maps, s) => {
    for (const [m] of STACK_MAPS) {
      if (!s.events.includes('kmem') || !s.kmemStacks) maps.setMaxEntries(m, 1);
      else maps.setValueSize(m, s.stackDepth * 8);
    }
  },
  decoder: kmemDecoder,
  finish: writeStacks,
  kernelAddressColumns: [
    ['kmem_alloc', 'call_site'],
    ['kmem_free', 'call_site'],
  ],
  summary: async () => (await import('./summary.js')).kmemSummary,
  export: async () => (await import('./export.js')).kmemExport,
  compare: kmemCompare,
  htmlSections: async () => (await import('./html.js')).kmemHtml,
  reports: {
    leaks: {
      doc: 'kernel allocations outstanding at the end (--at T) by stack; --min-age, --folded',
      reads: ['kmem_alloc', 'kmem_free', 'sched_switch', ...TASK_TABLES.map((t) => t.name)],
      load: async () => (await import('./report.js')).leaksReport,
    },
  },
};
