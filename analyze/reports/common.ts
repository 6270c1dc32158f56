/**
 * Shared report machinery: filters (bound as parameters), the report result
 * shape, loss-window overlap, and human/JSON/CSV rendering with auto units.
 */
import { fmtBytes, fmtNs } from '../../formats/units.js';
import { UsageError } from '../../formats/errors.js';
import { parseDuration as parseDurationArg } from '../../cli/args.js';
import type { CaptureDb, Param, Row } from '../db.js';

export type Unit = 'ns' | 'bytes' | 'pct' | 'count' | 'ts' | 'text' | 'hex';

export interface Col {
  key: string;
  label?: string;
  unit?: Unit;
}

export interface Section {
  /** JSON key (snake_case) */
  name: string;
  title: string;
  columns: Col[];
  rows: Row[];
  /** optional pre-rendered human text instead of a table (trees, histograms) */
  text?: string;
}

export interface ReportResult {
  report: string;
  /** extra top-level JSON fields */
  facts?: Record<string, unknown>;
  sections: Section[];
  notes: string[];
}

/** A report's implementation (a family's reports.ts, or the core summary). */
export type ReportFn = (cap: CaptureDb, o: ReportOptions) => Promise<ReportResult>;

export interface Filters {
  pid?: number;
  comm?: string;
  /** absolute window, ns since boot */
  since: number;
  until: number;
  top: number;
}

export interface ReportOptions extends Filters {
  by?: 'thread' | 'process' | 'comm';
  hist?: boolean;
  at?: number;
  minAge?: number;
  folded?: boolean;
}

/** Parse a duration: "1.5s", "200ms", "300us", "42ns", "2m"; a bare number is seconds (cli/args.ts parseDuration). */
export function parseDuration(flag: string, v: string): number {
  return parseDurationArg(flag, v);
}

/** Resolve --since/--until (offsets from the capture start) to an absolute window. */
export function window(cap: CaptureDb, since?: string, until?: string): { since: number; until: number } {
  const s = since !== undefined ? cap.startTs + parseDuration('--since', since) : cap.startTs;
  const u = until !== undefined ? cap.startTs + parseDuration('--until', until) : cap.endTs;
  // a capture killed before its first batch reached the disk has no events: its window is empty
  if (since === undefined && until === undefined && u <= s) return { since: s, until: s };
  if (u <= s) throw new UsageError(`--since/--until: empty window (since ${since ?? 0} is not before until ${until ?? 'end'})`);
  return { since: Math.max(s, cap.startTs), until: Math.min(u, cap.endTs) };
}

/**
 * SQL predicate for --pid/--comm on a relation that has tid/tgid/comm
 * columns (aliased by `a`), appending its values to `params`.
 */
export function taskFilter(f: Filters, params: Param[], a: { tid: string; tgid: string; comm: string }): string {
  const parts: string[] = [];
  if (f.pid !== undefined) {
    params.push(f.pid);
    const i = params.length;
    parts.push(`(${a.tgid} = $${i} OR ${a.tid} = $${i})`);
  }
  if (f.comm !== undefined) {
    params.push(f.comm);
    parts.push(`regexp_matches(coalesce(${a.comm}, ''), $${params.length})`);
  }
  return parts.length ? parts.join(' AND ') : 'true';
}

/** Add a value to params; returns its placeholder. */
export function p(params: Param[], v: Param): string {
  params.push(v);
  return `$${params.length}`;
}

