/**
 * fault family exporters, from _export_fault_counters (families/fault/export.sql). Perfetto: per process two
 * counter tracks (minor faults, major faults: running totals). Chrome: a "page faults" counter on each process.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { us } from '../../export/chrome-format.js';

type Row = Record<string, any>;
const COLS = ['tgid', 'ts', 'minor', 'major'];
const SQL = 'SELECT tgid, ts::DOUBLE AS ts, minor::DOUBLE AS minor, major::DOUBLE AS major FROM _export_fault_counters ORDER BY tgid, ts';

function perfettoCounters(ctx: PerfettoContext, all: Row[]): void {
  const procs = new Map<number, { minor: bigint; major: bigint }>();
  const ev = (ts: number, trackUuid: bigint, v: number) =>
    ctx.writePacket({
      timestamp: BigInt(ts),
      optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: 2 },
      sequenceFlags: ctx.trackSeqFlags(),
      data: { case: 'trackEvent', value: { type: pb.TrackEvent_Type.COUNTER, trackUuid, counterValueField: { case: 'counterValue', value: BigInt(v) } } },
    });
  for (const r of all) {
    let p = procs.get(r.tgid);
    if (!p) {
      const parent = ctx.track(`process ${r.tgid}`, `process ${r.tgid}`, { pid: r.tgid });
      p = {
        minor: ctx.track('minor page faults', 'minor page faults of this process, running total', { parent, counter: 'count' }),
        major: ctx.track('major page faults', 'major page faults of this process (they waited for I/O), running total', { parent, counter: 'count' }),
      };
      procs.set(r.tgid, p);
    }
    ev(r.ts, p.minor, r.minor);
    ev(r.ts, p.major, r.major);
  }
}

function chromeCounters(ctx: ChromeContext, all: Row[]): void {
  for (const r of all) {
    ctx.lane(r.tgid, r.tgid);
    ctx.emit(`{"ph":"C","cat":"fault","name":"page faults","pid":${r.tgid},"ts":${us(r.ts)},"args":{"minor":${r.minor},"major":${r.major}}}`);
  }
}

async function all(ctx: PerfettoContext | ChromeContext): Promise<Row[]> {
  const out: Row[] = [];
  await ctx.scan(SQL, (s) => out.push(...s.objects(COLS)));
  return out;
}

export const faultExport: FamilyExport = {
  group: 'fault',
  sql: ['families/fault/export.sql'],
  async perfetto(ctx) {
    perfettoCounters(ctx, await all(ctx));
  },
  async chrome(ctx) {
    chromeCounters(ctx, await all(ctx));
  },
};
