/** cpu: CPU time per thread/process/comm, switches, migrations; busy time per CPU. */
import type { CaptureDb, Param } from '../db.js';
import { taskFilter, p, type ReportOptions, type ReportResult } from './common.js';

export async function cpuReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const params: Param[] = [];
  const since = p(params, o.since), until = p(params, o.until);
  const filt = taskFilter(o, params, { tid: 'a.tid', tgid: 'a.tgid', comm: 't.comm' });
  const by = o.by ?? 'thread';
  const span = o.until - o.since;
  // Aggregate the slices per (tid, tgid) first, then name and filter the few groups.
  // _sched_slices_mig = sched_slices + prev_cpu (the thread's previous slice's CPU; a table in a --db database).
  const base = `
    WITH a AS (
      SELECT tid, tgid, sum(least(end_ts, ${until}) - greatest(ts, ${since})) AS in_ns, count(*) AS slices,
             count(*) FILTER (WHERE end_state IS NOT NULL AND end_state NOT IN ('R', 'R+')) AS vol,
             count(*) FILTER (WHERE end_state IN ('R', 'R+')) AS invol,
             count(*) FILTER (WHERE prev_cpu IS NOT NULL AND prev_cpu <> cpu) AS migr
      FROM _sched_slices_mig WHERE tid <> 0 AND end_ts > ${since} AND ts < ${until}
      GROUP BY tid, tgid
    ), f AS (
      SELECT a.*, t.comm AS comm, pr.comm AS process_comm FROM a
      LEFT JOIN threads t ON t.tid = a.tid
      LEFT JOIN processes pr ON pr.tgid = a.tgid
      WHERE ${filt}
    )`;
  const agg = `sum(in_ns) AS cpu_ns, 100.0 * sum(in_ns) / ${p(params, span)} AS cpu_pct, sum(slices)::BIGINT AS slices,
      sum(vol)::BIGINT AS voluntary_switches, sum(invol)::BIGINT AS involuntary_switches, sum(migr)::BIGINT AS migrations`;
  const group = by === 'thread' ? { sel: 'tid, any_value(tgid) AS tgid, any_value(comm) AS comm', by: 'tid' }
    : by === 'process' ? { sel: 'tgid, any_value(process_comm) AS comm, count(DISTINCT tid) AS threads', by: 'tgid' }
    : { sel: 'comm, count(DISTINCT tgid) AS processes, count(DISTINCT tid) AS threads', by: 'comm' };
  const rows = await cap.query(`${base} SELECT ${group.sel}, ${agg} FROM f GROUP BY ${group.by} ORDER BY cpu_ns DESC, ${group.by} LIMIT ${p(params, o.top)}`, params);

  const cparams: Param[] = [o.since, o.until, o.until - o.since];
  const cpus = await cap.query(`
    SELECT cpu, sum(least(end_ts, $2) - greatest(ts, $1)) FILTER (WHERE tid <> 0) AS busy_ns,
           sum(least(end_ts, $2) - greatest(ts, $1)) FILTER (WHERE tid = 0) AS idle_ns,
           100.0 * coalesce(sum(least(end_ts, $2) - greatest(ts, $1)) FILTER (WHERE tid <> 0), 0) / $3 AS busy_pct,
           count(*) FILTER (WHERE tid <> 0) AS slices
    FROM sched_slices WHERE end_ts > $1 AND ts < $2 GROUP BY cpu ORDER BY cpu`, cparams);
  const keyCols = by === 'thread' ? [{ key: 'tid', unit: 'count' as const }, { key: 'tgid', unit: 'count' as const }, { key: 'comm' }]
    : by === 'process' ? [{ key: 'tgid', unit: 'count' as const }, { key: 'comm' }, { key: 'threads', unit: 'count' as const }]
    : [{ key: 'comm' }, { key: 'processes', unit: 'count' as const }, { key: 'threads', unit: 'count' as const }];
  return {
    report: 'cpu',
    facts: { by, window_ns: span },
    sections: [
      {
        name: 'tasks', title: `CPU time by ${by} (top ${o.top}, window ${(span / 1e9).toFixed(3)}s)`,
        columns: [...keyCols, { key: 'cpu_ns', label: 'cpu', unit: 'ns' }, { key: 'cpu_pct', label: '%', unit: 'pct' },
          { key: 'slices', unit: 'count' }, { key: 'voluntary_switches', label: 'vol', unit: 'count' },
          { key: 'involuntary_switches', label: 'invol', unit: 'count' }, { key: 'migrations', label: 'migr', unit: 'count' }],
        rows,
      },
      {
        name: 'cpus', title: 'Busy time per CPU',
        columns: [{ key: 'cpu', unit: 'count' }, { key: 'busy_ns', label: 'busy', unit: 'ns' }, { key: 'idle_ns', label: 'idle', unit: 'ns' },
          { key: 'busy_pct', label: 'busy%', unit: 'pct' }, { key: 'slices', unit: 'count' }],
        rows: cpus,
      },
    ],
    notes: [],
  };
}
