/**
 * net family exporters, from _export_net_counters (families/net/export.sql). Perfetto: a "ktape: net <device>"
 * track per device with two counter tracks (bytes transmitted, bytes received: running totals, one point per
 * 10 ms with traffic). Chrome: a synthetic process per device with a "net bytes" counter.
 */
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { PID_MAX_LIMIT, us } from '../../export/chrome-format.js';
import { counterTracks, type CounterGroup, type CounterSeries } from '../../export/counters.js';

/** Chrome: one synthetic process per device, after io's (families/io/export.ts IO_PID_BASE) */
const NET_PID_BASE = PID_MAX_LIMIT + 67000;

type Row = Record<string, any>;
const COLS = ['device', 'netns', 'ts', 'tx_bytes', 'rx_bytes'];
const SQL =
  'SELECT device, netns, ts::DOUBLE AS ts, tx_bytes::DOUBLE AS tx_bytes, rx_bytes::DOUBLE AS rx_bytes FROM _export_net_counters ORDER BY device, netns, ts';
const key = (r: Row) => `${r.device}\u0000${r.netns}`;

const SERIES: CounterSeries[] = [
  { key: 'tx_bytes', name: 'net tx bytes', doc: 'bytes the device transmitted, running total', unit: 'bytes' },
  { key: 'rx_bytes', name: 'net rx bytes', doc: 'bytes the device received, running total', unit: 'bytes' },
];
const BY_DEVICE: CounterGroup = { key, parent: (ctx, r) => ctx.track(`ktape: net ${r.device}`, `Device ${r.device} (network namespace ${r.netns})`) };

function chrome(ctx: ChromeContext, rows: Row[]): void {
  const devs = new Map<string, number>();
  for (const r of rows) {
    let pid = devs.get(key(r));
    if (pid === undefined) {
      pid = NET_PID_BASE + devs.size;
      devs.set(key(r), pid);
      ctx.syntheticProcess(pid, `ktape: net ${r.device} (netns ${r.netns})`, -39000 + devs.size);
    }
    ctx.emit(`{"ph":"C","cat":"net","name":"net bytes","pid":${pid},"ts":${us(r.ts)},"args":{"tx":${r.tx_bytes},"rx":${r.rx_bytes}}}`);
  }
}

async function all(ctx: PerfettoContext | ChromeContext): Promise<Row[]> {
  const out: Row[] = [];
  await ctx.scan(SQL, (s) => out.push(...s.objects(COLS)));
  return out;
}

export const netExport: FamilyExport = {
  group: 'net',
  sql: ['families/net/export.sql'],
  async perfetto(ctx) {
    (await all(ctx)).forEach(counterTracks(ctx, BY_DEVICE, SERIES));
  },
  async chrome(ctx) {
    chrome(ctx, await all(ctx));
  },
};
