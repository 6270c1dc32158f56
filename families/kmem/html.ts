/**
 * The kmem family's section of `ktape report`: the outstanding allocations at the end (the leaks report,
 * grouped by kernel stack in SQL) as a zoomable icicle (root at the top, bytes wide) and a table.
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { flameTree, tableOf } from '../../html/blocks.js';
import type { HtmlSection } from '../family.js';
import { leaksReport } from './report.js';

/** stacks drawn in the icicle (the largest by bytes) */
export const ICICLE_STACKS = 500;

export async function kmemHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const all = (await leaksReport(cap, { ...o, top: ICICLE_STACKS })).sections[0];
  const top = { ...all, rows: all.rows.slice(0, o.top), title: all.title.replace(`top ${ICICLE_STACKS}`, `top ${o.top}`) };
  return [
    {
      id: 'leaks',
      title: 'Outstanding kernel allocations (leak stacks)',
      blocks: [
        {
          kind: 'icicle',
          title: `Outstanding bytes at the end by kernel stack, outermost frame at the top (the ${ICICLE_STACKS} largest stacks; click a frame to zoom)`,
          unit: 'bytes',
          root: flameTree(
            'all',
            all.rows.map((r) => ({ frames: [...(r.frames as string[])].reverse(), value: Number(r.bytes) })),
          ),
        },
        tableOf(top),
      ],
    },
  ];
}
