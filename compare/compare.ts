/**
 * The comparison itself: match groups, normalize, compute deltas, apply the
 * noise guard, mark significant changes and evaluate --fail-on rules.
 * Pure functions over CaptureMetrics (no DuckDB here).
 */
import { METRICS, metricDef, type CaptureInfo, type CaptureMetrics, type GroupBy, type Kind, type MetricDef, type Sample, type Unit } from './metrics.js';
import { compareOp, observed, RuleError, type Rule } from './rules.js';

/** Output layout version of --json (bump when a field changes meaning). */
export const COMPARE_JSON_VERSION = 1;
/** Durations differing by more than this (relative to BASE) turn normalization on. */
export const AUTO_NORMALIZE_RATIO = 0.05;
/** A change is significant only when |delta %| is at least this ... */
export const SIGNIFICANT_PCT = 10;
/** ... and, for counts, the Poisson z-score of the difference is at least this. */
export const SIGNIFICANT_Z = 3;

export interface CompareOptions {
  by: GroupBy;
  /** true/false force; undefined = auto (durations differ by > 5 %) */
  normalize?: boolean;
  minCount: number;
  minTimeNs: number;
  /** limit of rows in the output (0 = all) */
  top: number;
  rules: Rule[];
}

export type Change = 'unchanged' | 'increased' | 'decreased' | 'appeared' | 'disappeared';

export interface CompareRow {
  group: string;
  metric: string;
  /** unit of base/new/delta: ns, bytes, count; with '/s' when normalized */
  unit: string;
  kind: Kind;
  base: number | null;
  new: number | null;
  delta: number | null;
  /** (new - base) / base * 100; null when base is 0 or missing (appeared) */
  delta_pct: number | null;
  change: Change;
  significant: boolean;
  /** too few samples for this statistic to be trusted */
  low_samples: boolean;
  samples_base: number;
  samples_new: number;
}

export interface RuleBreach {
  group: string;
  unit: string;
  base: number | null;
  new: number | null;
  delta: number | null;
  delta_pct: number | null;
  change: Change;
}

export interface RuleResult {
  rule: string;
  metric: string;
  group: string | null;
  op: string;
  mode: string;
  threshold: number;
  threshold_unit: string;
  groups_evaluated: number;
  breached: boolean;
  breaches: RuleBreach[];
}

export interface CompareResult {
  version: number;
  by: GroupBy;
  normalized: boolean;
  normalize_reason: 'forced' | 'disabled' | 'durations_differ' | 'durations_similar';
  duration_ratio: number;
  base: CaptureInfo;
  new: CaptureInfo;
  noise_guard: { min_count: number; min_time_ns: number; hidden_groups: number; hidden_rows: number };
  groups: { matched: number; only_base: number; only_new: number };
  /** every row that passed the noise guard, largest relative change first */
  rows: CompareRow[];
  rows_total: number;
  caveats: string[];
  rules: RuleResult[];
  breached_rules: number;
}

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  const r = Math.round(x * f) / f;
  return Object.is(r, -0) ? 0 : r;
};

/** How many samples a statistic needs to be trusted. */
function samplesNeeded(def: MetricDef, minCount: number): number {
  if (def.q === undefined || def.q >= 1) return minCount;
  return Math.max(minCount, Math.ceil(1 / (1 - def.q)));
}

const GROUP_ACTIVITY = [
  'cpu_ns',
  'switches',
  'syscall_count',
  'kmalloc_count',
  'kmem_cache_count',
  'sched_wakeups',
  'io_ops',
  'tcp_connections',
  'net_packet_count',
];

function groupActive(g: Map<string, Sample> | undefined, o: CompareOptions): boolean {
  if (!g) return false;
  if ((g.get('cpu_ns')?.value ?? 0) >= o.minTimeNs) return true;
  let events = 0;
  for (const m of GROUP_ACTIVITY) events += g.get(m)?.samples ?? 0;
  return events >= o.minCount;
}

