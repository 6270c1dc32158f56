/**
 * The syscall family's sections of `ktape report`: the syscalls report (per syscall and per process, with
 * its latency histograms) as tables, and the histograms of the top syscalls as a heat map (one row each).
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions, Section } from '../../analyze/reports/common.js';
import { bucketLabel, tableOf, viewDistribution } from '../../html/blocks.js';
import type { HtmlBlock, HtmlSection } from '../family.js';
import { syscallsReport } from './report.js';

type Hist = { name: string; buckets: { lo_ns: number; hi_ns: number; count: number }[] };

/** latency distribution per syscall: rows are syscalls, columns log2 buckets */
function distributions(hists: Hist[]): HtmlBlock {
  const longest = hists.reduce((a, h) => (h.buckets.length > a.length ? h.buckets : a), [] as Hist['buckets']);
  return {
    kind: 'heatmap',
    title: 'Latency distribution per syscall (calls per log2 bucket; top syscalls by total time)',
    x: longest.map((b) => bucketLabel(b.lo_ns, b.hi_ns)),
    y: hists.map((h) => h.name),
    cells: hists.flatMap((h, y) => h.buckets.map((b, x): [number, number, number] => [x, y, b.count]).filter((c) => c[2] > 0)),
  };
}

export async function syscallHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await syscallsReport(cap, { ...o, hist: true });
  const sec = (n: string) => r.sections.find((s) => s.name === n) as Section;
  return [
    {
      id: 'syscalls',
      title: 'Syscalls: latency per syscall and per process',
      blocks: [distributions(sec('histograms').rows as Hist[]), tableOf(sec('by_syscall')), tableOf(sec('by_process'))],
    },
  ];
}

/** the latency histogram of every syscall together, for the compare page's overlays */
export const syscallDistributions = (cap: CaptureDb) => viewDistribution(cap, 'syscall latency (all syscalls)', 'syscalls', 'dur');
