/** sched-latency, offcpu and switches reports (thread_state / context switches). */
import type { CaptureDb, Param } from '../../../analyze/db.js';
import { hasPairedWaits } from '../paired.js';
import { type Col, histRows, LOG2_BUCKET_US, p, renderHist, taskFilter, type ReportOptions, type ReportResult } from '../../../analyze/reports/common.js';

/** the sleeps of thread_state (_sleeps: paired in the kernel from format 1.9 on) in the window with --pid/--comm applied (CTE named ts_f). */
function sleepsCte(o: ReportOptions, params: Param[], where: string): string {
  const since = p(params, o.since),
    until = p(params, o.until);
  const filt = taskFilter(o, params, { tid: 's.tid', tgid: 's.tgid', comm: 't.comm' });
  return `ts_f AS (
    SELECT s.*, t.comm, least(s.end_ts, ${until}) - greatest(s.ts, ${since}) AS in_ns
    FROM _sleeps s LEFT JOIN threads t ON t.tid = s.tid
    WHERE s.end_ts > ${since} AND s.ts < ${until} AND ${where} AND ${filt})`;
}

/** the sched-latency columns: per thread, its wakeup latency distribution and preempted waits */
const LATENCY_COLS: Col[] = [
  { key: 'tid', unit: 'count' },
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'wakeups', unit: 'count' },
  { key: 'avg_ns', label: 'avg', unit: 'ns' },
  { key: 'p50_ns', label: 'p50', unit: 'ns' },
  { key: 'p95_ns', label: 'p95', unit: 'ns' },
  { key: 'p99_ns', label: 'p99', unit: 'ns' },
  { key: 'max_ns', label: 'max', unit: 'ns' },
  { key: 'preemptions', label: 'preempt', unit: 'count' },
  { key: 'preempt_wait_ns', label: 'R+ wait', unit: 'ns' },
  { key: 'run_delay_ns', label: 'run delay', unit: 'ns' },
];

export async function schedLatencyReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const params: Param[] = [];
  // runnable states that ended by running (_runnable: thread_state rows in R/R+, not clipped):
  // R after a wakeup (waker known) = wakeup latency; R+ (and R after a yield) = preempted wait
  const since = p(params, o.since),
    until = p(params, o.until);
  const filt = taskFilter(o, params, { tid: 'r.tid', tgid: 'r.tgid', comm: 't.comm' });
  // comm is per thread: joined after the aggregation (here only when --comm filters on it)
  const sel = `SELECT r.tid, r.tgid, r.dur, r.wake FROM _runnable r ${o.comm !== undefined ? 'LEFT JOIN threads t ON t.tid = r.tid' : ''}
    WHERE r.end_ts > ${since} AND r.ts < ${until} AND ${filt}`;
  // _runnable is read twice: straight from it when it is cheap (the waits paired in the kernel, or a table in
  // a --db database), else once into a temp table (the window pass over the raw events)
  const [{ n: stored }] = await cap.query<{ n: number }>(`SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = '_m_runnable'`);
  const cheap = hasPairedWaits(cap.manifest) || Number(stored) > 0;
  if (!cheap) await cap.query(`CREATE OR REPLACE TEMP TABLE _rep_runnable AS ${sel}`, params);
  const src = cheap ? `(${sel})` : '_rep_runnable',
    srcParams = cheap ? params : [];
  // one quantile state for the three percentiles (quantile_disc with a list: same values)
  const Q = `quantile_disc(dur, [0.5, 0.95, 0.99]) FILTER (WHERE wake)`;
  const LAT = `count(*) FILTER (WHERE wake) AS wakeups,
      avg(dur) FILTER (WHERE wake) AS avg_ns,
      (${Q})[1] AS p50_ns, (${Q})[2] AS p95_ns, (${Q})[3] AS p99_ns,
      max(dur) FILTER (WHERE wake) AS max_ns,
      count(*) FILTER (WHERE NOT wake) AS preemptions,
      coalesce(sum(dur) FILTER (WHERE NOT wake), 0) AS preempt_wait_ns`;
  // per thread and in total in one aggregation (GROUPING SETS): one quantile pass over the rows
  await cap.query(
    `CREATE OR REPLACE TEMP TABLE _rep_lat AS
    SELECT grouping(tid) = 1 AS total, tid, any_value(tgid) AS tgid, ${LAT}, max(dur) FILTER (WHERE NOT wake) AS preempt_max_ns,
           sum(dur) AS run_delay_ns
    FROM ${src} GROUP BY GROUPING SETS ((tid), ())`,
    srcParams,
  );
  const rows = await cap.query(
    `WITH g AS (
      SELECT * EXCLUDE (total) FROM _rep_lat WHERE NOT total ORDER BY run_delay_ns DESC, tid LIMIT $1)
    SELECT g.tid, g.tgid, t.comm, g.* EXCLUDE (tid, tgid) FROM g LEFT JOIN threads t ON t.tid = g.tid
    ORDER BY g.run_delay_ns DESC, g.tid`,
    [o.top],
  );
  const raw = await cap.query<{ bucket: number; count: number }>(
    `
    SELECT ${LOG2_BUCKET_US('dur')} AS bucket, count(*) AS count FROM ${src} WHERE wake GROUP BY 1 ORDER BY 1`,
    srcParams,
  );
  const [tot] = await cap.query(`SELECT wakeups, avg_ns, p50_ns, p95_ns, p99_ns, max_ns, preemptions, preempt_wait_ns FROM _rep_lat WHERE total`);
  await cap.query('DROP TABLE IF EXISTS _rep_lat');
  await cap.query('DROP TABLE IF EXISTS _rep_runnable');
  const hist = histRows(raw);
  return {
    report: 'sched-latency',
    facts: { total: tot },
    sections: [
      {
        name: 'tasks',
        title: `Wakeup → running latency and preempted (R+) wait per thread (top ${o.top} by run delay)`,
        columns: LATENCY_COLS,
        rows,
      },
      {
        name: 'histogram',
        title: 'Wakeup latency, all threads (log2, µs)',
        columns: [],
        rows: hist.map(({ lo_ns, hi_ns, count }) => ({ lo_ns, hi_ns, count })),
        text: renderHist(hist),
      },
    ],
    notes: [],
  };
}