/**
 * Noise guard of one row (in a group that passed the group guard): true = keep.
 *  - syscall.<name>.*: the call was made at least --min-count times in either capture;
 *  - other time totals (cpu_ns, syscall_total_ns): at least --min-time in either;
 *  - other counts and bytes: at least --min-count events in either;
 *  - distributions and levels: always (a distribution with too few samples is marked low_samples).
 * Rows that are 0 (or missing) in both captures are dropped.
 */
function rowPasses(metric: string, def: MetricDef, b: Sample | undefined, n: Sample | undefined, o: CompareOptions): boolean {
  const bv = b?.value ?? 0,
    nv = n?.value ?? 0;
  if (bv === 0 && nv === 0) return false;
  const bs = b?.samples ?? 0,
    ns = n?.samples ?? 0;
  if (metric.startsWith('syscall.')) return Math.max(bs, ns) >= o.minCount;
  if (def.kind === 'level' || def.kind === 'dist') return true;
  if (def.unit === 'ns') return Math.max(bv, nv) >= o.minTimeNs;
  return Math.max(bs, ns) >= o.minCount;
}

function describeLosses(info: CaptureInfo): string {
  const byReason = new Map<string, string[]>();
  for (const l of info.losses) {
    const a = byReason.get(l.reason) ?? [];
    a.push(`${l.count} ${l.kind}`);
    byReason.set(l.reason, a);
  }
  return [...byReason].map(([r, a]) => `${r}: ${a.join(', ')}`).join('; ');
}

const EXPLAIN_REASON: Record<string, string> = {
  ringbuf_full: 'ring buffer full: re-record with a larger --buffer-mb',
  kernel_gap: 'context switches the kernel did not report',
  bpf_recursion: 'the kernel skipped a probe already running on that CPU',
  max_size: 'recorded after --max-size was reached: re-record with a larger --max-size',
  truncated: 'rows missing from damaged or cut capture files',
};

/** Whether flows are compared per second: forced, disabled, or when the durations differ by more than 5 %. */
function normalizeChoice(o: CompareOptions, ratio: number): { normalized: boolean; reason: CompareResult['normalize_reason'] } {
  if (o.normalize === true) return { normalized: true, reason: 'forced' };
  if (o.normalize === false) return { normalized: false, reason: 'disabled' };
  if (Math.abs(ratio - 1) > AUTO_NORMALIZE_RATIO) return { normalized: true, reason: 'durations_differ' };
  return { normalized: false, reason: 'durations_similar' };
}

/** What makes the comparison less certain: losses, killed recorders, families recorded on one side only, versions, architectures. */
function compareCaveats(base: CaptureMetrics, next: CaptureMetrics): string[] {
  const caveats: string[] = [];
  for (const [which, info] of [
    ['BASE', base.info],
    ['NEW', next.info],
  ] as const) {
    if (info.losses.length) {
      const total = info.losses.reduce((s, l) => s + l.count, 0);
      const why = [...new Set(info.losses.map((l) => EXPLAIN_REASON[l.reason] ?? l.reason))].join('; ');
      caveats.push(
        `${which} ${info.dir} lost ${total} event${total === 1 ? '' : 's'} (${describeLosses(info)}; ${why}): metrics built on them may be slightly off`,
      );
    }
    if (!info.complete) caveats.push(`${which} ${info.dir} is incomplete (the recorder was killed): its window ends at its last event`);
  }
  const onlyOne = [...new Set([...base.info.events, ...next.info.events])].filter((e) => !(base.info.events.includes(e) && next.info.events.includes(e)));
  for (const e of onlyOne) {
    const where = base.info.events.includes(e) ? 'BASE' : 'NEW';
    caveats.push(`event group '${e}' was recorded only in ${where}: its metrics are left out (record both with the same --events)`);
  }
  if (base.info.format_version !== next.info.format_version)
    caveats.push(`format versions differ (BASE ${base.info.format_version}, NEW ${next.info.format_version})`);
  if (base.info.machine && next.info.machine && base.info.machine !== next.info.machine)
    caveats.push(`architectures differ (BASE ${base.info.machine}, NEW ${next.info.machine}): syscall names come from each host's own table`);
  return caveats;
}

