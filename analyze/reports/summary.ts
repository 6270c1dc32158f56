/**
 * summary: capture facts, event counts and losses, then each family's part (families/<family>/summary.ts).
 * `skip`: families whose part is not computed (the HTML report shows their own sections instead).
 */
import type { CaptureDb } from '../db.js';
import type { ReportOptions, ReportResult } from './common.js';
import { FAMILIES } from '../../families/index.js';

export async function summaryReport(cap: CaptureDb, o: ReportOptions, skip: readonly string[] = []): Promise<ReportResult> {
  const [c] = await cap.query<any>('SELECT * FROM capture');
  const counts = await cap.query('SELECT table_name, events FROM event_counts ORDER BY table_name');
  const losses = await cap.query(
    'SELECT kind, cpu, sum(count) AS events_lost, count(*) AS windows, min(ts_start) AS first_ts, max(ts_end) AS last_ts FROM losses GROUP BY ALL ORDER BY events_lost DESC, kind, cpu',
  );
  const [{ truncated }] = await cap.query<{ truncated: number }>(`SELECT coalesce(sum(count), 0) AS truncated FROM losses WHERE reason = 'truncated'`);
  const parts = [];
  for (const f of FAMILIES) if (f.summary && !skip.includes(f.name)) parts.push(await (await f.summary())(cap, o));
  const killed = !cap.manifest.complete ? 'recorder killed; end is the last event' : null;
  const damaged = Number(truncated) ? `${truncated} rows missing from damaged files, see Losses` : null;
  const facts = [
    { fact: 'host', value: `${c.hostname} ${c.machine} ${c.cpus} CPUs, kernel ${c.kernel_release}` },
    { fact: 'duration', value: `${(Number(c.dur) / 1e9).toFixed(3)}s (ts ${c.start_ts} .. ${c.end_ts})` },
    { fact: 'complete', value: c.complete ? 'yes' : `no (${[killed, damaged].filter(Boolean).join('; ') || 'recorder killed'})` },
    { fact: 'workload', value: c.workload_tgid === null ? '-' : String(c.workload_tgid) },
    ...parts.flatMap((p) => p.facts ?? []),
  ];
  return {
    report: 'summary',
    facts: Object.assign({ capture: c }, ...parts.map((p) => p.json ?? {})),
    sections: [
      { name: 'facts', title: 'Capture', columns: [{ key: 'fact' }, { key: 'value' }], rows: facts },
      {
        name: 'events',
        title: 'Events',
        columns: [
          { key: 'table_name', label: 'table' },
          { key: 'events', unit: 'count' },
        ],
        rows: counts,
      },
      {
        name: 'losses',
        title: 'Losses',
        columns: [{ key: 'kind' }, { key: 'cpu', unit: 'count' }, { key: 'events_lost', label: 'lost', unit: 'count' }, { key: 'windows', unit: 'count' }],
        rows: losses,
      },
      ...parts.flatMap((p) => p.sections ?? []),
    ],
    notes: parts.flatMap((p) => p.notes ?? []),
  };
}
