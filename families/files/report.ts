/**
 * files (opensnoop): per process, the paths opened (open, openat, openat2, creat) with count, errors by errno and
 * latency; errors by errno over every path syscall; execs with their argv; the other path syscalls per name. SQL
 * over the file_calls view (families/files/sql/file_calls.sql, where the pairing rules are); this only renders.
 * Paths are capture data: they reach SQL only as values, and the human renderer escapes them (printable()).
 */
import type { CaptureDb, Param } from '../../analyze/db.js';
import { noEventsNote, p, taskFilter, type Col, type ReportOptions, type ReportResult } from '../../analyze/reports/common.js';

const OPENS = "name IN ('open', 'openat', 'openat2', 'creat')";
const LAT = `quantile_disc(dur, 0.5) AS p50_ns, quantile_disc(dur, 0.99) AS p99_ns, max(dur) AS max_ns`;
/** rows of _rep_files grouped by `keys`, with errnos: "ENOENT 3, EACCES 1" (the group's errors, most frequent first) */
const grouped = (keys: string[], cond: string, select: string) => {
  const on = keys.map((k) => `es.${k} IS NOT DISTINCT FROM g.${k}`).join(' AND ');
  return `WITH g AS (SELECT ${keys.join(', ')}, ${select} FROM _rep_files WHERE ${cond} GROUP BY ${keys.join(', ')}),
    e AS (SELECT ${keys.join(', ')}, error, count(*) AS n FROM _rep_files WHERE ${cond} AND failed GROUP BY ALL),
    es AS (SELECT ${keys.join(', ')}, string_agg(error || ' ' || n, ', ' ORDER BY n DESC, error) AS errnos FROM e GROUP BY ALL)
    SELECT g.*, es.errnos FROM g LEFT JOIN es ON ${on}`;
};

const OPEN_COLS: Col[] = [
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'count', unit: 'count' },
  { key: 'errors', unit: 'count' },
  { key: 'errnos', label: 'errors by errno' },
  { key: 'p50_ns', label: 'p50', unit: 'ns' },
  { key: 'p99_ns', label: 'p99', unit: 'ns' },
  { key: 'max_ns', label: 'max', unit: 'ns' },
  { key: 'cut', unit: 'count' },
  { key: 'path' },
];
const ERR_COLS: Col[] = [
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'name', label: 'syscall' },
  { key: 'error' },
  { key: 'errno', unit: 'count' },
  { key: 'count', unit: 'count' },
];
const EXEC_COLS: Col[] = [
  { key: 'ts', unit: 'ts' },
  { key: 'tgid', unit: 'count' },
  { key: 'comm' },
  { key: 'ret', unit: 'count' },
  { key: 'error' },
  { key: 'path' },
  { key: 'argv' },
];
const SYS_COLS: Col[] = [
  { key: 'name', label: 'syscall' },
  { key: 'count', unit: 'count' },
  { key: 'errors', unit: 'count' },
  { key: 'errnos', label: 'errors by errno' },
  { key: 'p50_ns', label: 'p50', unit: 'ns' },
  { key: 'p99_ns', label: 'p99', unit: 'ns' },
  { key: 'max_ns', label: 'max', unit: 'ns' },
];

/** notes: calls without a return, paths cut or unreadable */
async function facts(cap: CaptureDb, where: string, params: Param[]): Promise<string[]> {
  const [f] = await cap.query<any>(
    `SELECT count(*) AS calls, count(*) FILTER (WHERE end_ts IS NULL) AS open_calls,
       count(*) FILTER (WHERE path_cut OR coalesce(path2_cut, false)) AS cut,
       count(*) FILTER (WHERE path_error <> 0) AS unreadable, count(*) FILTER (WHERE lossy) AS lossy
     FROM _rep_files WHERE ${where}`,
    params,
  );
  const notes: string[] = [];
  if (Number(f.open_calls))
    notes.push(`${f.open_calls} of ${f.calls} calls have no return in the capture (still running at its end, or the task was killed): counted, not timed`);
  if (Number(f.cut)) notes.push(`${f.cut} calls have a path longer than 256 bytes, cut there (column cut)`);
  if (Number(f.unreadable)) notes.push(`${f.unreadable} calls have a path that could not be read (a bad pointer, or a page not resident): path ""`);
  if (Number(f.lossy)) notes.push(`${f.lossy} calls have a path with bytes that are not UTF-8, shown as U+FFFD`);
  return notes;
}

export async function filesReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const note = noEventsNote(cap, 'files');
  if (note) return { report: 'files', sections: [], notes: [note] };
  const params: Param[] = [];
  const where = `ts >= ${p(params, o.since)} AND ts <= ${p(params, o.until)} AND ${taskFilter(o, params, { tid: 'tid', tgid: 'tgid', comm: 'comm' })}`;
  await cap.query(`CREATE OR REPLACE TEMP TABLE _rep_files AS SELECT * FROM file_calls WHERE ${where}`, params);
  const tp: Param[] = [o.top];
  const opens = await cap.query(
    `${grouped(['tgid', 'path'], OPENS, `any_value(comm) AS comm, count(*) AS count, count(*) FILTER (WHERE failed) AS errors, ${LAT}, count(*) FILTER (WHERE path_cut) AS cut`)}
     ORDER BY count DESC, errors DESC, tgid, path LIMIT $1`,
    tp,
  );
  const errors = await cap.query(
    `SELECT tgid, any_value(comm) AS comm, name, error, errno, count(*) AS count FROM _rep_files WHERE failed
     GROUP BY tgid, name, error, errno ORDER BY count DESC, tgid, name, error LIMIT $1`,
    tp,
  );
  const execs = await cap.query(
    `SELECT ts, tgid, comm, ret, error, path, argv, argv_cut, argv_more, path_cut FROM _rep_files WHERE name IN ('execve', 'execveat')
     ORDER BY ts LIMIT $1`,
    tp,
  );
  const bySys = await cap.query(
    `${grouped(['name'], 'true', `count(*) AS count, count(*) FILTER (WHERE failed) AS errors, ${LAT}`)} ORDER BY count DESC, name LIMIT $1`,
    tp,
  );
  return {
    report: 'files',
    sections: [
      { name: 'opens', title: `Paths opened, per process (open, openat, openat2, creat; top ${o.top} by count)`, columns: OPEN_COLS, rows: opens },
      { name: 'errors', title: 'Errors of path syscalls, per process and errno', columns: ERR_COLS, rows: errors },
      { name: 'execs', title: 'Execs with their arguments', columns: EXEC_COLS, rows: execs },
      { name: 'by_syscall', title: 'Path syscalls', columns: SYS_COLS, rows: bySys },
    ],
    notes: await facts(cap, 'true', []),
  };
}
