/**
 * tcp family exporters, from _export_tcp and _export_tcp_retransmits (families/tcp/export.sql). Perfetto: per
 * owning process a "tcp connections" track with one child track per lane, each connection a slice (SYN to CLOSE)
 * on the first lane free at its begin, its retransmits instant events on the same lane. Chrome: the same on
 * companion lanes of the owning thread ("<comm> tcp #k"), complete events and instants.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { LANE_TID_BASE, us } from '../../export/chrome-format.js';
import { writeTrackEvent } from '../../export/track-event.js';
import { fmtNs } from '../../formats/units.js';

type Row = Record<string, any>;
const CONN_COLS = [
  'sk',
  'tid',
  'tgid',
  'comm',
  'role',
  'local',
  'remote',
  'b_ts',
  'e_ts',
  'connect_ns',
  'accept_ns',
  'retransmits',
  'bytes_received',
  'bytes_acked',
  'state',
];
const CONN_SQL = `SELECT sk::VARCHAR AS sk, tid, tgid, comm, role, local, remote, b_ts::DOUBLE AS b_ts, e_ts::DOUBLE AS e_ts, connect_ns::DOUBLE AS connect_ns,
  accept_ns::DOUBLE AS accept_ns, retransmits::DOUBLE AS retransmits, bytes_received::DOUBLE AS bytes_received, bytes_acked::DOUBLE AS bytes_acked, state
  FROM _export_tcp ORDER BY tgid, b_ts, e_ts`;
const RTX_COLS = ['ts', 'sk', 'tgid', 'state', 'err'];
const RTX_SQL = 'SELECT ts::DOUBLE AS ts, sk::VARCHAR AS sk, tgid, state, err FROM _export_tcp_retransmits ORDER BY ts';
/** Chrome: tcp lanes of a thread are tid + LANE_TID_BASE * (LANE_N + k) */
const LANE_N = 16;

/** Lane assignment (rendering only): the first lane whose last connection ended before this one begins. */
function lanes(rows: Row[]): Map<Row, number> {
  const ends = new Map<number, number[]>();
  const out = new Map<Row, number>();
  for (const r of rows) {
    const e = ends.get(r.tgid) ?? [];
    ends.set(r.tgid, e);
    let k = e.findIndex((x) => x < r.b_ts);
    if (k < 0) k = e.push(r.e_ts) - 1;
    else e[k] = r.e_ts;
    out.set(r, k);
  }
  return out;
}

const sliceName = (r: Row) => `${r.role === 'passive' ? 'accepted' : r.role === 'active' ? 'connect' : 'tcp'} ${r.remote}`;
const args = (r: Row) => ({
  local: r.local,
  remote: r.remote,
  connect: r.connect_ns === null ? null : fmtNs(r.connect_ns),
  accept: r.accept_ns === null ? null : fmtNs(r.accept_ns),
  retransmits: r.retransmits,
  bytes_received: r.bytes_received,
  bytes_acked: r.bytes_acked,
  state: r.state,
});

function perfetto(ctx: PerfettoContext, conns: Row[], rtx: Row[]): void {
  const lane = lanes(conns);
  const procs = new Map<number, { track: bigint; uuids: bigint[] }>();
  const bySk = new Map<string, bigint>();
  const name = (value: string) => ({ case: 'name' as const, value });
  const ev = (ts: number, value: Record<string, unknown>) => writeTrackEvent(ctx, ts, value);
  const annotations = (r: Row) =>
    Object.entries(args(r)).map(([k, v]) => ({ nameField: name(k), value: { case: 'stringValue' as const, value: String(v ?? '-') } }));
  const events: [number, number, Record<string, unknown>][] = [];
  for (const r of conns) {
    let p = procs.get(r.tgid);
    if (!p) {
      const parent = ctx.track(`${r.comm} ${r.tgid}`, `process ${r.tgid}`, { pid: r.tgid });
      p = { track: ctx.track('tcp connections', 'TCP connections this process connected or accepted, SYN to CLOSE', { parent }), uuids: [] };
      procs.set(r.tgid, p);
    }
    const k = lane.get(r)!;
    if (k === p.uuids.length) p.uuids.push(ctx.track(`tcp #${k}`, `lane ${k} of the TCP connections of ${r.tgid}`, { parent: p.track }));
    const trackUuid = p.uuids[k];
    bySk.set(`${r.sk}/${r.tgid}`, trackUuid);
    events.push([r.b_ts, 1, { type: pb.TrackEvent_Type.SLICE_BEGIN, trackUuid, nameField: name(sliceName(r)), debugAnnotations: annotations(r) }]);
    events.push([r.e_ts, 0, { type: pb.TrackEvent_Type.SLICE_END, trackUuid }]);
  }
  for (const r of rtx) {
    const trackUuid = bySk.get(`${r.sk}/${r.tgid}`);
    if (trackUuid === undefined) continue;
    events.push([r.ts, 2, { type: pb.TrackEvent_Type.INSTANT, trackUuid, nameField: name(`retransmit (${r.state})`) }]);
  }
  // one sequence: in time order (ends before begins at the same instant)
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  for (const [ts, , value] of events) ev(ts, value);
}

const j = (v: unknown) => JSON.stringify(v ?? null);

function chrome(ctx: ChromeContext, conns: Row[], rtx: Row[]): void {
  const lane = lanes(conns);
  const bySk = new Map<string, { pid: number; tid: number }>();
  for (const r of conns) {
    const k = lane.get(r)!;
    const laneTid = r.tid + LANE_TID_BASE * (LANE_N + k);
    ctx.companion(r.tgid, r.tid, laneTid, `tcp #${k}`);
    bySk.set(`${r.sk}/${r.tgid}`, { pid: r.tgid, tid: laneTid });
    ctx.emit(
      `{"ph":"X","cat":"tcp","name":${j(sliceName(r))},"pid":${r.tgid},"tid":${laneTid},"ts":${us(r.b_ts)},"dur":${us(Math.max(0, r.e_ts - r.b_ts))},"args":${j(args(r))}}`,
    );
  }
  for (const r of rtx) {
    const l = bySk.get(`${r.sk}/${r.tgid}`);
    if (l)
      ctx.emit(`{"ph":"i","s":"t","cat":"tcp","name":${j(`retransmit (${r.state})`)},"pid":${l.pid},"tid":${l.tid},"ts":${us(r.ts)},"args":{"err":${r.err}}}`);
  }
}

async function all(ctx: PerfettoContext | ChromeContext, sql: string, names: string[]): Promise<Row[]> {
  const out: Row[] = [];
  await ctx.scan(sql, (s) => out.push(...s.objects(names)));
  return out;
}

export const tcpExport: FamilyExport = {
  group: 'tcp',
  sql: ['families/tcp/export.sql'],
  async perfetto(ctx) {
    perfetto(ctx, await all(ctx, CONN_SQL, CONN_COLS), await all(ctx, RTX_SQL, RTX_COLS));
  },
  async chrome(ctx) {
    chrome(ctx, await all(ctx, CONN_SQL, CONN_COLS), await all(ctx, RTX_SQL, RTX_COLS));
  },
};
