/**
 * What an event family is: one folder under families/ (its BPF programs and
 * wire header, tables, decoder, SQL, reports, export handlers, compare
 * metrics and tests) described by one Family object, listed once in
 * families/index.ts. The core (record/, analyze/, export/, compare/, cli/)
 * iterates that registry and names no family's tables itself.
 *
 * Glossary (the whole code base follows it):
 *  - family: a folder here, and the `--events` group of that name;
 *  - table: a capture table (formats/capture.md);
 *  - kind: a wire record type (kt_hdr.kind), numbered in the family's header;
 *  - tid: a kernel task (thread) id; tgid: a thread group (process) id.
 *    Never a bare "pid".
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Manifest } from '../formats/schema.js';
import type { TableDef } from '../formats/table.js';
import type { TableWriter } from '../record/writer.js';

/** One wire record kind. */
export interface KindDef {
  /** enum value in the family's header (formats/gen/events.gen.ts) */
  id: number;
  /** name in losses.kind and in the stats table (events.<name>) */
  name: string;
  /** the wire struct: records shorter than it are counted malformed, never decoded */
  struct: string;
}

/** What the record options say, as far as families need to know. */
export interface RecordSettings {
  /** families recorded */
  events: readonly string[];
  /** following the command's process tree */
  follow: boolean;
  kmemStacks: boolean;
  schedWait: boolean;
  stackDepth: number;
}

/** One BPF program of the family. */
export interface ProgramDef {
  name: string;
  kind: number;
  /** runs after the main program of its kind for every event, and records those the kernel skipped the main one for (bpf/common.bpf.h KT_NESTED) */
  nested?: boolean;
  /** load it even when the family is not recorded (the task programs keep the follow-children filter) */
  alsoWhen?: (s: RecordSettings) => boolean;
}

/** The part of a loaded BPF object a family may adjust before load. */
export interface BpfMaps {
  setMaxEntries(map: string, n: number): void;
  setValueSize(map: string, bytes: number): void;
}

/** A row of the losses table, as the decoder infers it. */
export interface InferredLoss {
  cpu: number;
  kind: string;
  count: number;
  ts_start: bigint;
  ts_end: bigint;
  reason: string;
  [column: string]: unknown;
}

/**
 * What a decoder handler gets: the drained bytes as typed views (byte
 * offsets >> 1 / >> 2 index them; payloads are 8-aligned), the table
 * writers, and the shared tid → tgid bookkeeping (task_ids).
 */
export interface DecodeCtx {
  u8: Uint8Array;
  u16: Uint16Array;
  u32: Uint32Array;
  i32: Int32Array;
  /** writers of the recorded tables, by table name (absent: not recorded) */
  writers: Record<string, TableWriter>;
  /** note that `tid` belongs to `tgid` from ts on (a task_ids row when it changes) */
  noteTgid(tslo: number, tshi: number, tid: number, tgid: number): void;
  /** the tid was freed and may be reused */
  forgetTgid(tid: number): void;
}

/**
 * Decode one record whose header the core has read: `p` is the payload's
 * byte offset, ts as two u32 halves, the header's cpu and tid, and the kind.
 * The record is at least as long as the kind's struct.
 */
export type KindHandler = (x: DecodeCtx, p: number, tslo: number, tshi: number, cpu: number, tid: number, kind: number) => void;

/** Rows [from, to) of a table that the C decoder filled, with their side fields, before they are written. */
export interface DecodedRows {
  builder: import('../record/writer.js').BatchBuilder;
  /** the PlanSpec side fields, by name, as u32 words (a u64 field takes two per row) */
  side: Record<string, Uint32Array>;
  from: number;
  to: number;
}

export interface FamilyDecoder {
  /** kinds decoded in TypeScript, record by record */
  handlers: Record<number, KindHandler>;
  /** kinds decoded in C from the wire layout (record/copy-decoder.ts PlanSpec), batch by batch */
  plans?: Record<number, import('../record/copy-decoder.js').PlanSpec>;
  /** per table: a pass over the rows the C decoder added (in record order), before they are written */
  after?: Record<string, (x: DecodeCtx, rows: DecodedRows) => void>;
  /** losses the decoder inferred since the last call (e.g. switches the kernel did not report) */
  takeLosses?(): InferredLoss[];
}

