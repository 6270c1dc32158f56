/** syscall's part of the summary: the top system calls. */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import type { SummaryPart } from '../family.js';

export async function syscallSummary(cap: CaptureDb, o: ReportOptions): Promise<SummaryPart> {
  const sys = await cap.query(
    `SELECT name, count(*) AS count, count(*) FILTER (WHERE failed) AS errors, coalesce(sum(dur), 0) AS total_ns
    FROM syscalls WHERE coalesce(ts, end_ts) BETWEEN $1 AND $2 GROUP BY name ORDER BY count DESC, name LIMIT $3`,
    [o.since, o.until, Math.min(o.top, 10)],
  );
  return {
    sections: [
      {
        name: 'top_syscalls',
        title: 'Top syscalls',
        columns: [{ key: 'name' }, { key: 'count', unit: 'count' }, { key: 'errors', unit: 'count' }, { key: 'total_ns', label: 'total', unit: 'ns' }],
        rows: sys,
      },
    ],
  };
}