/** Loss windows overlapping [since, until]: a note for every report. */
export async function lossNotes(cap: CaptureDb, f: Filters): Promise<{ notes: string[]; facts: Record<string, unknown> }> {
  const rows = await cap.query<{ kind: string; cpu: number; count: number; ts_start: number; ts_end: number }>(
    'SELECT kind, cpu, count, ts_start, ts_end FROM losses WHERE ts_end >= $1 AND ts_start <= $2 ORDER BY ts_start',
    [f.since, f.until],
  );
  const lost = rows.reduce((a, r) => a + Number(r.count), 0);
  const notes: string[] = [];
  if (rows.length) {
    const kinds = [...new Set(rows.map((r) => r.kind))].join(', ');
    const first = rows[0],
      last = rows[rows.length - 1];
    notes.push(
      `WARNING: ${lost} events lost (${kinds}) in ${rows.length} window(s) overlapping this report, ` +
        `from +${fmtNs(first.ts_start - cap.startTs)} to +${fmtNs(last.ts_end - cap.startTs)}; figures there are incomplete (see the losses view)`,
    );
  }
  return {
    notes,
    facts: {
      losses: {
        overlap: rows.length > 0,
        events_lost: lost,
        windows: rows.map((r) => ({ cpu: r.cpu, kind: r.kind, count: r.count, ts_start: r.ts_start, ts_end: r.ts_end })),
      },
    },
  };
}

// ---------- formatting ----------

/**
 * Terminal-safe text: C0 controls, DEL, C1 controls (0x80-0x9f), Unicode line/paragraph separators and
 * bidi overrides/isolates become visible escapes (\n, \t, \r, \x1b, \u{202e}), so a capture-controlled
 * string (a comm, a file name, a host name) can neither drive the terminal nor forge a row. Every human
 * renderer (reports, query tables, tables, compare, CLI messages) goes through this one function; CSV
 * and JSON keep the raw strings.
 */
export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const cp = c.codePointAt(0)!;
    if (c === '\n') return '\\n';
    if (c === '\t') return '\\t';
    if (c === '\r') return '\\r';
    return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
  });
}
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export { fmtBytes, fmtNs };

export function fmtValue(v: unknown, unit?: Unit, base = 0): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'number' || typeof v === 'bigint') {
    const n = Number(v);
    switch (unit) {
      case 'ns':
        return fmtNs(n);
      case 'ts':
        return `+${fmtNs(n - base)}`;
      case 'bytes':
        return fmtBytes(n);
      case 'pct':
        return `${n.toFixed(1)}%`;
      case 'hex':
        return `0x${BigInt(v).toString(16)}`;
      default:
        return Number.isInteger(n) ? String(v) : n.toFixed(2);
    }
  }
  if (Array.isArray(v)) return printable(v.join(' '));
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return printable(String(v));
}

const isNumUnit = (u?: Unit) => u !== undefined && u !== 'text';

/** Aligned table: numeric columns right-aligned. */
export function renderTable(cols: Col[], rows: Row[], base = 0): string {
  const head = cols.map((c) => printable(c.label ?? c.key));
  const cells = rows.map((r) => cols.map((c) => fmtValue(r[c.key], c.unit, base)));
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => (isNumUnit(cols[i].unit) ? v.padStart(w[i]) : i === vals.length - 1 ? v : v.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(head), ...cells.map(line)].join('\n');
}

/** log2 histogram rows → runqlat-style text. */
export function renderHist(rows: { lo: number; hi: number; count: number }[], unit: 'ns' | 'us' = 'us'): string {
  if (!rows.length) return '  (no samples)';
  const max = Math.max(...rows.map((r) => r.count));
  const div = unit === 'us' ? 1000 : 1;
  const labels = rows.map((r) => `${Math.floor(r.lo / div)} -> ${Math.floor(r.hi / div)}`);
  const lw = Math.max(...labels.map((l) => l.length));
  const cw = Math.max(5, ...rows.map((r) => String(r.count).length));
  return [
    `  ${'µs'.padStart(lw)} : ${'count'.padStart(cw)}   distribution`,
    ...rows.map((r, i) => `  ${labels[i].padStart(lw)} : ${String(r.count).padStart(cw)}   |${'*'.repeat(Math.round((r.count / max) * 40)).padEnd(40)}|`),
  ].join('\n');
}