/** A report of `ktape analyze CAP <name>`. */
export interface ReportDef {
  doc: string;
  /**
   * Event tables it reads; the others are left empty on a cold load (faster).
   * Given the manifest, for reports whose needs depend on the capture.
   */
  reads: readonly string[] | ((m: Manifest) => readonly string[]);
  /** the implementation, loaded when the report runs */
  load: () => Promise<import('../analyze/reports/common.js').ReportFn>;
}

/** What a family may do at the end of a recording (after the last drain, before the stats). */
export interface FinishCtx {
  settings: RecordSettings;
  /** fd of a BPF map of the loaded object */
  mapFd(name: string): number;
  /** iterate a BPF map's keys (key buffers of `keySize` bytes) and look up each value into `value` */
  forEachEntry(fd: number, keySize: number, value: Buffer, fn: (key: Buffer) => void): void;
  /** a new metadata table writer (the caller closes it) */
  table(name: string, capacity: number): TableWriter;
}

/** How a family adjusts the analyzer's database (analyze/db.ts openCapture). */
export interface AnalyzerHooks {
  /** after loading, before the SQL modules: helper tables (e.g. the capture architecture's syscall names) */
  prepare?: (conn: DuckDBConnection, m: Manifest) => Promise<void>;
  /** views stored as tables once loaded (small ones that every report joins) */
  materialize?: string[];
  /** after every module: choose views by what the capture has; with `cache` (a --db file), store big views */
  finish?: (conn: DuckDBConnection, m: Manifest, o: { cache: boolean }) => Promise<void>;
}

/** A family's part of `ktape analyze CAP summary`. */
export interface SummaryPart {
  /** rows of the Capture section ({ fact, value }) */
  facts?: { fact: string; value: string }[];
  sections?: import('../analyze/reports/common.js').Section[];
  notes?: string[];
  /** extra top-level JSON fields */
  json?: Record<string, unknown>;
}

/** A compare metric (compare/metrics.ts): its unit and how it is compared. */
export interface CompareMetricDef {
  unit: 'ns' | 'bytes' | 'count';
  /** flow: accumulates over time (normalized per second); level: a state; dist: a statistic of a distribution */
  kind: 'flow' | 'level' | 'dist';
  /** quantile of a percentile metric (needs about 1/(1-q) samples) */
  q?: number;
  /** its samples (events) count as the group's activity for compare's noise guard (--min-count) */
  activity?: true;
  doc: string;
}

/** What a family's compare collector gets: the capture, grouped threads (_cmp_groups) and sinks for values. */
export interface CompareCollect {
  cap: import('../analyze/db.js').CaptureDb;
  /** rows of one of the family's compare SQL files (families/<family>/compare/<name>.sql) */
  query(name: string): Promise<Record<string, any>[]>;
  put(grp: string, metric: string, value: number | null, samples: number): void;
  /** allocation stacks per group (folded, root first), for --folded-diff */
  stack(grp: string, folded: string | null, n: number): void;
}

/** A family's metrics for `ktape compare`. */
export interface CompareDef {
  metrics: Record<string, CompareMetricDef>;
  /** metrics named by a pattern, e.g. syscall.<name>.<stat> */
  pattern?: { def(name: string): CompareMetricDef | null; hint(name: string): string | null; help: string };
  /** its metric names as lines of the compare help */
  help: string[];
  /** it yields allocation stacks (--folded-diff needs a capture with this family) */
  stacks?: boolean;
  collect(x: CompareCollect): Promise<void>;
}

/**
 * A block of a section of the HTML report (`ktape report`, html/): data aggregated in SQL, drawn by the
 * page's renderer of that kind (html/client/page.ts: ECharts, d3-flame-graph, tables). Strings are data:
 * the page sets them as text, never as markup.
 */
export type HtmlBlock =
  | { kind: 'table'; title: string; columns: import('../analyze/reports/common.js').Col[]; rows: Record<string, unknown>[] }
  /** bars on time ranges, one row of the chart per lane (a CPU, a process); zoomable; `tip` lines on hover */
  | { kind: 'timeline'; title: string; lanes: string[]; items: { lane: number; from_ns: number; to_ns: number; label: string; tip: string[] }[] }
  /** bar series over categories (a histogram's buckets, threads); stacked when `stack` */
  | {
      kind: 'bars';
      title: string;
      unit: 'ns' | 'bytes' | 'count';
      categories: string[];
      series: { name: string; values: number[] }[];
      stack?: boolean;
      horizontal?: boolean;
    }
  /** counts on an x × y grid (time × latency bucket) */
  | { kind: 'heatmap'; title: string; x: string[]; y: string[]; cells: [x: number, y: number, count: number][] }
  /** a flame graph drawn top down; `delta` per node makes it differential (red grew, blue shrank) */
  | { kind: 'icicle'; title: string; unit: 'bytes' | 'count'; root: FlameNode };

