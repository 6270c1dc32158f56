/**
 * `ktape report CAP -o report.html`: the capture facts (the summary report's), a banner for lost events and
 * kernel gaps, then each recorded family's sections (families/<family>/html.ts, its htmlSections hook), in
 * registry order. A family the capture did not record gets one line saying how to record it.
 */
import { basename } from 'node:path';
import type { CaptureDb } from '../analyze/db.js';
import { summaryReport } from '../analyze/reports/summary.js';
import type { ReportOptions } from '../analyze/reports/common.js';
import { FAMILIES } from '../families/index.js';
import type { Family, HtmlSection } from '../families/family.js';
import { fmtNs } from '../formats/units.js';
import { tableOf } from './blocks.js';
import type { PageData } from './page.js';

const REASONS: Record<string, string> = {
  ringbuf_full: 'dropped by the recorder (ring buffer full)',
  kernel_gap: 'context switches the kernel did not report (kernel gaps; each a lower bound of 1)',
  bpf_recursion: 'skipped by the kernel (BPF program already running on the CPU)',
  max_size: 'not written after --max-size was reached',
  truncated: 'missing from damaged or cut files',
};

const BANNER_LEAD = 'Events are missing from this capture: figures in these windows are incomplete.';

/** one line per loss reason and kind: what was lost, how many, when */
export async function lossBanner(cap: CaptureDb): Promise<string[]> {
  const rows = await cap.query<any>(
    `SELECT reason, kind, sum(count)::BIGINT AS lost, count(*) AS windows, count(DISTINCT cpu) AS cpus, min(ts_start) AS first_ts, max(ts_end) AS last_ts
     FROM losses GROUP BY reason, kind ORDER BY lost DESC, reason, kind`,
  );
  const rel = (t: number) => `+${fmtNs(Math.max(0, t - cap.startTs))}`;
  const lines = rows.map(
    (r) =>
      `${r.lost} ${r.kind} events ${REASONS[r.reason] ?? r.reason}, in ${r.windows} window(s) on ${r.cpus} CPU(s) from ${rel(r.first_ts)} to ${rel(r.last_ts)}`,
  );
  return lines.length ? [BANNER_LEAD, ...lines] : [];
}

/**
 * The red banner: the losses, then the summary's warnings (e.g. sched's "context switches missing", from its
 * switch balance), as `ktape analyze CAP` prints them; the lead line when there is any.
 */
async function banner(cap: CaptureDb, summaryNotes: string[]): Promise<string[]> {
  const lines = await lossBanner(cap);
  const warnings = summaryNotes.map((n) => n.replace(/^WARNING: /, ''));
  if (!warnings.length) return lines;
  return [...(lines.length ? lines : [BANNER_LEAD]), ...warnings];
}

/** a family is in the capture when it was recorded (the manifest's --events) */
const recorded = (cap: CaptureDb, f: Family) => (cap.manifest.options?.events ?? []).includes(f.name);

/*
 * No view is computed twice for the page's big readers: the cpu report aggregates the CPU slices once for
 * the summary's top threads and the page's by-thread and by-process tables (families/sched/reports/cpu.ts),
 * so sched_slices is read twice in all (that and the timeline), which costs less than storing it (measured on
 * a 2M-round-trip pingpong capture: 12.5 s of CPU against 14.8 s). The syscall pairing (syscalls) is read once,
 * by the syscalls report (its section), since the summary's part of the syscall family (its top syscalls,
 * which that section shows in full) is not computed.
 */

/** families whose summary part the page leaves out: their own sections show the same rows and more */
export const SUMMARY_SKIP = ['syscall'];

export async function reportData(cap: CaptureDb, top: number): Promise<PageData> {
  const o: ReportOptions = { since: cap.startTs, until: cap.endTs, top };
  const summary = await summaryReport(cap, o, SUMMARY_SKIP);
  const facts = summary.sections.find((s) => s.name === 'facts')!;
  const sections: HtmlSection[] = [
    { id: 'events', title: 'Events and losses', blocks: summary.sections.filter((s) => s.name === 'events' || s.name === 'losses').map((s) => tableOf(s)) },
  ];
  const notes: string[] = [];
  for (const f of FAMILIES) {
    if (!f.htmlSections) continue;
    if (!recorded(cap, f)) notes.push(`this capture has no ${f.name} events: record with --events ${f.name}`);
    else sections.push(...(await (await f.htmlSections())(cap, o)));
  }
  return {
    title: `ktape report: ${basename(cap.dir)} (${cap.manifest.host?.hostname ?? '?'})`,
    subtitle: `capture ${cap.dir}, ${fmtNs(cap.endTs - cap.startTs)}`,
    start_ts: cap.startTs,
    banner: await banner(cap, summary.notes),
    facts: facts.rows as { fact: string; value: string }[],
    sections,
    notes,
  };
}
