/** fault's part of the summary: page faults by class, and the top faulting processes (only when fault was recorded). */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import type { SummaryPart } from '../family.js';

export async function faultSummary(cap: CaptureDb, o: ReportOptions): Promise<SummaryPart> {
  if (!cap.manifest.options?.events?.includes('fault')) return {};
  const w = [o.since, o.until];
  const [t] = await cap.query<any>(
    `SELECT count(*) AS faults, count(*) FILTER (WHERE class = 'minor') AS minor, count(*) FILTER (WHERE class = 'major') AS major
     FROM faults WHERE ts BETWEEN $1 AND $2`,
    w,
  );
  const top = await cap.query(
    `SELECT f.tgid, any_value(pr.comm) AS comm, count(*) FILTER (WHERE class = 'minor') AS minor, count(*) FILTER (WHERE class = 'major') AS major
     FROM faults f LEFT JOIN processes pr ON pr.tgid = f.tgid WHERE f.ts BETWEEN $1 AND $2
     GROUP BY f.tgid ORDER BY minor + major DESC, f.tgid LIMIT $3`,
    [...w, Math.min(o.top, 10)],
  );
  return {
    facts: [{ fact: 'Page faults', value: `${t.faults} (${t.minor} minor, ${t.major} major)` }],
    json: { faults: { faults: t.faults, minor: t.minor, major: t.major } },
    sections: top.length
      ? [
          {
            name: 'top_faults',
            title: 'Page faults by process',
            columns: [{ key: 'tgid', unit: 'count' }, { key: 'comm' }, { key: 'minor', unit: 'count' }, { key: 'major', unit: 'count' }],
            rows: top,
          },
        ]
      : [],
  };
}