export interface FlameNode {
  name: string;
  value: number;
  delta?: number;
  children: FlameNode[];
}

export interface HtmlSection {
  /** the element id (#sched-timeline) and the key tests find it by */
  id: string;
  title: string;
  blocks: HtmlBlock[];
}

/** What a family's HTML sections get besides the capture: the whole capture's window. */
export type HtmlSectionsFn = (cap: import('../analyze/db.js').CaptureDb, o: import('../analyze/reports/common.js').ReportOptions) => Promise<HtmlSection[]>;

/** A latency distribution of one capture, for the compare page's overlays (log2 buckets, ns). */
export interface HtmlDistribution {
  name: string;
  buckets: { lo_ns: number; hi_ns: number; count: number }[];
}

/** A `ktape record --trigger` condition, parsed: NAME[:ARG][OP VALUE][,comm=COMM] (record/triggers.ts). */
export interface TriggerCond {
  /** the whole text as typed, for errors */
  text: string;
  name: string;
  arg: string | null;
  op: '>' | '!=' | null;
  value: string | null;
  /** match only tasks with this comm */
  comm: string | null;
}

/** A row that trips a trigger: when, which thread, its comm if the row has it, and one line of what happened. */
export interface TriggerHit {
  ts: bigint;
  tid: number;
  comm: string | null;
  what: string;
}

/**
 * A family's trigger condition. Evaluated in the recorder on decoded rows, before they are written (record/triggers.ts):
 * per watched table, a pass over the new rows that offers each matching row to `accept` and stops at the first taken.
 */
export interface TriggerDef {
  /** syntax and meaning, one line each, for --help */
  help: string[];
  /** the watchers of one condition, by table; throws a UsageError naming --trigger for a bad one */
  make(c: TriggerCond, host: { machine: string }, accept: (h: TriggerHit) => boolean): Record<string, (rows: DecodedRows) => void>;
}

export interface Family {
  /** the folder name and the --events group */
  name: string;
  /** one line for the CLI help */
  doc: string;
  /** recorded when --events is not given */
  byDefault: boolean;
  /** the tables it writes (event tables streamed, meta tables at the end) */
  tables: TableDef[];
  kinds: KindDef[];
  programs: ProgramDef[];
  /** its settings section .rodata.<name> (a struct of its wire header), if it has one */
  bpfConfig?: (s: RecordSettings) => Buffer;
  /** adjust map sizes before load */
  prepareMaps?: (maps: BpfMaps, s: RecordSettings) => void;
  /** a fresh decoder for one recording */
  decoder: () => FamilyDecoder;
  /** write its metadata tables at the end; returns the kernel addresses they hold (for --kallsyms used) */
  finish?: (x: FinishCtx) => Iterable<bigint>;
  /** columns of its event tables that hold kernel text addresses (for --kallsyms used), as [table, column] */
  kernelAddressColumns?: [string, string][];
  /** its SQL modules are families/<name>/sql/*.sql; these adjust the database around them */
  analyzer?: AnalyzerHooks;
  /** its part of the summary report, loaded when the summary runs */
  summary?: () => Promise<(cap: import('../analyze/db.js').CaptureDb, o: import('../analyze/reports/common.js').ReportOptions) => Promise<SummaryPart>>;
  /** its Perfetto and Chrome exporters, loaded when an export runs */
  export?: () => Promise<import('../export/handlers.js').FamilyExport>;
  /** its metrics for `ktape compare` */
  compare?: CompareDef;
  /** its analyze reports, by name */
  reports: Record<string, ReportDef>;
  /** its sections of `ktape report` (present when the capture recorded the family), loaded when a report is made */
  htmlSections?: () => Promise<HtmlSectionsFn>;
  /** its latency distributions for `ktape compare --html` (overlaid base and new) */
  htmlDistributions?: () => Promise<(cap: import('../analyze/db.js').CaptureDb) => Promise<HtmlDistribution[]>>;
  /** its `ktape record --trigger` conditions, by name */
  triggers?: Record<string, TriggerDef>;
}
