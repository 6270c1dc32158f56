/**
 * cache family exporters, from _export_cache (families/cache/export.sql). Perfetto: per process three counter
 * tracks (page cache read hits, read misses, pages dirtied: running totals, in pages). Chrome: a "page cache
 * pages" counter on each process with the three series.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { us } from '../../export/chrome-format.js';

type Row = Record<string, any>;
const COLS = ['tgid', 'comm', 'ts', 'read_hits', 'read_misses', 'dirtied'];
const SQL = `SELECT tgid, comm, ts::DOUBLE AS ts, read_hits::DOUBLE AS read_hits, read_misses::DOUBLE AS read_misses, dirtied::DOUBLE AS dirtied
  FROM _export_cache ORDER BY tgid, ts`;
const SERIES = [
  ['read_hits', 'page cache read hits', 'pages read that were in the page cache, running total'],
  ['read_misses', 'page cache read misses', 'pages this process added to the page cache, not for a write, running total'],
  ['dirtied', 'page cache pages dirtied', 'pages this process made dirty, running total'],
] as const;

async function perfetto(ctx: PerfettoContext): Promise<void> {
  const procs = new Map<number, bigint[]>();
  const ev = (ts: number, trackUuid: bigint, v: number) =>
    ctx.writePacket({
      timestamp: BigInt(ts),
      optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: 2 },
      sequenceFlags: ctx.trackSeqFlags(),
      data: { case: 'trackEvent', value: { type: pb.TrackEvent_Type.COUNTER, trackUuid, counterValueField: { case: 'counterValue', value: BigInt(v) } } },
    });
  await ctx.scan(SQL, (s) => {
    for (const r of s.objects(COLS) as Row[]) {
      let tracks = procs.get(r.tgid);
      if (!tracks) {
        const parent = ctx.track(`${r.comm} ${r.tgid}`, `process ${r.tgid}`, { pid: r.tgid });
        tracks = SERIES.map(([, name, doc]) => ctx.track(name, doc, { parent, counter: 'count' }));
        procs.set(r.tgid, tracks);
      }
      for (let i = 0; i < SERIES.length; i++) ev(r.ts, tracks[i], r[SERIES[i][0]]);
    }
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
