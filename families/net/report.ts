/**
 * net: per device, tx and rx packets and bytes, transmit latency (queue → xmit: netpack) percentiles and a log2
 * histogram; drops by reason. SQL over net_transmits, net_receives and net_drop_events (families/net/sql/packets.sql,
 * where the pairing and counting rules are); this only renders.
 */
import type { CaptureDb, Param } from '../../analyze/db.js';
import {
  histSection,
  LOG2_BUCKET_US,
  noEventsNote,
  printable,
  type Col,
  type ReportOptions,
  type ReportResult,
  type Section,
} from '../../analyze/reports/common.js';

const DEV_SQL = `WITH w AS (SELECT $1::BIGINT AS lo, $2::BIGINT AS hi),
tx AS (SELECT netns, ifindex, any_value(device) AS device, count(*) FILTER (WHERE rc = 0) AS tx_packets, coalesce(sum(len) FILTER (WHERE rc = 0), 0) AS tx_bytes,
  count(*) FILTER (WHERE rc <> 0) AS tx_refused, count(queue_ns) FILTER (WHERE rc = 0) AS timed,
  quantile_disc(queue_ns, 0.5) FILTER (WHERE rc = 0) AS xmit_p50_ns, quantile_disc(queue_ns, 0.95) FILTER (WHERE rc = 0) AS xmit_p95_ns,
  quantile_disc(queue_ns, 0.99) FILTER (WHERE rc = 0) AS xmit_p99_ns, max(queue_ns) FILTER (WHERE rc = 0) AS xmit_max_ns
  FROM net_transmits, w WHERE ts BETWEEN w.lo AND w.hi GROUP BY netns, ifindex),
rx AS (SELECT netns, ifindex, any_value(device) AS device, count(*) AS rx_packets, coalesce(sum(frame_len), 0) AS rx_bytes FROM net_receives, w WHERE ts BETWEEN w.lo AND w.hi GROUP BY netns, ifindex),
dr AS (SELECT netns, ifindex, count(*) AS drops FROM net_drop_events, w WHERE ts BETWEEN w.lo AND w.hi AND ifindex <> 0 GROUP BY netns, ifindex)
SELECT coalesce(tx.device, rx.device) AS device, coalesce(tx.netns, rx.netns) AS netns, coalesce(tx.ifindex, rx.ifindex) AS ifindex,
  coalesce(tx_packets, 0) AS tx_packets, coalesce(tx_bytes, 0) AS tx_bytes, coalesce(rx_packets, 0) AS rx_packets, coalesce(rx_bytes, 0) AS rx_bytes,
  coalesce(tx_refused, 0) AS tx_refused, coalesce(dr.drops, 0) AS drops, coalesce(timed, 0) AS timed, xmit_p50_ns, xmit_p95_ns, xmit_p99_ns, xmit_max_ns
FROM tx FULL JOIN rx ON rx.netns = tx.netns AND rx.ifindex = tx.ifindex
LEFT JOIN dr ON dr.netns = coalesce(tx.netns, rx.netns) AND dr.ifindex = coalesce(tx.ifindex, rx.ifindex)
ORDER BY tx_bytes + rx_bytes DESC, device, netns LIMIT $3`;
const DEV_COLS: Col[] = [
  { key: 'device' },
  { key: 'netns', unit: 'count' },
  { key: 'tx_packets', label: 'tx pkts', unit: 'count' },
  { key: 'tx_bytes', label: 'tx', unit: 'bytes' },
  { key: 'rx_packets', label: 'rx pkts', unit: 'count' },
  { key: 'rx_bytes', label: 'rx', unit: 'bytes' },
  { key: 'drops', unit: 'count' },
  ...['50', '95', '99'].map((q): Col => ({ key: `xmit_p${q}_ns`, label: `xmit p${q}`, unit: 'ns' })),
  { key: 'xmit_max_ns', label: 'xmit max', unit: 'ns' },
];
const DROP_SQL = `SELECT reason_name AS reason, reason AS reason_id, device, count(*) AS drops, coalesce(sum(len), 0) AS bytes
  FROM net_drop_events WHERE ts BETWEEN $1 AND $2 GROUP BY ALL ORDER BY drops DESC, reason, device LIMIT $3`;
const DROP_COLS: Col[] = [
  { key: 'reason' },
  { key: 'reason_id', label: 'id', unit: 'count' },
  { key: 'device' },
  { key: 'drops', unit: 'count' },
  { key: 'bytes', unit: 'bytes' },
];

/** queue → transmit log2 histogram per device (netpack's distribution) */
async function histograms(cap: CaptureDb, params: Param[]): Promise<Section> {
  const raw = await cap.query<{ device: string; netns: number; bucket: number; count: number }>(
    `SELECT device, netns, ${LOG2_BUCKET_US('queue_ns')} AS bucket, count(*) AS count FROM net_transmits
     WHERE ts BETWEEN $1 AND $2 AND queue_ns IS NOT NULL AND rc = 0 GROUP BY ALL ORDER BY device, netns, bucket`,
    params,
  );
  const title = 'Transmit latency (net_dev_queue → net_dev_xmit) per device (log2, µs)';
  return histSection({ name: 'histograms', title }, raw, (r) => ({
    fields: { device: r.device, netns: Number(r.netns) },
    label: `${printable(r.device)} (netns ${r.netns})`,
  }));
}

export async function netReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const note = noEventsNote(cap, 'net');
  if (note) return { report: 'net', sections: [], notes: [note] };
  const w: Param[] = [o.since, o.until];
  const byDev = await cap.query(DEV_SQL, [...w, o.top]);
  const drops = await cap.query(DROP_SQL, [...w, o.top]);
  return {
    report: 'net',
    sections: [
      { name: 'by_device', title: 'Per device: packets and bytes, transmit latency (queue → xmit)', columns: DEV_COLS, rows: byDev },
      await histograms(cap, w),
      { name: 'drops', title: `Drops by reason (skb:kfree_skb; top ${o.top})`, columns: DROP_COLS, rows: drops },
    ],
    notes: [],
  };
}
