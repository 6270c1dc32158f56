/** cpu: CPU time per thread/process/comm, switches, migrations; busy time per CPU. */
import type { CaptureDb, Param } from '../../../analyze/db.js';
import { type Col, p, taskFilter, type ReportOptions, type ReportResult } from '../../../analyze/reports/common.js';

/** the columns naming a row, per --by */
const KEY_COLS: Record<string, Col[]> = {
  thread: [{ key: 'tid', unit: 'count' }, { key: 'tgid', unit: 'count' }, { key: 'comm' }],
  process: [{ key: 'tgid', unit: 'count' }, { key: 'comm' }, { key: 'threads', unit: 'count' }],
  comm: [{ key: 'comm' }, { key: 'processes', unit: 'count' }, { key: 'threads', unit: 'count' }],
};
const TASK_COLS: Col[] = [
  { key: 'cpu_ns', label: 'cpu', unit: 'ns' },
  { key: 'cpu_pct', label: '%', unit: 'pct' },
  { key: 'slices', unit: 'count' },
  { key: 'voluntary_switches', label: 'vol', unit: 'count' },
  { key: 'involuntary_switches', label: 'invol', unit: 'count' },
  { key: 'migrations', label: 'migr', unit: 'count' },
];
const CPU_COLS: Col[] = [
  { key: 'cpu', unit: 'count' },
  { key: 'busy_ns', label: 'busy', unit: 'ns' },
  { key: 'idle_ns', label: 'idle', unit: 'ns' },
  { key: 'busy_pct', label: 'busy%', unit: 'pct' },
  { key: 'slices', unit: 'count' },
];

/**
 * One pass over the slices (the sched_slices view is computed once): per (tid, tgid) and per CPU aggregates
 * together, into the small temp table _rep_cpu. _sched_slices_mig = sched_slices + _migrated (the thread's
 * previous slice was on another CPU; a table in a --db database). Switches are counted from end_state_raw
 * (0 = R, 256 = R+: involuntary), which skips naming every state.
 */
async function aggregate(cap: CaptureDb, whole: boolean, since: number, until: number): Promise<void> {
  await cap.query(
    `CREATE OR REPLACE TEMP TABLE _rep_cpu AS
    SELECT grouping(cpu) = 1 AS task, tid, tgid, cpu,
           sum(in_ns) FILTER (WHERE tid <> 0) AS in_ns, sum(in_ns) FILTER (WHERE tid = 0) AS idle_ns,
           count(*) FILTER (WHERE tid <> 0) AS slices,
           count(*) FILTER (WHERE end_state_raw IS NOT NULL AND end_state_raw NOT IN (0, 256)) AS vol,
           count(*) FILTER (WHERE end_state_raw IN (0, 256)) AS invol,
           count(*) FILTER (WHERE _migrated) AS migr
    FROM (${
      whole
        ? // the whole capture: every slice lies in [start_ts, end_ts] (sched_slices clips the first and last
          // ones), so no clipping or filter (which cost a pass over the window's output)
          'SELECT *, dur AS in_ns FROM _sched_slices_mig'
        : 'SELECT *, least(end_ts, $2) - greatest(ts, $1) AS in_ns FROM _sched_slices_mig WHERE end_ts > $1 AND ts < $2'
    })
    GROUP BY GROUPING SETS ((tid, tgid), (cpu))`,
    whole ? [] : [since, until],
  );
}

/** per capture: the window _rep_cpu holds (the summary and the HTML report ask for several groupings of the same slices) */
const aggregated = new WeakMap<CaptureDb, string>();

export async function cpuReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const params: Param[] = [];
  const filt = taskFilter(o, params, { tid: 'a.tid', tgid: 'a.tgid', comm: 't.comm' });
  const by = o.by ?? 'thread';
  const span = o.until - o.since;
  const whole = o.since <= cap.startTs && o.until >= cap.endTs;
  // aggregated once per window, then named and filtered: the few task groups
  const key = `${o.since}:${o.until}`;
  if (aggregated.get(cap) !== key) await aggregate(cap, whole, o.since, o.until);
  aggregated.set(cap, key);
  const base = `
    WITH f AS (
      SELECT a.*, t.comm AS comm, pr.comm AS process_comm FROM _rep_cpu a
      LEFT JOIN threads t ON t.tid = a.tid
      LEFT JOIN processes pr ON pr.tgid = a.tgid
      WHERE a.task AND a.tid <> 0 AND ${filt}
    )`;
  const agg = `sum(in_ns) AS cpu_ns, 100.0 * sum(in_ns) / ${p(params, span)} AS cpu_pct, sum(slices)::BIGINT AS slices,
      sum(vol)::BIGINT AS voluntary_switches, sum(invol)::BIGINT AS involuntary_switches, sum(migr)::BIGINT AS migrations`;
  const group =
    by === 'thread'
      ? { sel: 'tid, any_value(tgid) AS tgid, any_value(comm) AS comm', by: 'tid' }
      : by === 'process'
        ? { sel: 'tgid, any_value(process_comm) AS comm, count(DISTINCT tid) AS threads', by: 'tgid' }
        : { sel: 'comm, count(DISTINCT tgid) AS processes, count(DISTINCT tid) AS threads', by: 'comm' };
  const rows = await cap.query(
    `${base} SELECT ${group.sel}, ${agg} FROM f GROUP BY ${group.by} ORDER BY cpu_ns DESC, ${group.by} LIMIT ${p(params, o.top)}`,
    params,
  );

  const cpus = await cap.query(
    `
    SELECT cpu, in_ns AS busy_ns, idle_ns, 100.0 * coalesce(in_ns, 0) / $1 AS busy_pct, slices
    FROM _rep_cpu WHERE NOT task ORDER BY cpu`,
    [o.until - o.since],
  );
  return {
    report: 'cpu',
    facts: { by, window_ns: span },
    sections: [
      {
        name: 'tasks',
        title: `CPU time by ${by} (top ${o.top}, window ${(span / 1e9).toFixed(3)}s)`,
        columns: [...KEY_COLS[by], ...TASK_COLS],
        rows,
      },
      {
        name: 'cpus',
        title: 'Busy time per CPU',
        columns: CPU_COLS,
        rows: cpus,
      },
    ],
    notes: [],
  };
}