export function compareMetrics(base: CaptureMetrics, next: CaptureMetrics, o: CompareOptions): CompareResult {
  const db = base.info.duration_ns,
    dn = next.info.duration_ns;
  const ratio = dn / db;
  const { normalized, reason } = normalizeChoice(o, ratio);
  const caveats = compareCaveats(base, next);

  const common = new Set(base.info.events.filter((e) => next.info.events.includes(e)));
  const names = [...new Set([...base.groups.keys(), ...next.groups.keys()])].sort();
  let matched = 0,
    onlyBase = 0,
    onlyNew = 0,
    hiddenGroups = 0,
    hiddenRows = 0;
  const rows: CompareRow[] = [];
  /** every row before the guard, for group-qualified rules */
  const allRows = new Map<string, Map<string, CompareRow>>();

  const scale = (def: MetricDef, v: number | null, d: number): number | null => {
    if (v === null) return null;
    return normalized && def.kind === 'flow' ? (v * 1e9) / d : v;
  };

  for (const grp of names) {
    const gb = base.groups.get(grp),
      gn = next.groups.get(grp);
    if (gb && gn) matched++;
    else if (gb) onlyBase++;
    else onlyNew++;
    const shown = groupActive(gb, o) || groupActive(gn, o);
    if (!shown) hiddenGroups++;
    const metrics = new Set([...(gb?.keys() ?? []), ...(gn?.keys() ?? [])]);
    const per = new Map<string, CompareRow>();
    allRows.set(grp, per);
    for (const metric of metrics) {
      const def = metricDef(metric);
      if (!def || !common.has(def.needs)) continue;
      const b = gb?.get(metric),
        n = gn?.get(metric);
      // a group absent from a capture did nothing there: flows/levels are 0, distributions unknown
      const bvRaw = b ? b.value : def.kind === 'dist' ? null : 0;
      const nvRaw = n ? n.value : def.kind === 'dist' ? null : 0;
      const bv = scale(def, bvRaw, db),
        nv = scale(def, nvRaw, dn);
      const digits = normalized && def.kind === 'flow' ? 3 : 0;
      const row = makeRow(
        grp,
        metric,
        def,
        bv === null ? null : round(bv, digits),
        nv === null ? null : round(nv, digits),
        b?.samples ?? 0,
        n?.samples ?? 0,
        normalized,
        db,
        dn,
        bvRaw,
        nvRaw,
        o,
      );
      per.set(metric, row);
      if (!shown) continue;
      if (!rowPasses(metric, def, b, n, o)) {
        hiddenRows++;
        continue;
      }
      rows.push(row);
    }
  }
  rows.sort(rowOrder);

  const rules = o.rules.map((r) => evalRule(r, rows, allRows, o.by, names));
  return {
    version: COMPARE_JSON_VERSION,
    by: o.by,
    normalized,
    normalize_reason: reason,
    duration_ratio: round(ratio, 6),
    base: base.info,
    new: next.info,
    noise_guard: { min_count: o.minCount, min_time_ns: o.minTimeNs, hidden_groups: hiddenGroups, hidden_rows: hiddenRows },
    groups: { matched, only_base: onlyBase, only_new: onlyNew },
    rows,
    rows_total: rows.length,
    caveats,
    rules,
    breached_rules: rules.filter((r) => r.breached).length,
  };
}

