/**
 * `ktape compare A B --html FILE`: the comparison as a page (a CI artifact). Each --fail-on rule and its
 * result, the largest changes (compare/compare.ts, as the text output), the latency distributions of both
 * captures overlaid (each family's htmlDistributions hook, SQL histograms), and a differential flame graph of
 * the allocation stacks the compare collectors grouped (width: allocations in NEW; red grew, blue shrank).
 */
import type { CaptureDb } from '../analyze/db.js';
import { printable } from '../analyze/reports/common.js';
import type { CompareResult } from '../compare/compare.js';
import { breachSummary, fmtValue, ruleLine } from '../compare/format.js';
import type { CaptureMetrics } from '../compare/metrics.js';
import { FAMILIES } from '../families/index.js';
import type { HtmlBlock, HtmlDistribution, HtmlSection } from '../families/family.js';
import { fmtNs } from '../formats/units.js';
import { flameTree, histBars } from './blocks.js';
import type { PageData } from './page.js';

/** the distributions of one capture, from every family it recorded */
export async function captureDistributions(cap: CaptureDb): Promise<HtmlDistribution[]> {
  const out: HtmlDistribution[] = [];
  for (const f of FAMILIES)
    if (f.htmlDistributions && (cap.manifest.options?.events ?? []).includes(f.name)) out.push(...(await (await f.htmlDistributions())(cap)));
  return out;
}

function rulesBlock(res: CompareResult): HtmlBlock {
  return {
    kind: 'table',
    title: res.rules.length ? `--fail-on: ${res.breached_rules} of ${res.rules.length} rules breached` : 'no --fail-on rules given',
    columns: [{ key: 'rule' }, { key: 'result' }, { key: 'groups_evaluated', label: 'groups checked', unit: 'count' }, { key: 'detail' }],
    rows: res.rules.flatMap((r) =>
      ruleLine(r).map((line) => ({ rule: r.rule, result: r.breached ? 'BREACHED' : 'ok', groups_evaluated: r.groups_evaluated, detail: line.trim() })),
    ),
  };
}

/** the largest changes, in the order compare ranks them (largest relative change first) */
function changesBlock(res: CompareResult, top: number): HtmlBlock {
  const changed = res.rows.filter((r) => r.change !== 'unchanged').slice(0, top);
  return {
    kind: 'table',
    title: `Largest changes (top ${top} of ${res.rows.filter((r) => r.change !== 'unchanged').length} changed rows; * significant)`,
    columns: [
      { key: 'significant' },
      { key: 'group' },
      { key: 'metric' },
      { key: 'base_text', label: 'baseline' },
      { key: 'new_text', label: 'new' },
      { key: 'delta_text', label: 'delta' },
      { key: 'delta_pct', label: 'delta %', unit: 'pct' },
      { key: 'change' },
    ],
    rows: changed.map((r) => ({
      significant: r.significant ? '*' : '',
      group: r.group,
      metric: r.metric,
      base_text: fmtValue(r.base, r.unit),
      new_text: fmtValue(r.new, r.unit),
      delta_text: fmtValue(r.delta, r.unit, true),
      delta_pct: r.delta_pct,
      change: r.change,
    })),
  };
}

function overlays(base: HtmlDistribution[], next: HtmlDistribution[]): HtmlBlock[] {
  const names = [...new Set([...base, ...next].map((d) => d.name))];
  return names.map((n) =>
    histBars(`${n} (log2 buckets)`, [
      { name: 'base', buckets: base.find((d) => d.name === n)?.buckets ?? [] },
      { name: 'new', buckets: next.find((d) => d.name === n)?.buckets ?? [] },
    ]),
  );
}

/** group → stack → allocations of both captures as one differential tree: group first, then the frames */
function allocationDiff(base: CaptureMetrics, next: CaptureMetrics): HtmlBlock {
  const keys = new Map<string, { frames: string[]; b: number; n: number }>();
  const add = (m: CaptureMetrics, which: 'b' | 'n') => {
    for (const [grp, stacks] of m.stacks)
      for (const [folded, count] of stacks) {
        const k = `${grp}\u0000${folded}`;
        const v = keys.get(k) ?? { frames: [grp, ...folded.split(';')], b: 0, n: 0 };
        v[which] += count;
        keys.set(k, v);
      }
  };
  add(base, 'b');
  add(next, 'n');
  return {
    kind: 'icicle',
    title: 'Allocation stacks, NEW against BASE (width: allocations in NEW; red grew, blue shrank; click a frame to zoom)',
    unit: 'count',
    root: flameTree(
      'all',
      [...keys.values()].map((v) => ({ frames: v.frames, value: v.n, delta: v.n - v.b })),
    ),
  };
}

export interface CompareHtmlInput {
  result: CompareResult;
  metrics: { base: CaptureMetrics; next: CaptureMetrics };
  distributions: { base: HtmlDistribution[]; next: HtmlDistribution[] };
  top: number;
}

export function compareData(x: CompareHtmlInput): PageData {
  const { result: res, metrics } = x;
  const stackFamilies = FAMILIES.filter((f) => f.compare?.stacks).map((f) => f.name);
  const hasStacks = [metrics.base, metrics.next].every((m) => stackFamilies.some((f) => m.info.events.includes(f)));
  const sections: HtmlSection[] = [
    { id: 'rules', title: 'Rules', blocks: [rulesBlock(res)] },
    { id: 'changes', title: 'Largest changes', blocks: [changesBlock(res, x.top)] },
    { id: 'distributions', title: 'Latency distributions, BASE and NEW overlaid', blocks: overlays(x.distributions.base, x.distributions.next) },
  ];
  if (hasStacks)
    sections.push({ id: 'allocation-diff', title: 'Differential flame graph of allocation stacks', blocks: [allocationDiff(metrics.base, metrics.next)] });
  const info = (i: CompareResult['base']) => `${i.dir} (${fmtNs(i.duration_ns)}, ${[i.hostname, i.kernel_release].filter(Boolean).join(' ')})`;
  return {
    title: 'ktape compare',
    subtitle: `${res.base.dir} → ${res.new.dir}`,
    start_ts: 0,
    banner: res.breached_rules ? [printable(breachSummary(res))] : [],
    facts: [
      { fact: 'BASE', value: info(res.base) },
      { fact: 'NEW', value: info(res.new) },
      { fact: 'grouped by', value: res.by },
      { fact: 'totals', value: res.normalized ? `per second of capture (${res.normalize_reason})` : `raw (${res.normalize_reason})` },
      { fact: 'groups', value: `${res.groups.matched} in both, ${res.groups.only_base} only in BASE, ${res.groups.only_new} only in NEW` },
      ...res.caveats.map((c) => ({ fact: 'caveat', value: c })),
    ],
    sections,
    notes: hasStacks ? [] : [`no allocation stacks in both captures: record both with --events including ${stackFamilies.join(',')}`],
  };
}