/** SQL for log2 histogram buckets of a ns expression (bucket k: [2^k, 2^(k+1)) µs, k=0 holds 0..1µs). */
export const LOG2_BUCKET_US = (expr: string) => `CAST(floor(log2(greatest(${expr}, 1000) / 1000.0)) AS INTEGER)`;

export function histRows(raw: { bucket: number; count: number }[]): { lo: number; hi: number; count: number; lo_ns: number; hi_ns: number }[] {
  if (!raw.length) return [];
  const by = new Map(raw.map((r) => [r.bucket, r.count]));
  const lo = Math.min(...raw.map((r) => r.bucket)),
    hi = Math.max(...raw.map((r) => r.bucket));
  const out = [];
  for (let b = Math.min(lo, 0); b <= hi; b++) {
    const l = b === 0 ? 0 : 2 ** b * 1000,
      h = 2 ** (b + 1) * 1000 - 1;
    out.push({ lo: l, hi: h, count: by.get(b) ?? 0, lo_ns: l, hi_ns: h });
  }
  return out;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = Array.isArray(v) ? v.join(';') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(columns: string[], rows: Row[]): string {
  return `${[columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n')}\n`;
}

export function jsonReplacer(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

export function renderReport(res: ReportResult, format: 'human' | 'json' | 'csv', base: number): string {
  if (format === 'json') {
    const o: Record<string, unknown> = { report: res.report, ...res.facts };
    for (const s of res.sections) o[s.name] = s.rows;
    o.notes = res.notes;
    return `${JSON.stringify(o, jsonReplacer, 2)}\n`;
  }
  if (format === 'csv') {
    const tabular = res.sections.filter((s) => s.columns.length);
    if (tabular.length === 1)
      return toCsv(
        tabular[0].columns.map((c) => c.key),
        tabular[0].rows,
      );
    return tabular
      .map(
        (s) =>
          `# ${s.name}\n${toCsv(
            s.columns.map((c) => c.key),
            s.rows,
          )}`,
      )
      .join('\n');
  }
  const out: string[] = [];
  for (const n of res.notes) out.push(printable(n), '');
  for (const s of res.sections) {
    out.push(printable(s.title));
    out.push(s.text ?? (s.rows.length ? renderTable(s.columns, s.rows, base) : '  (none)'));
    out.push('');
  }
  return out.join('\n');
}

// ---------- family reports: shared shapes ----------

/** a family report's one-line note on a capture that did not record it (older format, or --events without it) */
export function noEventsNote(cap: CaptureDb, family: string): string | null {
  return cap.manifest.options?.events?.includes(family) ? null : `this capture has no ${family} events: record with --events ${family}`;
}

/**
 * log2 histograms, one per group, as a section: `raw` rows (bucket, count and the group's columns; ordered by
 * group, then bucket) split by `group`, which gives each group's JSON fields and its heading in the text.
 */
export function histSection<R extends { bucket: number; count: number }>(
  head: { name: string; title: string; none?: string },
  raw: R[],
  group: (r: R) => { fields: Row; label: string },
): Section {
  const groups = new Map<string, { fields: Row; label: string; raw: { bucket: number; count: number }[] }>();
  for (const r of raw) {
    const g = group(r);
    const k = JSON.stringify(g.fields, jsonReplacer);
    if (!groups.has(k)) groups.set(k, { ...g, raw: [] });
    groups.get(k)!.raw.push(r);
  }
  const hists = [...groups.values()].map((g) => ({ ...g, hist: histRows(g.raw) }));
  return {
    name: head.name,
    title: head.title,
    columns: [],
    rows: hists.map((h) => ({ ...h.fields, buckets: h.hist.map(({ lo_ns, hi_ns, count }) => ({ lo_ns, hi_ns, count })) })),
    text: hists.length ? hists.map((h) => `${h.label}\n${renderHist(h.hist)}`).join('\n\n') : (head.none ?? '  (none)'),
  };
}
