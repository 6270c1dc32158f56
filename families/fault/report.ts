/**
 * faults: page faults per process (minor and major, in total and per second: pagefault), the top faulting code
 * addresses (kernel ips symbolized with the capture's kallsyms) and the top files of faults on file mappings.
 * SQL over the faults view (families/fault/sql/faults.sql, where the classification and file rules are); this
 * only renders.
 */
import type { CaptureDb, Param } from '../../analyze/db.js';
import { noEventsNote, p, taskFilter, type Col, type ReportOptions, type ReportResult } from '../../analyze/reports/common.js';

const COUNTS = `count(*) FILTER (WHERE class = 'minor') AS minor, count(*) FILTER (WHERE class = 'major') AS major,
  count(*) FILTER (WHERE class = 'none') AS not_counted, count(*) FILTER (WHERE class = 'unknown') AS unknown, count(*) AS faults`;
const PROC_COLS: Col[] = [
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'minor', unit: 'count' },
  { key: 'major', unit: 'count' },
  { key: 'minor_per_s', label: 'minor/s' },
  { key: 'major_per_s', label: 'major/s' },
  { key: 'kernel_mode', label: 'in kernel', unit: 'count' },
  { key: 'not_counted', label: 'not counted', unit: 'count' },
  { key: 'unknown', unit: 'count' },
  { key: 'counted_min', label: 'd_min', unit: 'count' },
  { key: 'counted_maj', label: 'd_maj', unit: 'count' },
];
const IP_COLS: Col[] = [
  { key: 'ip' },
  { key: 'symbol' },
  { key: 'faults', unit: 'count' },
  { key: 'minor', unit: 'count' },
  { key: 'major', unit: 'count' },
  { key: 'processes', unit: 'count' },
  { key: 'comm' },
];
const FILE_COLS: Col[] = [
  { key: 'file' },
  { key: 'faults', unit: 'count' },
  { key: 'minor', unit: 'count' },
  { key: 'major', unit: 'count' },
  { key: 'pages', unit: 'count' },
  { key: 'processes', unit: 'count' },
];
const FILE_NOTE =
  "files: a fault is tied to a file when its handling looked the file's pages up (filemap_fault or its fault-around); anonymous, tmpfs/shmem and copy-on-write faults of mapped pages have no file";

export async function faultReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const note = noEventsNote(cap, 'fault');
  if (note) return { report: 'faults', sections: [], notes: [note] };
  const params: Param[] = [];
  const where = `f.ts >= ${p(params, o.since)} AND f.ts <= ${p(params, o.until)} AND ${taskFilter(o, params, { tid: 'f.tid', tgid: 'f.tgid', comm: 'pr.comm' })}`;
  const top = p(params, o.top);
  const from = `FROM faults f LEFT JOIN processes pr ON pr.tgid = f.tgid WHERE ${where}`;
  const procParams = [...params];
  const secs = p(procParams, Math.max(1, o.until - o.since) / 1e9);
  const byProc = await cap.query(
    `SELECT f.tgid, any_value(pr.comm) AS comm, ${COUNTS}, round(minor / ${secs}, 1) AS minor_per_s, round(major / ${secs}, 1) AS major_per_s,
       count(*) FILTER (WHERE NOT f.user) AS kernel_mode, coalesce(sum(d_min), 0) AS counted_min, coalesce(sum(d_maj), 0) AS counted_maj
     ${from} GROUP BY f.tgid ORDER BY minor + major DESC, faults DESC, f.tgid LIMIT ${top}`,
    procParams,
  );
  const byIp = await cap.query(
    `SELECT printf('0x%x', f.ip) AS ip, any_value(f.symbol) AS symbol, ${COUNTS}, count(DISTINCT f.tgid) AS processes, min(pr.comm) AS comm
     ${from} GROUP BY f.ip ORDER BY faults DESC, f.ip LIMIT ${top}`,
    params,
  );
  const byFile = await cap.query(
    `SELECT any_value(f.file) AS file, ${COUNTS}, count(DISTINCT f.page) AS pages, count(DISTINCT f.tgid) AS processes
     ${from} AND f.ino IS NOT NULL GROUP BY f.dev, f.ino ORDER BY faults DESC, file LIMIT ${top}`,
    params,
  );
  return {
    report: 'faults',
    sections: [
      {
        name: 'by_process',
        title: `Page faults per process (top ${o.top}; per second of the window; d_min/d_maj: the counters' own moves)`,
        columns: PROC_COLS,
        rows: byProc,
      },
      { name: 'by_ip', title: `Top faulting code addresses (top ${o.top}; kernel ips symbolized)`, columns: IP_COLS, rows: byIp },
      { name: 'by_file', title: `Top files of faults on file mappings (top ${o.top})`, columns: FILE_COLS, rows: byFile },
    ],
    notes: [FILE_NOTE],
  };
}
