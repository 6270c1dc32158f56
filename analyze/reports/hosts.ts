/**
 * A report over several captures: each capture's own report (run on its schema, analyze/hosts.ts), its
 * rows under a `host` column (and `recording`, when a host has several), so each host's rows are exactly
 * those of its capture analyzed alone; --top applies per host. JSON: the per-capture facts (window,
 * losses, ...) under `hosts`, every section's rows with host (and recording) fields.
 */
import type { CaptureRef } from '../../formats/captures.js';
import type { Row } from '../db.js';
import type { Col, ReportResult, Section } from './common.js';

export interface HostReport {
  ref: CaptureRef;
  res: ReportResult;
  /** the capture's start (its boot clock: hosts' clocks are unrelated) */
  startTs: number;
}

/** Does some host have more than one recording? Then rows and notes name the recording too. */
export function recordingsRepeat(refs: CaptureRef[]): boolean {
  return new Set(refs.map((r) => r.host)).size < refs.length;
}

function label(ref: CaptureRef, withRecording: boolean): Record<string, string> {
  return withRecording ? { host: ref.host, recording: ref.recording } : { host: ref.host };
}

/** A row's `ts` columns as offsets from its capture's start (rendered with base 0). */
function offsets(row: Row, cols: Col[], startTs: number): Row {
  const out = { ...row };
  for (const c of cols) if (c.unit === 'ts' && typeof out[c.key] === 'number') out[c.key] = (out[c.key] as number) - startTs;
  return out;
}

/** One section over every host: label columns in front, each host's rows (or text) in turn. */
function mergeSection(name: string, parts: HostReport[], withRecording: boolean, relativeTs: boolean): Section {
  const mine = parts.flatMap((p) => p.res.sections.filter((s) => s.name === name).map((s) => ({ ref: p.ref, s, start: p.startTs })));
  const first = mine[0].s;
  const labels: Col[] = [{ key: 'host' }, ...(withRecording ? [{ key: 'recording' }] : [])];
  const texts = mine.filter((m) => m.s.text !== undefined);
  return {
    name,
    // a title names the capture's window: say each host's when they differ
    title: [...new Set(mine.map((m) => m.s.title))].join(' | '),
    columns: first.columns.length ? [...labels, ...first.columns] : [],
    rows: mine.flatMap((m) => m.s.rows.map((r) => ({ ...label(m.ref, withRecording), ...(relativeTs ? offsets(r, m.s.columns, m.start) : r) }))),
    text: texts.length ? texts.map((m) => `  ${Object.values(label(m.ref, withRecording)).join(' ')}:\n${m.s.text}`).join('\n') : undefined,
  };
}

/**
 * Merge the reports of several captures into one (see the module comment). `relativeTs` (human output):
 * timestamps become offsets from their own capture's start, so render the result with base 0.
 */
export function mergeHostReports(parts: HostReport[], relativeTs: boolean): ReportResult {
  const withRecording = recordingsRepeat(parts.map((p) => p.ref));
  const names = [...new Set(parts.flatMap((p) => p.res.sections.map((s) => s.name)))];
  return {
    report: parts[0].res.report,
    facts: { hosts: parts.map((p) => ({ ...label(p.ref, withRecording), dir: p.ref.dir, ...p.res.facts })) },
    sections: names.map((n) => mergeSection(n, parts, withRecording, relativeTs)),
    notes: parts.flatMap((p) => p.res.notes.map((n) => `${Object.values(label(p.ref, withRecording)).join('/')}: ${n}`)),
  };
}
