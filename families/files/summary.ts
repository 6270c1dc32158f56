/** files' part of the summary: path syscalls and their failures (only when files was recorded). */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import type { SummaryPart } from '../family.js';

export async function filesSummary(cap: CaptureDb, o: ReportOptions): Promise<SummaryPart> {
  if (!cap.manifest.options?.events?.includes('files')) return {};
  const [t] = await cap.query<any>(
    `SELECT count(*) AS calls, count(*) FILTER (WHERE failed) AS failed, count(*) FILTER (WHERE name IN ('open', 'openat', 'openat2', 'creat')) AS opens
     FROM file_calls WHERE ts BETWEEN $1 AND $2`,
    [o.since, o.until],
  );
  return {
    facts: [{ fact: 'Path syscalls', value: `${t.calls} calls (${t.opens} opens), ${t.failed} failed` }],
    json: { files: { calls: t.calls, opens: t.opens, failed: t.failed } },
  };
}
