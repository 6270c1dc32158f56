/** Text table and JSON output of `ktape compare`. */
import type { CompareResult, CompareRow, RuleResult } from './compare.js';
import { SIGNIFICANT_PCT } from './compare.js';
import { printable } from '../analyze/reports/common.js';
import { fmtBytes, fmtNs } from '../formats/units.js';

export { fmtBytes, fmtNs };

function trimNum(x: number, digits: number): string {
  return x.toFixed(digits);
}

export function fmtCount(c: number): string {
  if (Number.isInteger(c)) return String(c);
  const a = Math.abs(c);
  return trimNum(c, a >= 100 ? 0 : a >= 10 ? 1 : 2);
}

export function fmtValue(v: number | null, unit: string, signed = false): string {
  if (v === null) return '-';
  const perS = unit.endsWith('/s');
  const u = perS ? unit.slice(0, -2) : unit;
  let s = u === 'ns' ? fmtNs(v) : u === 'bytes' ? fmtBytes(v) : fmtCount(v);
  if (signed && v > 0) s = `+${s}`;
  return perS ? `${s}/s` : s;
}

function fmtPct(r: CompareRow): string {
  if (r.change === 'appeared') return 'new';
  if (r.change === 'disappeared' && r.delta_pct === null) return 'gone';
  if (r.delta_pct === null) return '-';
  return `${r.delta_pct > 0 ? '+' : ''}${r.delta_pct.toFixed(1)} %`;
}

function marker(r: CompareRow): string {
  return r.significant ? '*' : r.low_samples && r.change !== 'unchanged' ? '~' : ' ';
}

/** Terminal-safe (printable) and at most n characters, cut at the start. */
function ellipsize(raw: string, n: number): string {
  const s = printable(raw);
  return s.length <= n ? s : `…${s.slice(s.length - n + 1)}`;
}

