/**
 * The io family's section of `ktape report`: the io report (per process, per device, the largest requests,
 * queue and service histograms per device) and a heat map of service time over the capture (io_requests,
 * aggregated in SQL).
 */
import type { CaptureDb } from '../../analyze/db.js';
import { LOG2_BUCKET_US, type ReportOptions } from '../../analyze/reports/common.js';
import { bucketWidth, histBars, tableOf, timeHeatmap } from '../../html/blocks.js';
import { fmtNs } from '../../formats/units.js';
import type { HtmlSection } from '../family.js';
import { ioReport } from './report.js';

const HEAT_BUCKETS = 60;

export async function ioHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await ioReport(cap, o);
  const sec = (n: string) => r.sections.find((s) => s.name === n)!;
  const w = bucketWidth(cap, HEAT_BUCKETS);
  const heat = await cap.query<{ t: number; b: number; n: number }>(
    `SELECT least($4 - 1, (ts - $1) // $3)::INTEGER AS t, ${LOG2_BUCKET_US('service_ns')} AS b, count(*)::INTEGER AS n
     FROM io_requests WHERE service_ns IS NOT NULL AND ts >= $1 AND ts <= $2 GROUP BY ALL ORDER BY 1, 2`,
    [cap.startTs, cap.endTs, w, HEAT_BUCKETS],
  );
  const hists = sec('histograms').rows as { device: string; time: string; buckets: { lo_ns: number; hi_ns: number; count: number }[] }[];
  return [
    {
      id: 'io',
      title: 'Block I/O',
      blocks: [
        timeHeatmap(`I/O service time over time (requests per ${fmtNs(w)} and service-time bucket)`, w, heat),
        histBars(
          'Queue and service time per device (log2 buckets)',
          hists.map((h) => ({ name: `${h.device} ${h.time}`, buckets: h.buckets })),
        ),
        tableOf(sec('by_process')),
        tableOf(sec('by_device')),
        tableOf(sec('largest')),
      ],
    },
  ];
}

/** queue and service time of every request, for the compare page's overlays */
export async function ioDistributions(cap: CaptureDb) {
  const r = await ioReport(cap, { since: cap.startTs, until: cap.endTs, top: 1 });
  const hists = (r.sections.find((s) => s.name === 'histograms')?.rows ?? []) as { device: string; time: string; buckets: any[] }[];
  return hists.map((h) => ({ name: `io ${h.time} time (${h.device})`, buckets: h.buckets }));
}
