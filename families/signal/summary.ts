/** signal's part of the summary: the top sender → target pairs, and OOM kills (only when there were any). */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import type { SummaryPart } from '../family.js';

export async function signalSummary(cap: CaptureDb, o: ReportOptions): Promise<SummaryPart> {
  const top = await cap.query(
    `SELECT sender_tgid, any_value(sender_comm) AS sender_comm, target_tgid, any_value(target_comm) AS target_comm, signal,
      count(*) AS count, count(*) FILTER (WHERE delivered) AS delivered, count(*) FILTER (WHERE result_name = 'ignored') AS ignored
    FROM signals WHERE ts BETWEEN $1 AND $2 GROUP BY sender_tgid, target_tgid, signal, sig
    ORDER BY count DESC, sender_tgid, target_tgid, sig LIMIT $3`,
    [o.since, o.until, Math.min(o.top, 10)],
  );
  const [oom] = await cap.query<any>('SELECT count(*) AS count FROM oom_kills WHERE ts BETWEEN $1 AND $2', [o.since, o.until]);
  const part: SummaryPart = {};
  if (top.length) {
    part.sections = [
      {
        name: 'top_signals',
        title: 'Signals (sender process → target process)',
        columns: [
          { key: 'sender_tgid', label: 'sender', unit: 'count' },
          { key: 'sender_comm', label: 'comm' },
          { key: 'target_tgid', label: 'target', unit: 'count' },
          { key: 'target_comm', label: 'comm' },
          { key: 'signal' },
          { key: 'count', unit: 'count' },
          { key: 'delivered', unit: 'count' },
          { key: 'ignored', unit: 'count' },
        ],
        rows: top,
      },
    ];
  }
  if (Number(oom.count)) {
    part.facts = [{ fact: 'OOM kills', value: String(oom.count) }];
    part.json = { oom_kills: oom.count };
  }
  return part;
}
