/**
 * The task family's section of `ktape report`: the process tree of the tasks report with each process'
 * lifetime as a bar (tree order, a dot per level of depth; from its fork, or the capture start, to its exit, or
 * the capture end), the fork/exec/exit events, and the exit accounting of threads and processes (the tasks
 * report's accounting sections, when the capture has them).
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import { tableOf } from '../../html/blocks.js';
import { fmtNs } from '../../formats/units.js';
import type { HtmlBlock, HtmlSection } from '../family.js';
import { tasksReport } from './report.js';

/** processes drawn (tree order) and events listed */
export const MAX_PROCESSES = 300;

function lifetimes(cap: CaptureDb, roots: any[]): HtmlBlock {
  const lanes: string[] = [];
  const items: Extract<HtmlBlock, { kind: 'timeline' }>['items'] = [];
  const span = cap.endTs - cap.startTs;
  const walk = (n: any, depth: number) => {
    if (lanes.length >= MAX_PROCESSES) return;
    const lane = lanes.push(`${'· '.repeat(depth)}${n.comm ?? '?'} (${n.tgid})`) - 1;
    const from = n.start_ts === null || n.start_ts < cap.startTs ? 0 : n.start_ts - cap.startTs;
    const to = n.end_ts === null ? span : Math.min(span, n.end_ts - cap.startTs);
    items.push({
      lane,
      from_ns: from,
      to_ns: Math.max(from, to),
      label: n.comm ?? '?',
      tip: [
        `${n.comm ?? '?'} (tgid ${n.tgid}), parent ${n.parent_tgid ?? '?'}`,
        n.exec_filename ? `exec ${n.exec_filename}` : 'no exec seen',
        n.from_snapshot || n.start_ts === null || n.start_ts < cap.startTs ? 'running at the start' : `fork +${fmtNs(from)}`,
        n.end_ts === null ? 'running at the end' : `exit +${fmtNs(to)} status ${n.exit_status}${n.exit_signal ? ` signal ${n.exit_signal}` : ''}`,
        n.lifetime_ns === null ? '' : `lifetime ${fmtNs(n.lifetime_ns)}`,
        `${n.threads} thread(s)`,
      ].filter(Boolean),
    });
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return { kind: 'timeline', title: `Process tree with lifetimes (fork → exit; at most ${MAX_PROCESSES} processes)`, lanes, items };
}

export async function taskHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  const r = await tasksReport(cap, o);
  const events = r.sections.find((s) => s.name === 'events')!;
  const tree = r.sections.find((s) => s.name === 'tree')!;
  return [
    {
      id: 'tasks',
      title: 'Task tree with lifetimes',
      blocks: [
        lifetimes(cap, tree.rows),
        tableOf({ ...events, rows: events.rows.slice(0, MAX_PROCESSES) }, `${events.title} (first ${MAX_PROCESSES})`),
        ...r.sections.filter((s) => s.name === 'exit_accounting' || s.name === 'process_accounting').map((s) => tableOf(s)),
      ],
    },
  ];
}
