/** leaks: kernel allocations outstanding at the end (or --at T), grouped by symbolized stack, as memleak. */
import type { CaptureDb, Param } from '../../analyze/db.js';
import { fmtBytes, fmtNs, p, printable, taskFilter, type ReportOptions, type ReportResult } from '../../analyze/reports/common.js';

export async function leaksReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const at = o.at ?? cap.endTs;
  const params: Param[] = [];
  const atp = p(params, at),
    since = p(params, o.since);
  const minAge = p(params, o.minAge ?? 0);
  const filt = taskFilter(o, params, { tid: 'a.tid', tgid: 'a.tgid', comm: 't.comm' });
  const top = p(params, o.top);
  const rows = await cap.query<any>(
    `WITH a AS (
      SELECT a.* FROM allocations a LEFT JOIN threads t ON t.tid = a.tid
      WHERE a.ts <= ${atp} AND a.ts >= ${since} AND (a.free_ts > ${atp} OR (a.free_ts IS NULL AND a.outstanding))
        AND ${atp} - a.ts >= ${minAge} AND ${filt}
    ), g AS (
      SELECT CASE WHEN stack_id >= 0 THEN stack_id END AS stack_id,
             CASE WHEN stack_id < 0 THEN call_site_symbol END AS site,
             sum(bytes) AS bytes, count(*) AS count, min(ts) AS oldest_ts, any_value(call_site_symbol) AS call_site_symbol,
             list(DISTINCT kind ORDER BY kind) AS kinds
      FROM a GROUP BY 1, 2
    )
    SELECT g.stack_id, g.bytes, g.count, ${atp} - g.oldest_ts AS oldest_age_ns, g.call_site_symbol, g.kinds,
           coalesce(s.frames, ['[no stack] ' || coalesce(g.site, '?')]) AS frames,
           coalesce(s.folded, '[no stack];' || coalesce(g.site, '?')) AS folded
    FROM g LEFT JOIN stacks s ON s.stack_id = g.stack_id
    ORDER BY bytes DESC, count DESC, folded LIMIT ${top}`,
    params,
  );
  const [tot] = await cap.query<any>(
    `SELECT coalesce(sum(bytes), 0) AS bytes, count(*) AS count FROM allocations
    WHERE ts <= $1 AND ts >= $2 AND (free_ts > $1 OR (free_ts IS NULL AND outstanding)) AND $1 - ts >= $3`,
    [at, o.since, o.minAge ?? 0],
  );
  // stacks lost to bucket clashes in both stack maps (stats.stack_collisions) or to errors: never silent
  const [ns] = await cap.query<any>(
    `SELECT count(*) FILTER (WHERE stack_id = -17) AS clash, count(*) FILTER (WHERE stack_id < -1 AND stack_id <> -17) AS err FROM _kmem_alloc`,
  );
  const lost = Number(ns.clash) + Number(ns.err);
  const notes = lost
    ? [`${lost} allocations in the capture have no kernel stack (${ns.clash} stack-map bucket clashes, ${ns.err} errors; stats stack_collisions, stack_errors)`]
    : [];
  const text = rows
    .map(
      (r) =>
        printable(`${fmtBytes(Number(r.bytes))} in ${r.count} allocations (oldest ${fmtNs(Number(r.oldest_age_ns))}) from ${r.call_site_symbol ?? '?'}`) +
        '\n' +
        (r.frames as string[])
          .slice(0, 16)
          .map((f) => `    ${printable(f)}`)
          .join('\n'),
    )
    .join('\n\n');
  return {
    report: 'leaks',
    facts: { at_ts: at, min_age_ns: o.minAge ?? 0, outstanding: { bytes: tot.bytes, count: tot.count } },
    sections: [
      {
        name: 'stacks',
        title: `Outstanding allocations at +${fmtNs(at - cap.startTs)} by kernel stack (top ${o.top}; total ${fmtBytes(Number(tot.bytes))} in ${tot.count})`,
        columns: [
          { key: 'bytes', unit: 'bytes' },
          { key: 'count', unit: 'count' },
          { key: 'oldest_age_ns', label: 'oldest', unit: 'ns' },
          { key: 'call_site_symbol', label: 'call site' },
          { key: 'stack_id', unit: 'count' },
        ],
        rows: rows.map(({ folded, ...r }) => ({ ...r, folded })),
        text: text || '  (none)',
      },
    ],
    notes,
  };
}

/** flamegraph.pl input: "outer;...;inner bytes" (one stack per line: control characters escaped) */
export function foldedLines(res: ReportResult): string {
  return res.sections[0].rows.map((r) => `${printable(String(r.folded))} ${r.bytes}`).join('\n') + (res.sections[0].rows.length ? '\n' : '');
}
