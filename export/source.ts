/**
 * Opening a capture for export: the analyzer's database (openCapture) plus the export's window and
 * --pid/--comm selection as temporary tables, and each exported family's export SQL (export/sql). Every
 * rule (slices, states, pairing, tid -> tgid, names) is the analyzer's view; this file only narrows them.
 */
import { pkgPath } from '../record/paths.js';
import { readFileSync } from 'node:fs';
import { openCapture, type CaptureDb } from '../analyze/db.js';
import { UsageError } from '../formats/errors.js';
import { EVENT_GROUPS, TABLES, type EventGroup } from '../formats/schema.js';
import type { ExportContext, FamilyExport } from './handlers.js';
import { runScript, scan } from './scan.js';

export interface ExportOptions {
  /** keep only these processes (tgid; a tid is accepted too and selects its process) */
  pids?: number[];
  /** keep only processes that had a thread with one of these comms */
  comms?: string[];
  /** window, ns relative to the capture start (manifest.start_ts) */
  sinceNs?: number;
  untilNs?: number;
  /** event groups to export (default: all recorded) */
  events?: EventGroup[];
  /** Perfetto only: sched_switch/sched_waking as CompactSched (default true) */
  compact?: boolean;
  /** progress (bytes written so far), at most 4 times a second */
  onProgress?: (bytes: number) => void;
  /** DuckDB memory limit for the export's database (bounds the export's memory), e.g. '2GB' */
  memoryLimit?: string;
}

export interface ExportSession {
  readonly ctx: ExportContext;
  /** the handlers of the exported groups, in list order */
  readonly families: FamilyExport[];
  /** damaged table files, each with what is wrong (their complete batches were exported) */
  readonly torn: string[];
  /** other one-line warnings about the capture */
  readonly warnings: string[];
  close(): void;
}

/** Loader warnings → the exporters' wording: one line per damaged file, the rest as they are. */
function splitWarnings(cap: CaptureDb, all: string[]): { torn: string[]; warnings: string[] } {
  const torn: string[] = [];
  const damaged = new Set<string>();
  for (const d of cap.loaded?.damage ?? []) {
    damaged.add(d.table);
    for (const part of d.why.split('; ')) torn.push(part.includes('.arrows') ? part : `table ${d.table}: ${part}`);
  }
  const warnings = all.filter((w) => ![...damaged].some((t) => w.startsWith(`table ${t}: `)));
  return { torn, warnings };
}

function chooseGroups(cap: CaptureDb, dir: string, opts: ExportOptions): Set<EventGroup> {
  const recorded = new Set(cap.manifest.options?.events ?? EVENT_GROUPS);
  for (const g of opts.events ?? [])
    if (!recorded.has(g))
      throw new UsageError(
        `export --events: group '${g}' was not recorded in ${dir} (recorded: ${[...recorded].join(',')}); drop it from --events`,
        'E_EXPORT_EVENTS',
      );
  return new Set(opts.events ?? [...recorded]);
}

/** the window and the selection as temporary tables that export/sql/select.sql reads */
async function selection(cap: CaptureDb, opts: ExportOptions, lo: number, hi: number): Promise<boolean> {
  const filtered = !!(opts.pids?.length || opts.comms?.length);
  await cap.query('CREATE OR REPLACE TEMP TABLE _export_window AS SELECT $lo::BIGINT AS lo, $hi::BIGINT AS hi, $f::BOOLEAN AS filtered', {
    lo,
    hi,
    f: filtered,
  });
  await cap.query('CREATE OR REPLACE TEMP TABLE _export_pids (tid INTEGER)');
  await cap.query('CREATE OR REPLACE TEMP TABLE _export_comm_sel (comm VARCHAR)');
  for (const p of opts.pids ?? []) await cap.query('INSERT INTO _export_pids VALUES ($1)', [p]);
  for (const c of opts.comms ?? []) await cap.query('INSERT INTO _export_comm_sel VALUES ($1)', [c]);
  return filtered;
}

export type ExportFormat = 'perfetto' | 'chrome';

/**
 * The capture tables this export never reads, left unloaded (the load is most of an export's cost): event
 * tables of groups not exported, those the exported families' handlers say they do not read, those only
 * the other format reads, and shared tables (no group) read only by families not exported.
 */
function unreadTables(all: readonly FamilyExport[], opts: ExportOptions, format: ExportFormat): string[] {
  const wanted = opts.events ? new Set<string>(opts.events) : null;
  const exported = all.filter((f) => !wanted || wanted.has(f.group));
  const skip = TABLES.filter((t) => t.group && wanted && !wanted.has(t.group)).map((t) => t.name);
  for (const f of exported) skip.push(...(f.unread ?? []), ...(format === 'perfetto' ? [] : (f.perfettoOnly ?? [])));
  const needed = new Set(exported.flatMap((f) => f.shared ?? []));
  for (const f of all) for (const t of f.shared ?? []) if (!needed.has(t)) skip.push(t);
  return skip;
}

/** Open `dir` for an export with these handlers (those of unexported groups are left out). */
export async function openExport(dir: string, opts: ExportOptions, all: readonly FamilyExport[], format: ExportFormat): Promise<ExportSession> {
  const msgs: string[] = [];
  const cap = await openCapture(dir, { onWarning: (m) => msgs.push(m), skipTables: unreadTables(all, opts, format), memoryLimit: opts.memoryLimit });
  try {
    const groups = chooseGroups(cap, dir, opts);
    // every event lies in the capture's window (the analyzer's _capture); --since/--until narrow it
    const lo = cap.startTs + Math.max(0, opts.sinceNs ?? 0);
    const hi = Math.min(cap.endTs, opts.untilNs !== undefined ? cap.startTs + opts.untilNs : Infinity);
    const filtered = await selection(cap, opts, lo, Math.max(lo, hi));
    const families = all.filter((f) => groups.has(f.group));
    for (const file of ['export/sql/select.sql', ...new Set(families.flatMap((f) => f.sql))]) await runScript(cap, readFileSync(pkgPath(file), 'utf8'), file);
    const ctx: ExportContext = {
      cap,
      lo,
      hi: Math.max(lo, hi),
      filtered,
      groups,
      scan: (sql, onChunk, params) => scan(cap, sql, onChunk, params),
    };
    return { ctx, families, ...splitWarnings(cap, msgs), close: () => cap.close() };
  } catch (e) {
    cap.close();
    throw e;
  }
}
