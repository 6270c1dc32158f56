/**
 * cache family exporters, from _export_cache (families/cache/export.sql). Perfetto: per process three counter
 * tracks (page cache read hits, read misses, pages dirtied: running totals, in pages). Chrome: a "page cache
 * pages" counter on each process with the three series.
 */
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { us } from '../../export/chrome-format.js';
import { counterTracks, type CounterGroup, type CounterSeries } from '../../export/counters.js';

type Row = Record<string, any>;
const COLS = ['tgid', 'comm', 'ts', 'read_hits', 'read_misses', 'dirtied'];
const SQL = `SELECT tgid, comm, ts::DOUBLE AS ts, read_hits::DOUBLE AS read_hits, read_misses::DOUBLE AS read_misses, dirtied::DOUBLE AS dirtied
  FROM _export_cache ORDER BY tgid, ts`;
const SERIES: CounterSeries[] = [
  { key: 'read_hits', name: 'page cache read hits', doc: 'pages read that were in the page cache, running total', unit: 'count' },
  { key: 'read_misses', name: 'page cache read misses', doc: 'pages this process added to the page cache, not for a write, running total', unit: 'count' },
  { key: 'dirtied', name: 'page cache pages dirtied', doc: 'pages this process made dirty, running total', unit: 'count' },
];
const BY_PROCESS: CounterGroup = {
  key: (r) => r.tgid,
  parent: (ctx, r) => ctx.track(`${r.comm} ${r.tgid}`, `process ${r.tgid}`, { pid: r.tgid }),
};

async function perfetto(ctx: PerfettoContext): Promise<void> {
  const write = counterTracks(ctx, BY_PROCESS, SERIES);
  await ctx.scan(SQL, (s) => {
    for (const r of s.objects(COLS)) write(r);
  });
}

async function chrome(ctx: ChromeContext): Promise<void> {
  await ctx.scan(SQL, (s) => {
    for (const r of s.objects(COLS) as Row[]) {
      ctx.lane(r.tgid, r.tgid);
      ctx.emit(
        `{"ph":"C","cat":"cache","name":"page cache pages","pid":${r.tgid},"ts":${us(r.ts)},"args":{"read_hits":${r.read_hits},"read_misses":${r.read_misses},"dirtied":${r.dirtied}}}`,
      );
    }
  });
}

export const cacheExport: FamilyExport = { group: 'cache', sql: ['families/cache/export.sql'], perfetto, chrome };
