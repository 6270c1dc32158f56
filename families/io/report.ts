/**
 * io: block I/O per process (reads and writes, bytes and ops, sync and async: biopwise), per device queue and
 * service time with percentiles and log2 histograms (biolatency), and the largest requests. SQL over the
 * io_requests view (families/io/sql/requests.sql, where the pairing and attribution rules are); this only renders.
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

const RW = "kind IN ('read', 'write')";
const PROC_SQL = `SELECT tgid, any_value(comm) AS comm,
  count(*) FILTER (WHERE kind = 'read') AS read_ops, coalesce(sum(bytes) FILTER (WHERE kind = 'read'), 0) AS read_bytes,
  count(*) FILTER (WHERE kind = 'write') AS write_ops, coalesce(sum(bytes) FILTER (WHERE kind = 'write'), 0) AS write_bytes,
  count(*) FILTER (WHERE sync AND ${RW}) AS sync_ops, coalesce(sum(bytes) FILTER (WHERE sync AND ${RW}), 0) AS sync_bytes,
  count(*) FILTER (WHERE NOT sync AND ${RW}) AS async_ops, coalesce(sum(bytes) FILTER (WHERE NOT sync AND ${RW}), 0) AS async_bytes,
  count(*) FILTER (WHERE meta AND ${RW}) AS meta_ops, coalesce(sum(bytes) FILTER (WHERE meta AND ${RW}), 0) AS meta_bytes,
  count(*) FILTER (WHERE kind = 'flush') AS flush_ops, count(*) FILTER (WHERE kind = 'discard') AS discard_ops,
  coalesce(sum(bytes) FILTER (WHERE kind = 'discard'), 0) AS discard_bytes, count(*) FILTER (WHERE kind = 'other') AS other_ops,
  coalesce(sum(bytes) FILTER (WHERE ${RW}), 0) AS bytes`;
const PROC_COLS: Col[] = [
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'read_ops', label: 'R ops', unit: 'count' },
  { key: 'read_bytes', label: 'R bytes', unit: 'bytes' },
  { key: 'write_ops', label: 'W ops', unit: 'count' },
  { key: 'write_bytes', label: 'W bytes', unit: 'bytes' },
  { key: 'sync_ops', label: 'sync ops', unit: 'count' },
  { key: 'sync_bytes', label: 'sync bytes', unit: 'bytes' },
  { key: 'async_ops', label: 'async ops', unit: 'count' },
  { key: 'async_bytes', label: 'async bytes', unit: 'bytes' },
  { key: 'meta_ops', label: 'meta', unit: 'count' },
  { key: 'flush_ops', label: 'flush', unit: 'count' },
  { key: 'discard_ops', label: 'discard', unit: 'count' },
];

const pct = (x: string) => `${['50', '95', '99'].map((q) => `quantile_disc(${x}_ns, 0.${q}) AS ${x}_p${q}_ns`).join(', ')}, max(${x}_ns) AS ${x}_max_ns`;
const DEV_SQL = `SELECT device, dev, count(*) AS requests, coalesce(sum(bytes) FILTER (WHERE ${RW}), 0) AS bytes, count(*) FILTER (WHERE NOT completed) AS in_flight,
  count(queue_ns) AS queued, ${pct('queue')}, count(service_ns) AS serviced, ${pct('service')}`;
const DEV_COLS: Col[] = [
  { key: 'device' },
  { key: 'requests', unit: 'count' },
  { key: 'bytes', unit: 'bytes' },
  ...['queue', 'service'].flatMap((x): Col[] => [
    ...['50', '95', '99'].map((q): Col => ({ key: `${x}_p${q}_ns`, label: `${x[0]} p${q}`, unit: 'ns' })),
    { key: `${x}_max_ns`, label: `${x[0]} max`, unit: 'ns' },
  ]),
  { key: 'in_flight', label: 'open', unit: 'count' },
];
const BIG_COLS: Col[] = [
  { key: 'ts', unit: 'ts' },
  { key: 'device' },
  { key: 'rwbs' },
  { key: 'bytes', unit: 'bytes' },
  { key: 'sector', unit: 'count' },
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'queue_ns', label: 'queue', unit: 'ns' },
  { key: 'service_ns', label: 'service', unit: 'ns' },
];

/** queue and service log2 histograms per device (biolatency; -Q is the queue one) */
async function histograms(cap: CaptureDb, where: string, params: Param[]): Promise<Section> {
  const raw = await cap.query<{ device: string; what: string; bucket: number; count: number }>(
    `SELECT device, what, bucket, count(*) AS count FROM (
       SELECT device, 'queue' AS what, ${LOG2_BUCKET_US('queue_ns')} AS bucket FROM io_requests WHERE ${where} AND queue_ns IS NOT NULL
       UNION ALL SELECT device, 'service', ${LOG2_BUCKET_US('service_ns')} FROM io_requests WHERE ${where} AND service_ns IS NOT NULL)
     GROUP BY ALL ORDER BY device, what DESC, bucket`,
    params,
  );
  const title = 'Queue (insert → issue) and service (issue → complete) time per device (log2, µs)';
  return histSection({ name: 'histograms', title }, raw, (r) => ({ fields: { device: r.device, time: r.what }, label: `${printable(r.device)} ${r.what}` }));
}

export async function ioReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const note = noEventsNote(cap, 'io');
  if (note) return { report: 'io', sections: [], notes: [note] };
  const params: Param[] = [];
  const where = `ts >= ${p(params, o.since)} AND ts <= ${p(params, o.until)} AND ${taskFilter(o, params, { tid: 'tid', tgid: 'tgid', comm: 'comm' })}`;
  const top = p(params, o.top);
  const byProc = await cap.query(
    `${PROC_SQL} FROM io_requests WHERE ${where} GROUP BY tgid ORDER BY bytes DESC, count(*) DESC, tgid NULLS LAST LIMIT ${top}`,
    params,
  );
  const byDev = await cap.query(`${DEV_SQL} FROM io_requests WHERE ${where} GROUP BY device, dev ORDER BY bytes DESC, device LIMIT ${top}`, params);
  const largest = await cap.query(
    `SELECT ts, device, rwbs, op, kind, bytes, sector, tid, tgid, comm, queue_ns, service_ns, total_ns FROM io_requests WHERE ${where}
     ORDER BY bytes DESC, ts LIMIT ${top}`,
    params,
  );
  return {
    report: 'io',
    sections: [
      { name: 'by_process', title: `Block I/O per process (submitter; top ${o.top} by bytes)`, columns: PROC_COLS, rows: byProc },
      { name: 'by_device', title: 'Per device: queue (q: insert → issue) and service (s: issue → complete) time', columns: DEV_COLS, rows: byDev },
      await histograms(cap, where, params.slice(0, -1)),
      { name: 'largest', title: `Largest requests (top ${o.top})`, columns: BIG_COLS, rows: largest },
    ],
    notes: [],
  };
}
