/**
 * cache: page cache per process and per file (read hits, read misses, write hits and misses, pages dirtied, hit
 * ratio: cacheraw, cachestat, cachetop), next to /proc/meminfo Cached and Buffers at the start and the end. SQL
 * over cache_pages (families/cache/sql/cache.sql, where the rule is); this only counts its classes and renders.
 */
import type { CaptureDb, Param } from '../../analyze/db.js';
import { noEventsNote, p, taskFilter, type Col, type ReportOptions, type ReportResult } from '../../analyze/reports/common.js';

/** the counts of a group of cache_pages rows (c), and of fault-around ranges (m) */
const COUNTS = `count(*) FILTER (WHERE c.class = 'read_hit') AS read_hits, count(*) FILTER (WHERE c.class = 'read_miss') AS read_misses,
  count(*) FILTER (WHERE c.class = 'write_hit') AS write_hits, count(*) FILTER (WHERE c.class = 'write_miss') AS write_misses,
  count(*) FILTER (WHERE c.event = 'dirty') AS dirtied, count(*) FILTER (WHERE c.event IN ('read', 'fault')) AS read_pages`;
const RATIO = `CASE WHEN read_hits + read_misses > 0 THEN read_hits / (read_hits + read_misses) END`;

const COUNT_COLS: Col[] = [
  { key: 'read_hits', label: 'R hits', unit: 'count' },
  { key: 'read_misses', label: 'R misses', unit: 'count' },
  { key: 'hit_pct', label: 'hit %', unit: 'pct' },
  { key: 'write_hits', label: 'W hits', unit: 'count' },
  { key: 'write_misses', label: 'W misses', unit: 'count' },
  { key: 'dirtied', unit: 'count' },
  { key: 'read_pages', label: 'read', unit: 'count' },
  { key: 'fault_around_pages', label: 'fault-around', unit: 'count' },
];
const PROC_COLS: Col[] = [{ key: 'tgid', unit: 'count' }, { key: 'comm' }, ...COUNT_COLS, { key: 'files', unit: 'count' }];
const FILE_COLS: Col[] = [{ key: 'tgid', unit: 'count' }, { key: 'comm' }, { key: 'device' }, { key: 'ino', unit: 'count' }, ...COUNT_COLS];
const MEM_COLS: Col[] = [
  { key: 'phase' },
  { key: 'ts', unit: 'ts' },
  { key: 'cached_bytes', label: 'Cached', unit: 'bytes' },
  { key: 'buffers_bytes', label: 'Buffers', unit: 'bytes' },
];

/** per (tgid, dev, ino) in the window and filter: the page classes and the fault-around pages */
function perFileSql(where: string): string {
  return `WITH c AS (SELECT c.*, pr.comm FROM cache_pages c LEFT JOIN processes pr ON pr.tgid = c.tgid),
    m AS (SELECT r.tgid, r.tid, r.dev, r.ino, r.ts, greatest(r.hi - r.lo + 1, 0) AS pages, pr.comm FROM _cache_rng r LEFT JOIN processes pr ON pr.tgid = r.tgid WHERE r.event = 3),
    k AS (SELECT tgid, dev, ino, any_value(comm) AS comm, ${COUNTS} FROM c WHERE ${where} GROUP BY tgid, dev, ino),
    f AS (SELECT tgid, dev, ino, any_value(comm) AS comm, sum(pages)::BIGINT AS fault_around_pages FROM m WHERE ${where} GROUP BY tgid, dev, ino)
  SELECT coalesce(k.tgid, f.tgid) AS tgid, coalesce(k.comm, f.comm) AS comm, coalesce(k.dev, f.dev) AS dev, coalesce(k.ino, f.ino) AS ino,
    coalesce(read_hits, 0) AS read_hits, coalesce(read_misses, 0) AS read_misses, coalesce(write_hits, 0) AS write_hits,
    coalesce(write_misses, 0) AS write_misses, coalesce(dirtied, 0) AS dirtied, coalesce(read_pages, 0) AS read_pages,
    coalesce(fault_around_pages, 0) AS fault_around_pages
  FROM k FULL JOIN f ON f.tgid = k.tgid AND f.dev = k.dev AND f.ino = k.ino`;
}

const SUMS = `sum(read_hits)::BIGINT AS read_hits, sum(read_misses)::BIGINT AS read_misses, sum(write_hits)::BIGINT AS write_hits,
  sum(write_misses)::BIGINT AS write_misses, sum(dirtied)::BIGINT AS dirtied, sum(read_pages)::BIGINT AS read_pages,
  sum(fault_around_pages)::BIGINT AS fault_around_pages`;
const ORDER = 'read_hits + read_misses + dirtied DESC';

export async function cacheReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const note = noEventsNote(cap, 'cache');
  if (note) return { report: 'cache', sections: [], notes: [note] };
  const params: Param[] = [];
  const where = `ts >= ${p(params, o.since)} AND ts <= ${p(params, o.until)} AND ${taskFilter(o, params, { tid: 'tid', tgid: 'tgid', comm: 'comm' })}`;
  const top = p(params, o.top);
  const files = perFileSql(where);
  const byProc = await cap.query(
    `SELECT *, ${RATIO} AS hit_ratio, 100 * ${RATIO} AS hit_pct
     FROM (SELECT tgid, any_value(comm) AS comm, ${SUMS}, count(*) AS files FROM (${files}) GROUP BY tgid) ORDER BY ${ORDER}, tgid LIMIT ${top}`,
    params,
  );
  const byFile = await cap.query(
    `SELECT tgid, comm, (dev >> 20) || ':' || (dev & 1048575) AS device, dev, ino, read_hits, read_misses, write_hits, write_misses, dirtied,
       read_pages, fault_around_pages, ${RATIO} AS hit_ratio, 100 * ${RATIO} AS hit_pct
     FROM (${files}) ORDER BY ${ORDER}, tgid, dev, ino LIMIT ${top}`,
    params,
  );
  const meminfo = await cap.query('SELECT phase, ts, cached_bytes, buffers_bytes FROM cache_meminfo');
  return {
    report: 'cache',
    sections: [
      { name: 'meminfo', title: 'System page cache (/proc/meminfo) at the start and the end of the recording', columns: MEM_COLS, rows: meminfo },
      { name: 'by_process', title: `Page cache per process, in pages (top ${o.top} by read hits + misses + dirtied)`, columns: PROC_COLS, rows: byProc },
      { name: 'by_file', title: `Per process and file (top ${o.top}; device is the file system's major:minor)`, columns: FILE_COLS, rows: byFile },
    ],
    notes: [],
  };
}