export async function offcpuReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const params: Param[] = [];
  const cte = sleepsCte(o, params, `s.state NOT IN ('X', 'Z')`);
  const top = p(params, o.top);
  const rows = await cap.query(
    `WITH ${cte}, w AS (
      SELECT tid, waker_tid, count(*) AS count, sum(in_ns) AS blocked_ns FROM ts_f WHERE waker_tid IS NOT NULL GROUP BY ALL
    ), wn AS (
      SELECT w.tid, list({'waker_tid': w.waker_tid, 'waker_comm': CASE WHEN w.waker_tid = 0 THEN '<irq/idle>' ELSE t.comm END, 'count': w.count, 'blocked_ns': w.blocked_ns}
                      ORDER BY w.count DESC, w.waker_tid)[1:5] AS wakers
      FROM w LEFT JOIN threads t ON t.tid = w.waker_tid GROUP BY w.tid
    ), g AS (
      SELECT tid, any_value(tgid) AS tgid, any_value(comm) AS comm, sum(in_ns) AS offcpu_ns,
        coalesce(sum(in_ns) FILTER (WHERE state = 'S'), 0) AS sleep_ns,
        coalesce(sum(in_ns) FILTER (WHERE state = 'D'), 0) AS blocked_io_ns,
        coalesce(sum(in_ns) FILTER (WHERE state NOT IN ('S', 'D')), 0) AS other_ns,
        count(*) AS blocks, max(in_ns) AS max_ns
      FROM ts_f GROUP BY tid
    )
    SELECT g.*, coalesce(wn.wakers, []) AS wakers FROM g LEFT JOIN wn USING (tid)
    ORDER BY offcpu_ns DESC, tid LIMIT ${top}`,
    params,
  );
  const human = rows.map((r) => ({
    ...r,
    top_wakers: (r.wakers as any[])
      .slice(0, 3)
      .map((w) => `${w.waker_comm ?? '?'}(${w.waker_tid})x${w.count}`)
      .join(' '),
  }));
  return {
    report: 'offcpu',
    sections: [
      {
        name: 'tasks',
        title: `Off-CPU time per thread by state (S sleeping, D uninterruptible; top ${o.top})`,
        columns: [
          { key: 'tid', unit: 'count' },
          { key: 'tgid', unit: 'count' },
          { key: 'comm' },
          { key: 'offcpu_ns', label: 'off-cpu', unit: 'ns' },
          { key: 'sleep_ns', label: 'S', unit: 'ns' },
          { key: 'blocked_io_ns', label: 'D', unit: 'ns' },
          { key: 'other_ns', label: 'other', unit: 'ns' },
          { key: 'blocks', unit: 'count' },
          { key: 'max_ns', label: 'max', unit: 'ns' },
          { key: 'top_wakers', label: 'top wakers' },
        ],
        rows: human,
      },
    ],
    notes: [],
  };
}

export async function switchesReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const params: Param[] = [];
  const since = p(params, o.since),
    until = p(params, o.until);
  const f1 = taskFilter(o, params, { tid: 'c.prev_tid', tgid: 'c.prev_tgid', comm: 'pt.comm' });
  const f2 = taskFilter(o, params, { tid: 'c.next_tid', tgid: 'c.next_tgid', comm: 'nt.comm' });
  const top = p(params, o.top);
  const rows = await cap.query(
    `
    SELECT c.prev_tid, CASE WHEN c.prev_tid = 0 THEN '<idle>' ELSE pt.comm END AS prev_comm,
           c.next_tid, CASE WHEN c.next_tid = 0 THEN '<idle>' ELSE nt.comm END AS next_comm,
           count(*) AS switches,
           count(*) FILTER (WHERE c.prev_state IN ('R', 'R+')) AS preempted
    FROM context_switches c
    LEFT JOIN threads pt ON pt.tid = c.prev_tid LEFT JOIN threads nt ON nt.tid = c.next_tid
    WHERE c.ts >= ${since} AND c.ts <= ${until} AND ((${f1}) OR (${f2}))
    GROUP BY ALL ORDER BY switches DESC, c.prev_tid, c.next_tid LIMIT ${top}`,
    params,
  );
  return {
    report: 'switches',
    sections: [
      {
        name: 'pairs',
        title: `Context switches prev → next (top ${o.top})`,
        columns: [
          { key: 'prev_tid', unit: 'count' },
          { key: 'prev_comm' },
          { key: 'next_tid', unit: 'count' },
          { key: 'next_comm' },
          { key: 'switches', unit: 'count' },
          { key: 'preempted', unit: 'count' },
        ],
        rows,
      },
    ],
    notes: [],
  };
}