function table(header: string[], rows: string[][], right: boolean[]): string[] {
  const w = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (right[i] ? c.padStart(w[i]) : c.padEnd(w[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function pctDiff(ratio: number): string {
  const p = (ratio - 1) * 100;
  return `${p > 0 ? '+' : ''}${p.toFixed(1)} %`;
}

function breachText(r: RuleResult, b: RuleResult['breaches'][number]): string {
  const pct = b.change === 'appeared' ? 'appeared' : b.delta_pct === null ? b.change : `${b.delta_pct > 0 ? '+' : ''}${b.delta_pct.toFixed(1)} %`;
  const values = `${fmtValue(b.base, b.unit)} -> ${fmtValue(b.new, b.unit)}`;
  const g = printable(b.group);
  if (r.mode === 'relative') return `${g}: ${pct} (${values})`;
  if (r.mode === 'delta') return `${g}: ${fmtValue(b.delta, b.unit, true)} (${values})`;
  return `${g}: ${fmtValue(b.new, b.unit)} (base ${fmtValue(b.base, b.unit)})`;
}

export function ruleLine(r: RuleResult): string[] {
  if (!r.breached) return [`  ok    ${printable(r.rule)}  (${r.groups_evaluated} group${r.groups_evaluated === 1 ? '' : 's'} checked)`];
  return r.breaches.map((b) => `  FAIL  ${printable(r.rule)}  ${breachText(r, b)}`);
}

/** One line naming every breach, for stderr (at most 10 breaches spelled out). */
export function breachSummary(res: CompareResult): string {
  const parts: string[] = [];
  let total = 0;
  for (const r of res.rules)
    for (const b of r.breaches) {
      total++;
      if (parts.length < 10) parts.push(`${printable(r.rule)} (${breachText(r, b)})`);
    }
  const more = total > parts.length ? `, and ${total - parts.length} more` : '';
  return `compare: ${res.breached_rules} of ${res.rules.length} --fail-on rule${res.rules.length === 1 ? '' : 's'} breached: ${parts.join(', ')}${more}`;
}

export function formatText(res: CompareResult, top: number): string {
  const out: string[] = [];
  const host = (i: CompareResult['base']) => printable([i.hostname, i.kernel_release].filter(Boolean).join(' '));
  const baseDir = printable(res.base.dir),
    newDir = printable(res.new.dir);
  const dirW = Math.max(baseDir.length, newDir.length);
  out.push(`BASE  ${baseDir.padEnd(dirW)}  ${fmtNs(res.base.duration_ns).padStart(9)}  ${host(res.base)}`);
  out.push(`NEW   ${newDir.padEnd(dirW)}  ${fmtNs(res.new.duration_ns).padStart(9)}  ${host(res.new)}`);
  const dur = `durations differ by ${pctDiff(res.duration_ratio)}`;
  const norm = res.normalized
    ? `totals per second of capture (${res.normalize_reason === 'forced' ? `--normalize; ${dur}` : `${dur}; --no-normalize for raw totals`})`
    : `raw totals (${res.normalize_reason === 'disabled' ? `--no-normalize; ${dur}` : dur})`;
  out.push(`grouped by ${res.by}; ${norm}`);
  out.push('');

  const changed = res.rows.filter((r) => r.change !== 'unchanged');
  const unchanged = res.rows.length - changed.length;
  const shown = top > 0 ? changed.slice(0, top) : changed;
  if (changed.length === 0) {
    out.push(
      `no changes: ${res.rows.length} metric${res.rows.length === 1 ? '' : 's'} in ${res.groups.matched} matched group${res.groups.matched === 1 ? '' : 's'} are identical`,
    );
  } else {
    const rows = shown.map((r) => [
      marker(r),
      ellipsize(r.group, 40),
      printable(r.metric),
      fmtValue(r.base, r.unit),
      fmtValue(r.new, r.unit),
      fmtValue(r.delta, r.unit, true),
      fmtPct(r),
    ]);
    out.push(...table(['', 'GROUP', 'METRIC', 'BASELINE', 'NEW', 'DELTA', 'DELTA %'], rows, [false, false, false, true, true, true, true]));
    out.push('');
    out.push(
      `* significant: |delta %| >= ${SIGNIFICANT_PCT} and beyond noise (counts: Poisson z >= 3; times: >= --min-time)   ~ too few samples for this statistic`,
    );
  }
  const notes: string[] = [];
  if (changed.length > shown.length) notes.push(`${changed.length - shown.length} more changed rows (--top 0 for all)`);
  if (unchanged && changed.length) notes.push(`${unchanged} unchanged rows not shown`);
  const g = res.noise_guard;
  if (g.hidden_groups || g.hidden_rows)
    notes.push(
      `noise guard (--min-count ${g.min_count}, --min-time ${fmtNs(g.min_time_ns).replace(' ', '')}) hid ${g.hidden_groups} group${g.hidden_groups === 1 ? '' : 's'} and ${g.hidden_rows} row${g.hidden_rows === 1 ? '' : 's'}`,
    );
  if (res.groups.only_base || res.groups.only_new)
    notes.push(`${res.groups.matched} groups in both, ${res.groups.only_base} only in BASE, ${res.groups.only_new} only in NEW`);
  for (const n of notes) out.push(n);
  for (const c of res.caveats) out.push(`caveat: ${printable(c)}`);
  if (res.rules.length) {
    out.push('');
    out.push(`--fail-on: ${res.breached_rules ? `${res.breached_rules} of ${res.rules.length} rules breached` : `all ${res.rules.length} rules pass`}`);
    for (const r of res.rules) out.push(...ruleLine(r));
  }
  return `${out.join('\n')}\n`;
}

/** JSON: stable snake_case keys, units in the names (or in `unit`). */
export function formatJson(res: CompareResult, top: number | undefined): string {
  const rows = top && top > 0 ? res.rows.slice(0, top) : res.rows;
  const info = (i: CompareResult['base']) => ({
    dir: i.dir,
    format_version: i.format_version,
    hostname: i.hostname,
    kernel_release: i.kernel_release,
    machine: i.machine,
    complete: i.complete,
    start_ts_ns: i.start_ts,
    end_ts_ns: i.end_ts,
    duration_ns: i.duration_ns,
    events: i.events,
    losses: i.losses.map((l) => ({ reason: l.reason, kind: l.kind, count: l.count })),
    lost_events: i.losses.reduce((s, l) => s + l.count, 0),
  });
  const doc = {
    version: res.version,
    by: res.by,
    normalized: res.normalized,
    normalize_reason: res.normalize_reason,
    duration_ratio: res.duration_ratio,
    base: info(res.base),
    new: info(res.new),
    noise_guard: {
      min_count: res.noise_guard.min_count,
      min_time_ns: res.noise_guard.min_time_ns,
      hidden_groups: res.noise_guard.hidden_groups,
      hidden_rows: res.noise_guard.hidden_rows,
    },
    groups: res.groups,
    caveats: res.caveats,
    rows_total: res.rows_total,
    rows: rows.map((r) => ({
      group: r.group,
      metric: r.metric,
      unit: r.unit,
      kind: r.kind,
      base: r.base,
      new: r.new,
      delta: r.delta,
      delta_pct: r.delta_pct,
      change: r.change,
      significant: r.significant,
      low_samples: r.low_samples,
      samples_base: r.samples_base,
      samples_new: r.samples_new,
    })),
    rules: res.rules.map((r) => ({
      rule: r.rule,
      metric: r.metric,
      group: r.group,
      op: r.op,
      mode: r.mode,
      threshold: r.threshold,
      threshold_unit: r.threshold_unit,
      groups_evaluated: r.groups_evaluated,
      breached: r.breached,
      breaches: r.breaches,
    })),
    breached_rules: res.breached_rules,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
