/**
 * io family exporters, from _export_io and _export_io_counters (families/io/export.sql). Perfetto: a
 * "ktape: block <device>" track per device with one child track per lane, each request a slice on the first
 * lane free at its begin (requests overlap when the device queues several), and per process two counter
 * tracks (bytes read, bytes written, running totals). Chrome: a synthetic process per device with the
 * requests as complete events on lanes, and "block I/O bytes" counters on each process.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { PID_MAX_LIMIT, us } from '../../export/chrome-format.js';
import { writeTrackEvent } from '../../export/track-event.js';
import { counterTracks, type CounterGroup, type CounterSeries } from '../../export/counters.js';
import { fmtBytes } from '../../formats/units.js';

/** Chrome: one synthetic process per device, after ktape's own tracks (chrome-format.ts: LOSS_PID, LEAK_PID) */
const IO_PID_BASE = PID_MAX_LIMIT + 66000;

type Row = Record<string, any>;
const REQ_COLS = ['device', 'b_ts', 'e_ts', 'rwbs', 'bytes', 'sector', 'tid', 'tgid', 'comm', 'queue_ns', 'service_ns', 'completed', 'status'];
const REQ_SQL = `SELECT device, b_ts::DOUBLE AS b_ts, e_ts::DOUBLE AS e_ts, rwbs, bytes::DOUBLE AS bytes, sector::VARCHAR AS sector, tid, tgid, comm,
  queue_ns::DOUBLE AS queue_ns, service_ns::DOUBLE AS service_ns, completed, status FROM _export_io ORDER BY device, b_ts, e_ts`;
const CTR_COLS = ['tgid', 'comm', 'ts', 'read_bytes', 'write_bytes'];
const CTR_SQL = `SELECT tgid, comm, ts::DOUBLE AS ts, read_bytes::DOUBLE AS read_bytes, write_bytes::DOUBLE AS write_bytes FROM _export_io_counters ORDER BY tgid, ts`;

/** Lane assignment (rendering only): the first lane whose last request ended before this one begins. */
class Lanes {
  private ends: number[] = [];
  take(b: number, e: number): number {
    let k = this.ends.findIndex((x) => x < b);
    if (k < 0) k = this.ends.push(e) - 1;
    else this.ends[k] = e;
    return k;
  }
}

const sliceName = (r: Row) => `${r.rwbs} ${fmtBytes(r.bytes)}`;
const submitter = (r: Row) => (r.tgid === null ? 'unknown' : `${r.comm} (${r.tgid})`);

function perfettoRequests(ctx: PerfettoContext, all: Row[]): void {
  const devs = new Map<string, { track: bigint; lanes: Lanes; uuids: bigint[] }>();
  const name = (value: string) => ({ case: 'name' as const, value });
  const ev = (ts: number, value: Record<string, unknown>) => writeTrackEvent(ctx, ts, value);
  for (const r of all) {
    let d = devs.get(r.device);
    if (!d) {
      const track = ctx.track(
        `ktape: block ${r.device}`,
        `Block requests of ${r.device}, each from its first event (start) to its completion; one child track per lane of concurrent requests.`,
      );
      devs.set(r.device, (d = { track, lanes: new Lanes(), uuids: [] }));
    }
    const k = d.lanes.take(r.b_ts, r.e_ts);
    if (k === d.uuids.length) d.uuids.push(ctx.track(`${r.device} #${k}`, `lane ${k} of ${r.device}`, { parent: d.track }));
    const trackUuid = d.uuids[k];
    ev(r.b_ts, {
      type: pb.TrackEvent_Type.SLICE_BEGIN,
      trackUuid,
      nameField: name(sliceName(r)),
      debugAnnotations: [
        { nameField: name('bytes'), value: { case: 'uintValue', value: BigInt(r.bytes) } },
        { nameField: name('sector'), value: { case: 'stringValue', value: String(r.sector) } },
        { nameField: name('submitter'), value: { case: 'stringValue', value: submitter(r) } },
        { nameField: name('tid'), value: { case: 'intValue', value: BigInt(r.tid ?? 0) } },
        { nameField: name('queue_ns'), value: { case: 'intValue', value: BigInt(r.queue_ns ?? -1) } },
        { nameField: name('service_ns'), value: { case: 'intValue', value: BigInt(r.service_ns ?? -1) } },
        { nameField: name('completed'), value: { case: 'stringValue', value: r.completed ? 'yes' : 'no (in flight at the end)' } },
      ],
    });
    ev(r.e_ts, { type: pb.TrackEvent_Type.SLICE_END, trackUuid });
  }
}

const SERIES: CounterSeries[] = [
  { key: 'read_bytes', name: 'block read bytes', doc: 'bytes of block read requests this process submitted, running total', unit: 'bytes' },
  { key: 'write_bytes', name: 'block write bytes', doc: 'bytes of block write requests this process submitted, running total', unit: 'bytes' },
];
const BY_PROCESS: CounterGroup = {
  key: (r) => r.tgid,
  parent: (ctx, r) => ctx.track(`${r.comm} ${r.tgid}`, `process ${r.tgid}`, { pid: r.tgid }),
};

const j = (v: unknown) => JSON.stringify(v ?? null);

function chromeRequests(ctx: ChromeContext, all: Row[]): void {
  const devs = new Map<string, { pid: number; lanes: Lanes }>();
  for (const r of all) {
    let d = devs.get(r.device);
    if (!d) {
      d = { pid: IO_PID_BASE + devs.size, lanes: new Lanes() };
      devs.set(r.device, d);
      ctx.syntheticProcess(d.pid, `ktape: block ${r.device}`, -40000 + devs.size);
    }
    const k = d.lanes.take(r.b_ts, r.e_ts);
    ctx.emit(
      `{"ph":"X","cat":"io","name":${j(sliceName(r))},"pid":${d.pid},"tid":${k},"ts":${us(r.b_ts)},"dur":${us(Math.max(0, r.e_ts - r.b_ts))},"args":{"bytes":${r.bytes},"sector":${j(r.sector)},"submitter":${j(submitter(r))},"tid":${r.tid ?? null},"queue_ns":${r.queue_ns ?? null},"service_ns":${r.service_ns ?? null},"completed":${r.completed},"status":${r.status ?? null}}}`,
    );
  }
}

function chromeCounters(ctx: ChromeContext, all: Row[]): void {
  for (const r of all) {
    ctx.lane(r.tgid, r.tgid);
    ctx.emit(`{"ph":"C","cat":"io","name":"block I/O bytes","pid":${r.tgid},"ts":${us(r.ts)},"args":{"read":${r.read_bytes},"written":${r.write_bytes}}}`);
  }
}

async function all(ctx: PerfettoContext | ChromeContext, sql: string, names: string[]): Promise<Row[]> {
  const out: Row[] = [];
  await ctx.scan(sql, (s) => out.push(...s.objects(names)));
  return out;
}

export const ioExport: FamilyExport = {
  group: 'io',
  sql: ['families/io/export.sql'],
  async perfetto(ctx) {
    perfettoRequests(ctx, await all(ctx, REQ_SQL, REQ_COLS));
    (await all(ctx, CTR_SQL, CTR_COLS)).forEach(counterTracks(ctx, BY_PROCESS, SERIES));
  },
  async chrome(ctx) {
    chromeRequests(ctx, await all(ctx, REQ_SQL, REQ_COLS));
    chromeCounters(ctx, await all(ctx, CTR_SQL, CTR_COLS));
  },
};
