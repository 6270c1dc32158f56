/**
 * The files family's section of `ktape report`: the files report's path syscalls (calls and errors) as bars,
 * and its tables (paths opened per process, errors per process and errno, execs, path syscalls).
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { tableOf, viewDistribution } from '../../html/blocks.js';
import type { HtmlSection } from '../family.js';
import { filesReport } from './report.js';

export async function filesHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await filesReport(cap, o);
  const sec = (n: string) => r.sections.find((s) => s.name === n)!;
  const sys = sec('by_syscall').rows;
  return [
    {
      id: 'files',
      title: 'Files: opens, errors and execs',
      blocks: [
        {
          kind: 'bars',
          title: 'Path syscalls: calls that succeeded and that failed',
          unit: 'count',
          horizontal: true,
          stack: true,
          categories: sys.map((x) => String(x.name)),
          series: [
            { name: 'ok', values: sys.map((x) => Number(x.count) - Number(x.errors)) },
            { name: 'failed', values: sys.map((x) => Number(x.errors)) },
          ],
        },
        tableOf(sec('opens')),
        tableOf(sec('errors')),
        tableOf(sec('execs')),
        tableOf(sec('by_syscall')),
      ],
    },
  ];
}

/** the time of every open (open, openat, openat2, creat; the files report's opens), for the compare page's overlays */
export const filesDistributions = (cap: CaptureDb) =>
  viewDistribution(cap, 'files open latency (open, openat, openat2, creat)', 'file_calls', 'dur', "name IN ('open', 'openat', 'openat2', 'creat')");
