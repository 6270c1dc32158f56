/**
 * Metrics of one capture, per group (comm, process name or exec file).
 *
 * Every metric has a unit (ns, bytes, count) and a kind:
 *  - flow:  accumulates over time (cpu_ns, counts, bytes allocated): divided
 *           by the capture duration when comparing normalized;
 *  - level: a state (outstanding bytes at the end, number of threads);
 *  - dist:  a statistic of a distribution (percentiles, max, mean).
 * Only flow metrics are normalized.
 */
import { CaptureError, KtapeError } from '../formats/errors.js';
import { isDataError, type CaptureDb } from '../analyze/db.js';
import { FAMILIES } from '../families/index.js';
import type { CompareCollect, CompareMetricDef } from '../families/family.js';
import { pkgPath } from '../record/paths.js';
import { readFileSync } from 'node:fs';
import * as Q from './queries.js';

export type Unit = CompareMetricDef['unit'];
export type Kind = CompareMetricDef['kind'];
export type GroupBy = 'comm' | 'process' | 'exec';
/** the family a metric needs recorded (manifest options.events) */
export type Needs = string;

export interface MetricDef extends CompareMetricDef {
  needs: Needs;
}

const COMPARING = FAMILIES.filter((f) => f.compare);

/** Every family's fixed metrics, with the family that has them. */
export const METRICS: Record<string, MetricDef> = Object.fromEntries(
  COMPARING.flatMap((f) => Object.entries(f.compare!.metrics).map(([name, d]) => [name, { ...d, needs: f.name }])),
);

/** Definition of a metric name (fixed, or a family's pattern such as syscall.<name>.<stat>), or null. */
export function metricDef(name: string): MetricDef | null {
  if (Object.hasOwn(METRICS, name)) return METRICS[name];
  for (const f of COMPARING) {
    const d = f.compare!.pattern?.def(name);
    if (d) return { ...d, needs: f.name };
  }
  return null;
}

/** Why a metric name is not known (for error messages). */
export function unknownMetricHint(name: string): string {
  for (const f of COMPARING) {
    const h = f.compare!.pattern?.hint(name);
    if (h) return h;
  }
  const patterns = COMPARING.flatMap((f) => (f.compare!.pattern ? [f.compare!.pattern.help] : []));
  return `choose from ${Object.keys(METRICS).join(', ')}${patterns.length ? `, or ${patterns.join(', or ')}` : ''}`;
}

/** The metric names as lines of the compare help, family by family. */
export function metricsHelp(): string[] {
  return COMPARING.flatMap((f) => f.compare!.help);
}

export interface Sample {
  /** value in the metric's unit (raw, not normalized); null = no samples */
  value: number | null;
  /** number of underlying events (slices, calls, allocations, wakeups, threads) */
  samples: number;
}

export interface CaptureInfo {
  dir: string;
  format_version: string;
  hostname: string | null;
  kernel_release: string | null;
  machine: string | null;
  complete: boolean;
  start_ts: number;
  end_ts: number;
  duration_ns: number;
  events: Needs[];
  losses: { reason: string; kind: string; count: number }[];
}

export interface CaptureMetrics {
  info: CaptureInfo;
  groups: Map<string, Map<string, Sample>>;
  /** group → folded stack (root first, without the group) → allocations */
  stacks: Map<string, Map<string, number>>;
}

type R = Record<string, any>;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));

/** A folded stack as flamegraph.pl reads it: frames joined by ';', none holding whitespace or ';'. */
export function cleanFolded(folded: string | null): string {
  if (!folded) return '[no stack]';
  return folded
    .split(';')
    .map((f) => f.replace(/[\s;]/g, '_'))
    .join(';');
}

/** Collect every metric of one opened capture. */
export async function collect(cap: CaptureDb, by: GroupBy, which: 'BASE' | 'NEW'): Promise<CaptureMetrics> {
  const events = (cap.manifest.options?.events ?? []) as string[];
  const [c] = await cap.query<R>(Q.CAPTURE);
  const info: CaptureInfo = {
    dir: cap.dir,
    format_version: String(c.format_version),
    hostname: c.hostname ?? null,
    kernel_release: c.kernel_release ?? null,
    machine: c.machine ?? null,
    complete: !!c.complete,
    start_ts: num(c.start_ts),
    end_ts: num(c.end_ts),
    duration_ns: num(c.dur),
    events: COMPARING.map((f) => f.name).filter((e) => events.includes(e)),
    losses: (await cap.query<R>(Q.LOSSES)).map((r) => ({ reason: String(r.reason), kind: String(r.kind), count: num(r.n) })),
  };
  if (!(info.duration_ns > 0))
    throw new CaptureError('E_COMPARE_EMPTY', `compare ${which} ${cap.dir}: the capture window is empty (start_ts = end_ts); record for longer`);

  const groups = new Map<string, Map<string, Sample>>();
  const put = (grp: string, metric: string, value: number | null, samples: number) => {
    let g = groups.get(grp);
    if (!g) groups.set(grp, (g = new Map()));
    g.set(metric, { value, samples });
  };
  try {
    await cap.conn.run(Q.THREAD_GROUPS, { by, recorder: cap.manifest.recorder_tgid ?? null });
  } catch (e) {
    if (isDataError(e))
      throw new CaptureError(
        'E_CAPTURE_VALUES',
        `compare ${which} ${cap.dir}: the capture holds values out of range, so it is damaged (${(e as Error).message.split('\n')[0].slice(0, 200)})`,
      );
    throw new KtapeError(
      'E_COMPARE_QUERY',
      `compare ${which} ${cap.dir}: grouping threads by ${by} failed: ${(e as Error).message.split('\n')[0]} (a bug in ktape compare; please report it)`,
      70,
    );
  }
  const stacks = new Map<string, Map<string, number>>();
  const x: CompareCollect = {
    cap,
    put,
    query: (name) => cap.query<R>(readFileSync(pkgPath(`families/${cur}/compare/${name}.sql`), 'utf8')),
    stack: (grp, folded, n) => {
      let g = stacks.get(grp);
      if (!g) stacks.set(grp, (g = new Map()));
      const k = cleanFolded(folded);
      g.set(k, (g.get(k) ?? 0) + n);
    },
  };
  let cur = '';
  for (const f of COMPARING) {
    if (!info.events.includes(f.name)) continue;
    cur = f.name;
    await f.compare!.collect(x);
  }
  return { info, groups, stacks };
}
