/** The kmem family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

export const TABLES: TableDef[] = [
  {
    name: 'kmem_alloc',
    role: 'event',
    group: 'kmem',
    doc: 'One row per slab allocation (kmem:kmalloc and kmem:kmem_cache_alloc).',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'allocating thread (current; may be an interrupted task)'),
      c('cache', 'u8', '0 = kmalloc, 1 = kmem_cache_alloc'),
      c('ptr', 'u64', 'returned object address (0 = allocation failed)'),
      c('call_site', 'u64', 'kernel address of the caller (symbolize with kallsyms)'),
      c('bytes_req', 'u32', 'bytes requested'),
      c('bytes_alloc', 'u32', 'bytes actually allocated'),
      c('gfp_flags', 'u32', 'GFP flags'),
      c('node', 'i16', 'NUMA node requested (-1 = any)'),
      c(
        'stack_id',
        'i32',
        'kernel stack id in the stacks table; negative = no stack (-17 EEXIST: its buckets in both stack maps held other stacks, counted in stats as stack_collisions; -1 stacks disabled); ids with bit 30 (KT_STACK_SPILL) come from the spill map',
      ),
    ],
  },
  {
    name: 'kmem_free',
    role: 'event',
    group: 'kmem',
    doc: 'One row per slab free (kmem:kfree and kmem:kmem_cache_free). NULL frees are not recorded.',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'freeing thread (current)'),
      c('cache', 'u8', '0 = kfree, 1 = kmem_cache_free'),
      c('ptr', 'u64', 'freed object address'),
      c('call_site', 'u64', 'kernel address of the caller'),
    ],
  },
  {
    name: 'stacks',
    role: 'meta',
    group: 'kmem',
    doc: 'Kernel stacks referenced by kmem_alloc.stack_id, one row per frame.',
    columns: [
      c('stack_id', 'i32', 'id used by kmem_alloc.stack_id'),
      c('depth', 'u16', 'frame index, 0 = innermost (the tracepoint site)'),
      c('ip', 'u64', 'return address'),
    ],
  },
];
