/** Report registry: the core summary plus every family's reports (families/index.ts). Every report gets loss-window notes. */
import type { CaptureDb } from '../db.js';
import { FAMILIES } from '../../families/index.js';
import type { ReportDef } from '../../families/family.js';
import { TABLES, type Manifest } from '../../formats/schema.js';
import { lossNotes, type ReportOptions, type ReportResult } from './common.js';

const summary: ReportDef = {
  doc: 'capture facts, event counts, losses, top tasks by CPU, top syscalls, outstanding kernel memory',
  reads: TABLES.filter((t) => t.role === 'event').map((t) => t.name),
  load: async () => (await import('./summary.js')).summaryReport,
};

export const REPORTS: Record<string, ReportDef> = Object.fromEntries([['summary', summary], ...FAMILIES.flatMap((f) => Object.entries(f.reports))]);

export async function runReport(name: string, cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const r = await (await REPORTS[name].load())(cap, o);
  const l = await lossNotes(cap, o);
  return { ...r, facts: { ...r.facts, window: { since_ts: o.since, until_ts: o.until }, ...l.facts }, notes: [...l.notes, ...r.notes] };
}

/** The event tables `report` can do without on this capture: those it does not read. */
export function reportSkips(report: string, manifest: Manifest): string[] {
  const r = REPORTS[report];
  const reads = new Set(typeof r.reads === 'function' ? r.reads(manifest) : r.reads);
  // core event tables (task_ids) are always read
  return TABLES.filter((t) => t.role === 'event' && t.group && !reads.has(t.name)).map((t) => t.name);
}
