/**
 * The tcp family's section of `ktape report`: the tcp report's connect latency histograms (per process and per
 * remote address, log2) as bars, and its tables (per process, per remote address, the connections).
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { histBars, tableOf, viewDistribution } from '../../html/blocks.js';
import type { HtmlSection } from '../family.js';
import { tcpReport } from './report.js';

type Hist = { by: string; key: string; buckets: { lo_ns: number; hi_ns: number; count: number }[] };

export async function tcpHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await tcpReport(cap, o);
  const sec = (n: string) => r.sections.find((s) => s.name === n)!;
  const hists = sec('histograms').rows as Hist[];
  const of = (by: string) => hists.filter((h) => h.by === by).map((h) => ({ name: h.key, buckets: h.buckets }));
  return [
    {
      id: 'tcp',
      title: 'TCP connections',
      blocks: [
        histBars('Connect latency (SYN_SENT → ESTABLISHED) per process (log2 buckets)', of('process')),
        histBars('Connect latency per remote address (log2 buckets)', of('remote')),
        tableOf(sec('by_process')),
        tableOf(sec('by_remote')),
        tableOf(sec('connections')),
      ],
    },
  ];
}

/** connect latency (active) and accept-queue time (passive) of every connection, for the compare page's overlays */
export async function tcpDistributions(cap: CaptureDb) {
  return [
    ...(await viewDistribution(cap, 'tcp connect latency (SYN_SENT → ESTABLISHED)', 'tcp_connections', 'connect_ns')),
    ...(await viewDistribution(cap, 'tcp accept-queue time (ESTABLISHED → accept)', 'tcp_connections', 'accept_ns')),
  ];
}
