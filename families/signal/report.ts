/** signals: who signalled whom, how often, with what result; deliveries per thread with disposition; OOM kills. SQL over the signals, signal_deliveries and oom_kills views (families/signal/sql/signals.sql); this only renders. */
import type { CaptureDb, Param } from '../../analyze/db.js';
import { p, type Col, type ReportOptions, type ReportResult } from '../../analyze/reports/common.js';

/** per-result counts of a group of signals rows */
const RESULTS = `count(*) AS count, count(*) FILTER (WHERE delivered) AS delivered,
  count(*) FILTER (WHERE result_name = 'delivered') AS queued, count(*) FILTER (WHERE result_name = 'ignored') AS ignored,
  count(*) FILTER (WHERE result_name = 'already_pending') AS already_pending, count(*) FILTER (WHERE result_name = 'overflow_fail') AS overflow_fail,
  count(*) FILTER (WHERE result_name = 'lose_info') AS lose_info, max(latency) AS max_latency_ns`;
const RESULT_COLS: Col[] = [
  { key: 'count', unit: 'count' },
  { key: 'delivered', unit: 'count' },
  { key: 'queued', unit: 'count' },
  { key: 'ignored', unit: 'count' },
  { key: 'already_pending', label: 'pending', unit: 'count' },
  { key: 'overflow_fail', label: 'overflow', unit: 'count' },
  { key: 'lose_info', label: 'noinfo', unit: 'count' },
  { key: 'max_latency_ns', label: 'max pending', unit: 'ns' },
];

/** --pid/--comm on either side of a signal (sender or target), or on the thread/victim of a delivery/OOM kill */
function filter(o: ReportOptions, params: Param[], sides: { tid: string; tgid: string; comm: string }[]): string {
  const parts: string[] = [];
  if (o.pid !== undefined) {
    const x = p(params, o.pid);
    parts.push(`(${sides.map((s) => `${s.tgid} = ${x} OR ${s.tid} = ${x}`).join(' OR ')})`);
  }
  if (o.comm !== undefined) {
    const x = p(params, o.comm);
    parts.push(`(${sides.map((s) => `regexp_matches(coalesce(${s.comm}, ''), ${x})`).join(' OR ')})`);
  }
  return parts.length ? parts.join(' AND ') : 'true';
}

const PAIR_COLS: Col[] = [
  { key: 'sender_tgid', label: 'sender', unit: 'count' },
  { key: 'sender_comm', label: 'comm' },
  { key: 'target_tgid', label: 'target', unit: 'count' },
  { key: 'target_comm', label: 'comm' },
  { key: 'signal' },
  ...RESULT_COLS,
];
const DELIVERY_COLS: Col[] = [
  { key: 'tid', unit: 'count' },
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'signal' },
  { key: 'disposition' },
  { key: 'count', unit: 'count' },
  { key: 'group_exit', label: 'exit', unit: 'count' },
  { key: 'first_ts', label: 'first', unit: 'ts' },
];
const OOM_COLS: Col[] = [
  { key: 'ts', unit: 'ts' },
  { key: 'tid', unit: 'count' },
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'total_vm_bytes', label: 'total_vm', unit: 'bytes' },
  { key: 'anon_rss_bytes', label: 'anon', unit: 'bytes' },
  { key: 'file_rss_bytes', label: 'file', unit: 'bytes' },
  { key: 'shmem_rss_bytes', label: 'shmem', unit: 'bytes' },
  { key: 'oom_score_adj', label: 'adj', unit: 'count' },
  { key: 'killer_tid', label: 'killer', unit: 'count' },
];

export async function signalsReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const gp: Param[] = [];
  const gw = `ts >= ${p(gp, o.since)} AND ts <= ${p(gp, o.until)} AND ${filter(o, gp, [
    { tid: 'sender_tid', tgid: 'sender_tgid', comm: 'sender_comm' },
    { tid: 'target_tid', tgid: 'target_tgid', comm: 'target_comm' },
  ])}`;
  const top = p(gp, o.top);
  const pairs = await cap.query(
    `SELECT sender_tgid, any_value(sender_comm) AS sender_comm, target_tgid, any_value(target_comm) AS target_comm, signal, sig, ${RESULTS}
    FROM signals WHERE ${gw} GROUP BY sender_tgid, target_tgid, signal, sig ORDER BY count DESC, sender_tgid, target_tgid, sig LIMIT ${top}`,
    gp,
  );
  const bySignal = await cap.query(
    `SELECT signal, sig, ${RESULTS}, count(DISTINCT sender_tgid) AS senders, count(DISTINCT target_tgid) AS targets
    FROM signals WHERE ${gw} GROUP BY signal, sig ORDER BY count DESC, sig LIMIT ${top}`,
    gp,
  );
  const dp: Param[] = [];
  const dw = `ts >= ${p(dp, o.since)} AND ts <= ${p(dp, o.until)} AND ${filter(o, dp, [{ tid: 'tid', tgid: 'tgid', comm: 'comm' }])}`;
  const deliveries = await cap.query(
    `SELECT tid, tgid, any_value(comm) AS comm, signal, sig, disposition, count(*) AS count,
      count(*) FILTER (WHERE group_exit) AS group_exit, min(ts) AS first_ts, max(ts) AS last_ts
    FROM signal_deliveries WHERE ${dw} GROUP BY tid, tgid, signal, sig, disposition ORDER BY count DESC, tid, sig LIMIT ${p(dp, o.top)}`,
    dp,
  );
  const op: Param[] = [];
  const ow = `ts >= ${p(op, o.since)} AND ts <= ${p(op, o.until)} AND ${filter(o, op, [{ tid: 'tid', tgid: 'tgid', comm: 'comm' }])}`;
  const oom = await cap.query(
    `SELECT ts, tid, tgid, comm, uid, killer_tid, killer_tgid, total_vm_bytes, anon_rss_bytes, file_rss_bytes, shmem_rss_bytes,
      pgtables_bytes, oom_score_adj, kill_ts, exit_ts FROM oom_kills WHERE ${ow} ORDER BY ts`,
    op,
  );
  return {
    report: 'signals',
    sections: [
      {
        name: 'pairs',
        title: `Who signalled whom (sender process → target process), by result (top ${o.top})`,
        rows: pairs,
        columns: PAIR_COLS,
      },
      {
        name: 'by_signal',
        title: `Signals generated, by result (top ${o.top})`,
        rows: bySignal,
        columns: [{ key: 'signal' }, { key: 'sig', unit: 'count' }, ...RESULT_COLS, { key: 'senders', unit: 'count' }, { key: 'targets', unit: 'count' }],
      },
      {
        name: 'deliveries',
        title: `Signals taken, per thread and disposition (top ${o.top})`,
        rows: deliveries,
        columns: DELIVERY_COLS,
      },
      {
        name: 'oom_kills',
        title: 'OOM kills',
        rows: oom,
        columns: OOM_COLS,
      },
    ],
    notes: [],
  };
}
