/**
 * fault family exporters, from _export_fault_counters (families/fault/export.sql). Perfetto: per process two
 * counter tracks (minor faults, major faults: running totals). Chrome: a "page faults" counter on each process.
 */
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { us } from '../../export/chrome-format.js';
import { counterTracks, type CounterGroup, type CounterSeries } from '../../export/counters.js';

type Row = Record<string, any>;
const COLS = ['tgid', 'ts', 'minor', 'major'];
const SQL = 'SELECT tgid, ts::DOUBLE AS ts, minor::DOUBLE AS minor, major::DOUBLE AS major FROM _export_fault_counters ORDER BY tgid, ts';

const SERIES: CounterSeries[] = [
  { key: 'minor', name: 'minor page faults', doc: 'minor page faults of this process, running total', unit: 'count' },
  { key: 'major', name: 'major page faults', doc: 'major page faults of this process (they waited for I/O), running total', unit: 'count' },
];
const BY_PROCESS: CounterGroup = {
  key: (r) => r.tgid,
  parent: (ctx, r) => ctx.track(`process ${r.tgid}`, `process ${r.tgid}`, { pid: r.tgid }),
};

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
    (await all(ctx)).forEach(counterTracks(ctx, BY_PROCESS, SERIES));
  },
  async chrome(ctx) {
    chromeCounters(ctx, await all(ctx));
  },
};
