/** The signal family's section of `ktape report`: the signals report's tables (who signalled whom, by signal, deliveries, OOM kills). */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { tableOf } from '../../html/blocks.js';
import type { HtmlSection } from '../family.js';
import { signalsReport } from './report.js';

export async function signalHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await signalsReport(cap, o);
  const bySignal = r.sections.find((s) => s.name === 'by_signal')!;
  return [
    {
      id: 'signals',
      title: 'Signals and OOM kills',
      blocks: [
        {
          kind: 'bars',
          title: 'Signals generated, by signal',
          unit: 'count',
          horizontal: true,
          categories: bySignal.rows.map((x) => String(x.signal)),
          series: [{ name: 'signals', values: bySignal.rows.map((x) => Number(x.count)) }],
        },
        ...r.sections.map((s) => tableOf(s)),
      ],
    },
  ];
}
