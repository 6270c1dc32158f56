/**
 * Differential folded stacks of kernel allocations: one line per stack,
 * `group;root;...;leaf count_base count_new`, the two-column format that
 * difffolded.pl writes and flamegraph.pl reads (red = grew, blue = shrank).
 * Counts are allocations (raw, not normalized: pass -n to difffolded.pl-style
 * tools, or flamegraph.pl --negate, as you prefer).
 */
import type { CaptureMetrics } from './metrics.js';
import { printable } from '../analyze/reports/common.js';

const clean = (s: string) => s.replace(/[\s;]/g, '_');

export function foldedDiff(base: CaptureMetrics, next: CaptureMetrics): string[] {
  const keys = new Map<string, [number, number]>();
  const add = (m: CaptureMetrics, i: 0 | 1) => {
    for (const [grp, stacks] of m.stacks)
      for (const [folded, n] of stacks) {
        const k = `${clean(grp)};${folded}`;
        const v = keys.get(k) ?? [0, 0];
        v[i] += n;
        keys.set(k, v);
      }
  };
  add(base, 0);
  add(next, 1);
  // frames and process names come from the capture: one stack per line, no control characters
  return [...keys].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map(([k, [b, n]]) => `${printable(k)} ${b} ${n}`);
}
