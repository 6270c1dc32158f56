/** syscalls: per syscall and per process, nested both ways (as sysnest); --hist for latency histograms. */
import type { CaptureDb, Param } from '../../analyze/db.js';
import {
  histSection,
  LOG2_BUCKET_US,
  p,
  printable,
  renderTable,
  taskFilter,
  type Col,
  type ReportOptions,
  type ReportResult,
} from '../../analyze/reports/common.js';

const STATS = `count(*) AS count, count(*) FILTER (WHERE failed) AS errors, coalesce(sum(dur), 0) AS total_ns,
  avg(dur) AS avg_ns, quantile_disc(dur, 0.99) AS p99_ns, max(dur) AS max_ns`;
const STAT_COLS = 'count, errors, total_ns, avg_ns, p99_ns, max_ns';

export async function syscallsReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const params: Param[] = [];
  const since = p(params, o.since),
    until = p(params, o.until);
  const filt = taskFilter(o, params, { tid: 's.tid', tgid: 's.tgid', comm: 'pr.comm' });
  await cap.query(
    `CREATE OR REPLACE TEMP TABLE _rep_sys AS
    SELECT s.name, s.nr, s.tgid, pr.comm, s.dur, s.failed FROM syscalls s LEFT JOIN processes pr ON pr.tgid = s.tgid
    WHERE coalesce(s.ts, s.end_ts) >= ${since} AND coalesce(s.ts, s.end_ts) <= ${until} AND ${filt}`,
    params,
  );
  // the three groupings both tables read, in one pass: per syscall (gt), per process (gn), per both
  await cap.query(
    `CREATE OR REPLACE TEMP TABLE _rep_sys_g AS
    SELECT grouping(tgid) = 1 AS gt, grouping(name) = 1 AS gn, name, tgid, any_value(nr) AS nr, any_value(comm) AS comm, count(dur) AS timed, ${STATS}
    FROM _rep_sys GROUP BY GROUPING SETS ((name), (tgid), (name, tgid))`,
  );
  const tp: Param[] = [o.top];
  const bySys = await cap.query(
    `WITH g AS (SELECT name, nr, ${STAT_COLS} FROM _rep_sys_g WHERE gt),
      sub AS (SELECT name, tgid, comm, ${STAT_COLS} FROM _rep_sys_g WHERE NOT gt AND NOT gn),
      subl AS (SELECT name, list(struct_pack(tgid, comm, count, errors, total_ns, avg_ns, p99_ns, max_ns) ORDER BY total_ns DESC, count DESC, tgid)[1:$1] AS processes FROM sub GROUP BY name)
    SELECT g.*, subl.processes FROM g JOIN subl USING (name) ORDER BY total_ns DESC, count DESC, name LIMIT $1`,
    tp,
  );
  const byProc = await cap.query(
    `WITH g AS (SELECT tgid, comm, ${STAT_COLS} FROM _rep_sys_g WHERE gn),
      sub AS (SELECT tgid, name, ${STAT_COLS} FROM _rep_sys_g WHERE NOT gt AND NOT gn),
      subl AS (SELECT tgid, list(struct_pack(name, count, errors, total_ns, avg_ns, p99_ns, max_ns) ORDER BY total_ns DESC, count DESC, name)[1:$1] AS syscalls FROM sub GROUP BY tgid)
    SELECT g.*, subl.syscalls FROM g JOIN subl USING (tgid) ORDER BY total_ns DESC, count DESC, tgid LIMIT $1`,
    tp,
  );
  const statCols: Col[] = [
    { key: 'count', unit: 'count' },
    { key: 'errors', unit: 'count' },
    { key: 'total_ns', label: 'total', unit: 'ns' },
    { key: 'avg_ns', label: 'avg', unit: 'ns' },
    { key: 'p99_ns', label: 'p99', unit: 'ns' },
    { key: 'max_ns', label: 'max', unit: 'ns' },
  ];
  // nested human rendering: parent rows, children indented
  const nest = (rows: any[], key: string, childKey: string, childLabel: (c: any) => string) => {
    const flat: any[] = [];
    for (const r of rows) {
      flat.push({ ...r, what: key === 'name' ? r.name : `${r.comm ?? '?'} (${r.tgid})` });
      for (const c of r[childKey] ?? []) flat.push({ ...c, what: `  ${childLabel(c)}` });
    }
    return renderTable([{ key: 'what', label: key === 'name' ? 'syscall / process' : 'process / syscall' }, ...statCols], flat);
  };
  const sections: ReportResult['sections'] = [
    {
      name: 'by_syscall',
      title: `Syscalls, each with its top processes (top ${o.top})`,
      columns: [{ key: 'name' }, { key: 'nr', unit: 'count' }, ...statCols],
      rows: bySys,
      text: nest(bySys, 'name', 'processes', (c) => `${c.comm ?? '?'} (${c.tgid})`),
    },
    {
      name: 'by_process',
      title: `Processes, each with its top syscalls (top ${o.top})`,
      columns: [{ key: 'tgid', unit: 'count' }, { key: 'comm' }, ...statCols],
      rows: byProc,
      text: nest(byProc, 'tgid', 'syscalls', (c) => c.name),
    },
  ];
  if (o.hist) {
    const raw = await cap.query<{ name: string; bucket: number; count: number }>(
      `SELECT name, ${LOG2_BUCKET_US('dur')} AS bucket, count(*) AS count
      FROM _rep_sys WHERE dur IS NOT NULL AND name IN (SELECT name FROM _rep_sys_g WHERE gt ORDER BY CASE WHEN timed > 0 THEN total_ns END DESC NULLS LAST, name LIMIT $1)
      GROUP BY ALL ORDER BY name, bucket`,
      tp,
    );
    const head = { name: 'histograms', title: 'Latency histograms (log2, µs)', none: '' };
    sections.push(histSection(head, raw, (r) => ({ fields: { name: r.name }, label: printable(r.name) })));
  }
  await cap.query('DROP TABLE IF EXISTS _rep_sys');
  await cap.query('DROP TABLE IF EXISTS _rep_sys_g');
  return { report: 'syscalls', sections, notes: [] };
}
