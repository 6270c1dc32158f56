/**
 * The cache family's section of `ktape report`: the cache report's read hit ratio per process as bars, and its
 * tables (per process, per process and file, /proc/meminfo at the start and the end).
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { tableOf } from '../../html/blocks.js';
import type { HtmlSection } from '../family.js';
import { cacheReport } from './report.js';

export async function cacheHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await cacheReport(cap, o);
  const sec = (n: string) => r.sections.find((s) => s.name === n)!;
  const procs = sec('by_process').rows;
  return [
    {
      id: 'cache',
      title: 'Page cache',
      blocks: [
        {
          kind: 'bars',
          title: 'Page cache reads per process, hits and misses (pages; the table has the hit ratio)',
          unit: 'count',
          horizontal: true,
          stack: true,
          categories: procs.map((x) => `${x.comm ?? '?'} (${x.tgid})`),
          series: [
            { name: 'read hits', values: procs.map((x) => Number(x.read_hits)) },
            { name: 'read misses', values: procs.map((x) => Number(x.read_misses)) },
          ],
        },
        tableOf(sec('by_process')),
        tableOf(sec('by_file')),
        tableOf(sec('meminfo')),
      ],
    },
  ];
}
