/**
 * Helpers the families' html.ts use to turn their reports' results (analyze/reports, SQL-aggregated) into
 * blocks of the HTML report (families/family.ts HtmlBlock). Nothing here computes a figure: it reshapes rows.
 */
import type { CaptureDb } from '../analyze/db.js';
import { histRows, LOG2_BUCKET_US, type Section } from '../analyze/reports/common.js';
import { fmtNs } from '../formats/units.js';
import type { FlameNode, HtmlBlock, HtmlDistribution } from '../families/family.js';

/** a report section as a table block (its columns without the nested lists a table cannot show) */
export function tableOf(s: Section, title = s.title): HtmlBlock {
  return { kind: 'table', title, columns: s.columns, rows: s.rows };
}

/** log2 histogram rows (histRows: lo_ns, hi_ns, count) as bars; several histograms become overlaid series */
export function histBars(title: string, series: { name: string; buckets: { lo_ns: number; hi_ns: number; count: number }[] }[]): HtmlBlock {
  const longest = series.reduce((a, s) => (s.buckets.length > a.length ? s.buckets : a), [] as { lo_ns: number; hi_ns: number }[]);
  return {
    kind: 'bars',
    title,
    unit: 'count',
    categories: longest.map((b) => bucketLabel(b.lo_ns, b.hi_ns)),
    series: series.map((s) => ({ name: s.name, values: longest.map((_, i) => s.buckets[i]?.count ?? 0) })),
  };
}

export const bucketLabel = (lo: number, hi: number) => `${fmtNs(lo)}–${fmtNs(hi + 1)}`;

/**
 * The log2 histogram (SQL) of one duration column of a view over the whole capture, as a distribution of the
 * compare page's overlays; none when no row has the column. `view`, `col` and `where` are the caller's SQL.
 */
export async function viewDistribution(cap: CaptureDb, name: string, view: string, col: string, where = 'true'): Promise<HtmlDistribution[]> {
  const rows = await cap.query<{ bucket: number; count: number }>(
    `SELECT ${LOG2_BUCKET_US(col)} AS bucket, count(*) AS count FROM ${view} WHERE ${col} IS NOT NULL AND (${where}) GROUP BY 1 ORDER BY 1`,
  );
  return rows.length ? [{ name, buckets: histRows(rows).map(({ lo_ns, hi_ns, count }) => ({ lo_ns, hi_ns, count })) }] : [];
}

/** the label of a log2 µs bucket (analyze/reports/common.ts LOG2_BUCKET_US) */
export const log2Label = (b: number) => bucketLabel(b === 0 ? 0 : 2 ** b * 1000, 2 ** (b + 1) * 1000 - 1);

/** the time bucket width that splits the capture into `n` buckets (at least 1 µs) */
export const bucketWidth = (cap: CaptureDb, n: number) => Math.max(1000, Math.ceil((cap.endTs - cap.startTs) / n));

/** a heat map block of (time bucket, log2 bucket, count) rows */
export function timeHeatmap(title: string, width: number, rows: { t: number; b: number; n: number }[]): HtmlBlock {
  const tMax = Math.max(-1, ...rows.map((r) => r.t)),
    bMax = Math.max(-1, ...rows.map((r) => r.b));
  return {
    kind: 'heatmap',
    title,
    x: Array.from({ length: tMax + 1 }, (_, t) => `+${fmtNs(t * width)}`),
    y: Array.from({ length: bMax + 1 }, (_, b) => log2Label(b)),
    cells: rows.map((r) => [r.t, r.b, r.n]),
  };
}

/**
 * Folded stacks (root first, `;`-separated) with a value each (and optionally a delta) as a tree for the
 * flame graph: the SQL grouped the stacks; this only nests them.
 */
export function flameTree(rootName: string, stacks: { frames: string[]; value: number; delta?: number }[]): FlameNode {
  const differential = stacks.some((s) => s.delta !== undefined);
  const node = (name: string): FlameNode => (differential ? { name, value: 0, delta: 0, children: [] } : { name, value: 0, children: [] });
  const root = node(rootName);
  for (const s of stacks) {
    let n = root;
    const add = (x: FlameNode) => {
      x.value += s.value;
      if (differential) x.delta! += s.delta ?? 0;
    };
    add(n);
    for (const f of s.frames) {
      let c = n.children.find((k) => k.name === f);
      if (!c) n.children.push((c = node(f)));
      add(c);
      n = c;
    }
  }
  return root;
}
