/**
 * tcp: TCP connections (tcpconnlat, tcpaccept, tcplife): each connection with its connect or accept latency,
 * lifetime, bytes, retransmits and resets; per process and per remote address: counts and latency percentiles;
 * log2 histograms of connect latency per process and per remote address. SQL over the tcp_connections view
 * (families/tcp/sql/connections.sql, where the pairing and attribution rules are); this only renders.
 */
import type { CaptureDb, Param } from '../../analyze/db.js';
import {
  histSection,
  LOG2_BUCKET_US,
  noEventsNote,
  p,
  printable,
  taskFilter,
  type Col,
  type ReportOptions,
  type ReportResult,
  type Section,
} from '../../analyze/reports/common.js';

const CONN_COLS: Col[] = [
  { key: 'ts', unit: 'ts' },
  { key: 'role' },
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'local' },
  { key: 'remote' },
  { key: 'connect_ns', label: 'connect', unit: 'ns' },
  { key: 'accept_ns', label: 'accept', unit: 'ns' },
  { key: 'lifetime_ns', label: 'lifetime', unit: 'ns' },
  { key: 'bytes_received', label: 'rx', unit: 'bytes' },
  { key: 'bytes_acked', label: 'tx', unit: 'bytes' },
  { key: 'retransmits', label: 'retrans', unit: 'count' },
  { key: 'resets_sent', label: 'rst out', unit: 'count' },
  { key: 'resets_received', label: 'rst in', unit: 'count' },
  { key: 'state' },
];

const pct = (x: string) => `${['50', '95', '99'].map((q) => `quantile_disc(${x}_ns, 0.${q}) AS ${x}_p${q}_ns`).join(', ')}, max(${x}_ns) AS ${x}_max_ns`;
const pctCols = (x: string, short: string): Col[] => [
  ...['50', '95', '99'].map((q): Col => ({ key: `${x}_p${q}_ns`, label: `${short} p${q}`, unit: 'ns' })),
  { key: `${x}_max_ns`, label: `${short} max`, unit: 'ns' },
];
const COUNTS = `count(*) AS connections, count(*) FILTER (WHERE role = 'active') AS active, count(*) FILTER (WHERE role = 'passive') AS passive,
  coalesce(sum(retransmits), 0) AS retransmits, coalesce(sum(resets_sent), 0) AS resets_sent, coalesce(sum(resets_received), 0) AS resets_received,
  coalesce(sum(bytes_received), 0) AS bytes_received, coalesce(sum(bytes_acked), 0) AS bytes_acked`;
const COUNT_COLS: Col[] = [
  { key: 'connections', label: 'conns', unit: 'count' },
  { key: 'active', unit: 'count' },
  { key: 'passive', unit: 'count' },
  ...pctCols('connect', 'conn'),
  ...pctCols('accept', 'acc'),
  { key: 'retransmits', label: 'retrans', unit: 'count' },
  { key: 'resets_sent', label: 'rst out', unit: 'count' },
  { key: 'resets_received', label: 'rst in', unit: 'count' },
  { key: 'bytes_received', label: 'rx', unit: 'bytes' },
  { key: 'bytes_acked', label: 'tx', unit: 'bytes' },
];

/** connect latency log2 histograms per process and per remote address (tcpconnlat's distribution) */
async function histograms(cap: CaptureDb, where: string, params: Param[]): Promise<Section> {
  const raw = await cap.query<{ grp: string; key: string; bucket: number; count: number }>(
    `SELECT grp, key, bucket, count(*) AS count FROM (
       SELECT 'process' AS grp, coalesce(comm, '?') || ' (' || coalesce(tgid::VARCHAR, '?') || ')' AS key, ${LOG2_BUCKET_US('connect_ns')} AS bucket
         FROM tcp_connections WHERE ${where} AND connect_ns IS NOT NULL
       UNION ALL SELECT 'remote', raddr, ${LOG2_BUCKET_US('connect_ns')} FROM tcp_connections WHERE ${where} AND connect_ns IS NOT NULL)
     GROUP BY ALL ORDER BY grp, key, bucket`,
    params,
  );
  const title = 'Connect latency (SYN_SENT → ESTABLISHED) per process and per remote address (log2, µs)';
  return histSection({ name: 'histograms', title }, raw, (r) => ({ fields: { by: r.grp, key: r.key }, label: `${r.grp} ${printable(r.key)}` }));
}

export async function tcpReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const note = noEventsNote(cap, 'tcp');
  if (note) return { report: 'tcp', sections: [], notes: [note] };
  const params: Param[] = [];
  const where = `ts >= ${p(params, o.since)} AND ts <= ${p(params, o.until)} AND ${taskFilter(o, params, { tid: 'tid', tgid: 'tgid', comm: 'comm' })}`;
  const wp = params.slice();
  const top = p(params, o.top);
  const conns = await cap.query(
    `SELECT ts, role, tid, tgid, comm, local, remote, netns, connect_ns, accept_ns, lifetime_ns, bytes_received, bytes_acked,
       retransmits, total_retrans, resets_sent, resets_received, state, closed_from
     FROM tcp_connections WHERE ${where} ORDER BY ts, local LIMIT ${top}`,
    params,
  );
  const byProc = await cap.query(
    `SELECT tgid, any_value(comm) AS comm, ${COUNTS}, ${pct('connect')}, ${pct('accept')}
     FROM tcp_connections WHERE ${where} GROUP BY tgid ORDER BY connections DESC, tgid NULLS LAST LIMIT ${top}`,
    params,
  );
  const byRemote = await cap.query(
    `SELECT raddr AS remote, ${COUNTS}, ${pct('connect')}, ${pct('accept')}
     FROM tcp_connections WHERE ${where} GROUP BY raddr ORDER BY connections DESC, raddr LIMIT ${top}`,
    params,
  );
  return {
    report: 'tcp',
    sections: [
      { name: 'connections', title: `Connections (first ${o.top} by time; owner: the task that connected or accepted it)`, columns: CONN_COLS, rows: conns },
      {
        name: 'by_process',
        title: `Per process (top ${o.top} by connections): connect and accept latency`,
        columns: [{ key: 'tgid', unit: 'count' }, { key: 'comm' }, ...COUNT_COLS],
        rows: byProc,
      },
      { name: 'by_remote', title: `Per remote address (top ${o.top} by connections)`, columns: [{ key: 'remote' }, ...COUNT_COLS], rows: byRemote },
      await histograms(cap, where, wp),
    ],
    notes: [],
  };
}
