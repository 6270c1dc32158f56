/** cache's part of the summary: page cache read hits, misses and pages dirtied, and the top processes (only when cache was recorded). */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import type { SummaryPart } from '../family.js';

export async function cacheSummary(cap: CaptureDb, o: ReportOptions): Promise<SummaryPart> {
  if (!cap.manifest.options?.events?.includes('cache')) return {};
  const counts = `count(*) FILTER (WHERE class = 'read_hit') AS read_hits, count(*) FILTER (WHERE class = 'read_miss') AS read_misses,
    count(*) FILTER (WHERE event = 'dirty') AS dirtied`;
  const w = [o.since, o.until];
  const [t] = await cap.query<any>(`SELECT ${counts} FROM cache_pages WHERE ts BETWEEN $1 AND $2`, w);
  const top = await cap.query(
    `SELECT c.tgid, any_value(pr.comm) AS comm, ${counts} FROM cache_pages c LEFT JOIN processes pr ON pr.tgid = c.tgid
     WHERE c.ts BETWEEN $1 AND $2 GROUP BY c.tgid ORDER BY read_hits + read_misses + dirtied DESC, c.tgid LIMIT $3`,
    [...w, Math.min(o.top, 10)],
  );
  const n = Number(t.read_hits) + Number(t.read_misses);
  const pct = n ? ` (${((100 * Number(t.read_hits)) / n).toFixed(1)}% hits)` : '';
  return {
    facts: [{ fact: 'Page cache', value: `${t.read_hits} read hits, ${t.read_misses} misses${pct}, ${t.dirtied} dirtied (pages)` }],
    json: { cache: { read_hits: t.read_hits, read_misses: t.read_misses, dirtied: t.dirtied } },
    sections: top.length
      ? [
          {
            name: 'top_cache',
            title: 'Page cache by process (pages)',
            columns: [
              { key: 'tgid', unit: 'count' },
              { key: 'comm' },
              { key: 'read_hits', label: 'R hits', unit: 'count' },
              { key: 'read_misses', label: 'R misses', unit: 'count' },
              { key: 'dirtied', unit: 'count' },
            ],
            rows: top,
          },
        ]
      : [],
  };
}
