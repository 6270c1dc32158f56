/** io's part of the summary: block requests and bytes, and the top submitting processes (only when io was recorded). */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { fmtBytes } from '../../formats/units.js';
import type { SummaryPart } from '../family.js';

export async function ioSummary(cap: CaptureDb, o: ReportOptions): Promise<SummaryPart> {
  if (!cap.manifest.options?.events?.includes('io')) return {};
  const w = [o.since, o.until];
  const [t] = await cap.query<any>('SELECT count(*) AS requests, coalesce(sum(bytes), 0) AS bytes FROM io_requests WHERE ts BETWEEN $1 AND $2', w);
  const top = await cap.query(
    `SELECT tgid, any_value(comm) AS comm, count(*) AS requests,
      coalesce(sum(bytes) FILTER (WHERE kind = 'read'), 0) AS read_bytes, coalesce(sum(bytes) FILTER (WHERE kind = 'write'), 0) AS write_bytes
    FROM io_requests WHERE ts BETWEEN $1 AND $2 GROUP BY tgid ORDER BY read_bytes + write_bytes DESC, requests DESC, tgid NULLS LAST LIMIT $3`,
    [...w, Math.min(o.top, 10)],
  );
  return {
    facts: [{ fact: 'Block I/O', value: `${t.requests} requests, ${fmtBytes(Number(t.bytes))}` }],
    json: { io: { requests: t.requests, bytes: t.bytes } },
    sections: top.length
      ? [
          {
            name: 'top_io',
            title: 'Block I/O by submitting process',
            columns: [
              { key: 'tgid', unit: 'count' },
              { key: 'comm' },
              { key: 'requests', unit: 'count' },
              { key: 'read_bytes', label: 'read', unit: 'bytes' },
              { key: 'write_bytes', label: 'written', unit: 'bytes' },
            ],
            rows: top,
          },
        ]
      : [],
  };
}
