/**
 * The fault family's section of `ktape report`: minor and major faults over the capture (the faults view,
 * counted per time bucket in SQL) and per process (the faults report), as stacked bars, and the report's tables
 * (per process, by code address, by file).
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { bucketWidth, tableOf } from '../../html/blocks.js';
import { fmtNs } from '../../formats/units.js';
import type { HtmlBlock, HtmlSection } from '../family.js';
import { faultReport } from './report.js';

const TIME_BUCKETS = 60;

/** minor and major faults per time bucket of the whole capture */
async function overTime(cap: CaptureDb): Promise<HtmlBlock> {
  const w = bucketWidth(cap, TIME_BUCKETS);
  const rows = await cap.query<{ t: number; minor: number; major: number }>(
    `SELECT least($4 - 1, (ts - $1) // $3)::INTEGER AS t, count(*) FILTER (WHERE class = 'minor')::INTEGER AS minor,
       count(*) FILTER (WHERE class = 'major')::INTEGER AS major
     FROM faults WHERE ts >= $1 AND ts <= $2 GROUP BY 1 ORDER BY 1`,
    [cap.startTs, cap.endTs, w, TIME_BUCKETS],
  );
  const n = rows.length ? rows[rows.length - 1].t + 1 : 0;
  const at = (k: 'minor' | 'major') => Array.from({ length: n }, (_, t) => rows.find((r) => r.t === t)?.[k] ?? 0);
  return {
    kind: 'bars',
    title: `Page faults over time (per ${fmtNs(w)})`,
    unit: 'count',
    stack: true,
    categories: Array.from({ length: n }, (_, t) => `+${fmtNs(t * w)}`),
    series: [
      { name: 'minor', values: at('minor') },
      { name: 'major', values: at('major') },
    ],
  };
}

export async function faultHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await faultReport(cap, o);
  const sec = (n: string) => r.sections.find((s) => s.name === n)!;
  const procs = sec('by_process').rows;
  return [
    {
      id: 'faults',
      title: 'Page faults',
      blocks: [
        await overTime(cap),
        {
          kind: 'bars',
          title: 'Page faults per process, minor and major',
          unit: 'count',
          horizontal: true,
          stack: true,
          categories: procs.map((x) => `${x.comm ?? '?'} (${x.tgid})`),
          series: [
            { name: 'minor', values: procs.map((x) => Number(x.minor)) },
            { name: 'major', values: procs.map((x) => Number(x.major)) },
          ],
        },
        tableOf(sec('by_process')),
        tableOf(sec('by_ip')),
        tableOf(sec('by_file')),
      ],
    },
  ];
}