function makeRow(
  group: string,
  metric: string,
  def: MetricDef,
  base: number | null,
  next: number | null,
  sb: number,
  sn: number,
  normalized: boolean,
  db: number,
  dn: number,
  rawB: number | null,
  rawN: number | null,
  o: CompareOptions,
): CompareRow {
  const unit: string = normalized && def.kind === 'flow' ? `${def.unit}/s` : def.unit;
  let delta: number | null = null,
    pct: number | null = null;
  let change: Change;
  if (base === null && next === null) change = 'unchanged';
  else if (base === null || (base === 0 && (next ?? 0) !== 0)) {
    change = 'appeared';
    delta = next !== null ? next - (base ?? 0) : null;
  } else if (next === null) {
    change = 'disappeared';
  } else {
    delta = next - base;
    pct = base === 0 ? 0 : (delta / base) * 100;
    change = delta === 0 ? 'unchanged' : next === 0 ? 'disappeared' : delta > 0 ? 'increased' : 'decreased';
  }
  if (delta !== null) delta = round(delta, normalized && def.kind === 'flow' ? 3 : 0);
  if (pct !== null) pct = round(pct, 2);

  const needed = samplesNeeded(def, o.minCount);
  const lowSamples = def.kind === 'dist' && (sb < needed || sn < needed);
  let significant = false;
  const relBig = change === 'appeared' || change === 'disappeared' || (pct !== null && Math.abs(pct) >= SIGNIFICANT_PCT);
  if (relBig && change !== 'unchanged' && !lowSamples) {
    if (def.unit === 'count' && def.kind === 'flow') {
      const cb = rawB ?? 0,
        cn = rawN ?? 0;
      const z = normalized ? Math.abs(cn / dn - cb / db) / Math.sqrt(cn / (dn * dn) + cb / (db * db)) : Math.abs(cn - cb) / Math.sqrt(cn + cb);
      significant = z >= SIGNIFICANT_Z;
    } else if (def.unit === 'ns' && def.kind === 'flow') {
      // the change, over the length of the longer capture, is at least --min-time
      const change = normalized && base !== null && next !== null ? (Math.abs(next - base) * Math.max(db, dn)) / 1e9 : Math.abs((rawN ?? 0) - (rawB ?? 0));
      significant = change >= o.minTimeNs;
    } else {
      significant = true;
    }
  }
  return {
    group,
    metric,
    unit,
    kind: def.kind,
    base,
    new: next,
    delta,
    delta_pct: pct,
    change,
    significant,
    low_samples: lowSamples,
    samples_base: sb,
    samples_new: sn,
  };
}

/**
 * Largest relative change first (appeared/disappeared count as infinite), then group, then metric;
 * statistics with too few samples (low_samples) after all the others.
 */
export function rowOrder(a: CompareRow, b: CompareRow): number {
  if (a.low_samples !== b.low_samples) return a.low_samples ? 1 : -1;
  const mag = (r: CompareRow) => (r.change === 'appeared' || (r.change === 'disappeared' && r.delta_pct === null) ? Infinity : Math.abs(r.delta_pct ?? 0));
  const d = mag(b) - mag(a);
  if (d !== 0 && !Number.isNaN(d)) return d;
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  return a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0;
}

function evalRule(rule: Rule, rows: CompareRow[], all: Map<string, Map<string, CompareRow>>, by: GroupBy, groups: string[]): RuleResult {
  let candidates: CompareRow[];
  if (rule.group !== null) {
    const g = all.get(rule.group);
    if (!g) {
      const near = groups.filter((x) => x.toLowerCase().includes(rule.group!.toLowerCase())).slice(0, 5);
      throw new RuleError(
        'E_RULE_METRIC',
        `--fail-on rule '${rule.text}': no group '${rule.group}' (by ${by}) in either capture` +
          (near.length
            ? `; did you mean ${near.map((x) => `'${x}'`).join(', ')}?`
            : `; group names are ${by === 'exec' ? 'exec file names' : by === 'comm' ? 'thread names' : 'process names'}, as in the GROUP column`),
      );
    }
    const r = g.get(rule.metric);
    candidates = r ? [r] : [];
  } else {
    candidates = rows.filter((r) => r.metric === rule.metric && !r.low_samples);
  }
  const breaches: RuleBreach[] = [];
  for (const r of candidates) {
    const x = observed(rule, r);
    if (x === null || Number.isNaN(x)) continue;
    if (compareOp(x, rule.op, rule.threshold))
      breaches.push({ group: r.group, unit: r.unit, base: r.base, new: r.new, delta: r.delta, delta_pct: r.delta_pct, change: r.change });
  }
  const unit: Unit = rule.unit;
  return {
    rule: rule.text,
    metric: rule.metric,
    group: rule.group,
    op: rule.op,
    mode: rule.mode,
    threshold: rule.threshold,
    threshold_unit: rule.mode === 'relative' ? '%' : unit,
    groups_evaluated: candidates.length,
    breached: breaches.length > 0,
    breaches,
  };
}

export { METRICS };
