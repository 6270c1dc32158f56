/** cache's compare metrics: page cache read hits, misses, write hits, pages dirtied and the read hit ratio per group of threads. */
import type { CompareDef } from '../family.js';
import { num } from '../values.js';

export const cacheCompare: CompareDef = {
  metrics: {
    cache_read_hits: { unit: 'count', kind: 'flow', activity: true, doc: 'pages read (read(2), faults) that were in the page cache' },
    cache_read_misses: { unit: 'count', kind: 'flow', doc: 'pages the group added to the page cache, not for a write (reads, readahead, faults)' },
    cache_write_hits: { unit: 'count', kind: 'flow', doc: 'pages a write made dirty that were in the page cache' },
    cache_dirtied: { unit: 'count', kind: 'flow', doc: 'pages the group made dirty' },
    cache_hit_pct: { unit: 'count', kind: 'dist', doc: 'page cache read hit ratio, percent: read hits / (read hits + read misses)' },
  },
  help: ['cache_read_hits  cache_read_misses  cache_write_hits  cache_dirtied  cache_hit_pct (pages; hit ratio in percent)'],
  async collect(x) {
    for (const r of await x.query('process')) {
      const pages = num(r.pages);
      const hits = num(r.read_hits),
        misses = num(r.read_misses);
      x.put(r.grp, 'cache_read_hits', hits, pages);
      x.put(r.grp, 'cache_read_misses', misses, pages);
      x.put(r.grp, 'cache_write_hits', num(r.write_hits), pages);
      x.put(r.grp, 'cache_dirtied', num(r.dirtied), pages);
      x.put(r.grp, 'cache_hit_pct', hits + misses ? (100 * hits) / (hits + misses) : null, hits + misses);
    }
  },
};
