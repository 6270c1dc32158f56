/**
 * The contract between the generic exporters (export/perfetto.ts, export/chrome.ts) and the event families
 * (families/<family>/export.ts). A family handler turns the analyzer's views into trace events; the core owns
 * the file, the packet framing, the process tree, losses and the window, and never names a family's tables.
 */
import type { BinaryWriter } from '@bufbuild/protobuf/wire';
import type { CaptureDb } from '../analyze/db.js';
import type { EventGroup } from '../formats/schema.js';
import type { Scan } from './scan.js';
import type { FtraceWriter } from './ftrace.js';

/** What every handler gets: the opened capture and the export's window and selection. */
export interface ExportContext {
  readonly cap: CaptureDb;
  /** export window [lo, hi], ns since boot (the capture window cut by --since/--until) */
  readonly lo: number;
  readonly hi: number;
  /** true with --pid/--comm: handlers keep rows that _export_keep(tid, tgid) accepts (export/sql/select.sql) */
  readonly filtered: boolean;
  /** groups being exported */
  readonly groups: ReadonlySet<EventGroup>;
  /** stream a query chunk by chunk, columns read by name (bounded memory) */
  scan(sql: string, onChunk: (s: Scan) => void, params?: Record<string, string | number | boolean | null>): Promise<void>;
}

/** Perfetto: ftrace events go through per-CPU bundles; one-off packets are written whole. */
export interface PerfettoContext extends ExportContext {
  /** CompactSched on (default; --no-compact turns it off) */
  readonly compact: boolean;
  /** a fresh set of per-CPU bundles for one pass over a time-ordered (per CPU) stream; close() flushes them */
  ftrace(): FtraceWriter;
  /** a TracePacket built from its fields (see formats/perfetto) */
  writePacket(init: Record<string, unknown>): void;
  /** sequence flags for the next packet on ktape's own TrackEvent sequence */
  trackSeqFlags(): number;
  /** a new TrackDescriptor on that sequence; returns its uuid (opts: a child of `parent`, a counter track, a process's track) */
  track(name: string, description: string, opts?: TrackOptions): bigint;
  /** count of outstanding allocations etc. a handler wants in the summary line */
  note(key: 'outstandingAllocs', n: number): void;
}

/** What a track is besides its name: nested under another track, a counter (and its unit), a process's own track (by pid), or a thread's. */
export interface TrackOptions {
  parent?: bigint;
  counter?: 'count' | 'bytes' | 'ns';
  pid?: number;
  thread?: { tgid: number; tid: number };
}

/** Chrome JSON: one trace event per line; pid/tid pairs seen get their metadata from the core. */
export interface ChromeContext extends ExportContext {
  emit(json: string): void;
  /** a real thread lane used (pid = tgid): named from the threads view at the end */
  lane(pid: number, tid: number): void;
  /** a companion lane of a thread (tid offset by CHROME_LANE_BASE * n), named `<comm> <suffix>` */
  companion(pid: number, tid: number, laneTid: number, suffix: string): void;
  /** a synthetic process (CPU lanes, ktape's own tracks): name and sort index */
  syntheticProcess(pid: number, name: string, sortIndex: number, threadName?: { tid: number; name: string }): void;
}

/** One family's exporters. Each runs once per export when its group is exported; rows come from views. */
export interface FamilyExport {
  /** the --events group this family is exported under */
  readonly group: EventGroup;
  /** export-only SQL files the handlers read (families/<family>/export.sql, from the package root), run after the analyzer's views and export/sql/select.sql */
  readonly sql: readonly string[];
  /** capture tables of this family none of its export views read: not loaded (a faster load) */
  readonly unread?: readonly string[];
  /** capture tables of this family that only its Perfetto exporter reads: a Chrome export does not load them */
  readonly perfettoOnly?: readonly string[];
  /** tables outside any event group (e.g. kallsyms) that this family's exporters read: not loaded when no family exported lists them */
  readonly shared?: readonly string[];
  /** (tid, ts) of every thread the Perfetto events reference (ProcessTree declarations): a SELECT */
  perfettoRefs?(ctx: ExportContext): string;
  perfetto?(ctx: PerfettoContext): Promise<void>;
  chrome?(ctx: ChromeContext): Promise<void>;
}

export type { BinaryWriter };
