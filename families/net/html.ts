/**
 * The net family's section of `ktape report`: the net report's per-device tx and rx bytes as bars, its transmit
 * latency histograms (queue → xmit, log2, per device) and its tables (per device, drops by reason).
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { histBars, tableOf, viewDistribution } from '../../html/blocks.js';
import type { HtmlSection } from '../family.js';
import { netReport } from './report.js';

type Hist = { device: string; netns: number; buckets: { lo_ns: number; hi_ns: number; count: number }[] };

export async function netHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await netReport(cap, o);
  const sec = (n: string) => r.sections.find((s) => s.name === n)!;
  const devs = sec('by_device').rows;
  const hists = sec('histograms').rows as Hist[];
  const devName = (x: Record<string, unknown>) => `${x.device ?? '?'} (netns ${x.netns})`;
  return [
    {
      id: 'net',
      title: 'Network devices',
      blocks: [
        {
          kind: 'bars',
          title: 'Bytes per device, transmitted and received',
          unit: 'bytes',
          horizontal: true,
          categories: devs.map(devName),
          series: [
            { name: 'tx', values: devs.map((x) => Number(x.tx_bytes)) },
            { name: 'rx', values: devs.map((x) => Number(x.rx_bytes)) },
          ],
        },
        histBars(
          'Transmit latency (net_dev_queue → net_dev_xmit) per device (log2 buckets)',
          hists.map((h) => ({ name: devName(h), buckets: h.buckets })),
        ),
        tableOf(sec('by_device')),
        tableOf(sec('drops')),
      ],
    },
  ];
}

/** transmit latency (queue → xmit) of every transmit the device took, for the compare page's overlays */
export const netDistributions = (cap: CaptureDb) =>
  viewDistribution(cap, 'net transmit latency (net_dev_queue → net_dev_xmit)', 'net_transmits', 'queue_ns', 'rc = 0');
