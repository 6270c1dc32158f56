/**
 * Arrow schemas of every capture table. This file, with formats/capture.md,
 * is the contract between `ktape record` and every reader. Change a column
 * => bump FORMAT_VERSION (major when readers would break) and document it.
 */
import { Field, Int8, Int16, Int32, Int64, Schema, Uint8, Uint16, Uint32, Uint64, Utf8, Float64, type DataType } from 'apache-arrow';
import { FAMILIES } from '../families/index.js';
import { col, TS_COL, type ColType, type ColumnDef, type TableDef } from './table.js';

export type { ColType, ColumnDef, TableDef };

export const FORMAT_NAME = 'ktape-capture';
export const FORMAT_VERSION = '1.9';
export const FORMAT_MAJOR = 1;
/** file name of segment `seg` of table `name` */
export const segmentFile = (name: string, seg: number) => `${name}.${String(seg).padStart(4, '0')}.arrows`;
export const SEGMENT_RE = /^([a-z_]+)\.(\d{4,})\.arrows$/;
export const MANIFEST_FILE = 'manifest.json';

/** The families (--events groups): see families/index.ts. */
export type EventGroup = string;
export const EVENT_GROUPS: EventGroup[] = FAMILIES.map((f) => f.name);

const c = col;
const TS = TS_COL;

/** Tables every capture has, whatever was recorded. */
const CORE_TABLES: TableDef[] = [
  {
    name: 'task_ids',
    role: 'event',
    doc: 'tid -> tgid: one row the first time a tid is seen in any event with a tgid, and again if its tgid changes (tid reuse, exec by a non-leader).',
    columns: [TS, c('tid', 'i32', 'thread'), c('tgid', 'i32', 'process it belongs to from ts on')],
  },
  {
    name: 'process_snapshot',
    role: 'meta',
    doc: 'Every thread alive when recording started (from /proc), taken after the probes were attached.',
    columns: [
      c('ts', 'i64', 'time the snapshot was read, ns since boot'),
      c('tid', 'i32', 'thread'),
      c('tgid', 'i32', 'process'),
      c('ppid', 'i32', 'parent process (tgid)'),
      c('comm', 'utf8', 'thread comm'),
      c('cmdline', 'utf8', 'process command line, NUL separators replaced by spaces ("" for kernel threads)'),
      c('start_ts', 'i64', 'thread start time, ns since boot (clock-tick resolution)'),
      c('uid', 'i32', 'real uid'),
      c('kernel_thread', 'u8', '1 = kernel thread (PF_KTHREAD)'),
    ],
  },
  {
    name: 'kallsyms',
    role: 'meta',
    doc: 'Kernel text symbols (/proc/kallsyms) sorted by addr; with --kallsyms used, only the symbols that cover recorded addresses.',
    columns: [
      c('addr', 'u64', 'symbol start address'),
      c('type', 'utf8', 'kallsyms type letter (t, T, W, ...)'),
      c('name', 'utf8', 'symbol name'),
      c('module', 'utf8', 'module name, or null for the core kernel', true),
    ],
  },
  {
    name: 'modules',
    role: 'meta',
    doc: 'Loaded kernel modules (/proc/modules); empty on kernels without modules.',
    columns: [c('name', 'utf8', 'module'), c('addr', 'u64', 'load address'), c('size', 'u64', 'size in bytes')],
  },
  {
    name: 'clock_anchors',
    role: 'meta',
    doc: 'Clock readings taken back to back at start, every second, and at end.',
    columns: [
      c('boottime_ns', 'i64', "CLOCK_BOOTTIME, the capture's time base"),
      c('monotonic_ns', 'i64', 'CLOCK_MONOTONIC'),
      c('realtime_ns', 'i64', 'CLOCK_REALTIME (ns since the Unix epoch)'),
      c('reason', 'utf8', "'start', 'periodic' or 'end'"),
    ],
  },
  {
    name: 'losses',
    role: 'meta',
    doc: "Events missing from the capture, per CPU and kind, with the window they fall in. reason 'ringbuf_full': the recorder dropped them (ring buffer full). reason 'kernel_gap': the kernel did not report a context switch (the CPU's switch sequence breaks: the task switched in was never switched out); count is then a lower bound of 1. Empty table = nothing missing.",
    columns: [
      c('cpu', 'u16', 'CPU that dropped them; 65535 = not attributed to a CPU by the kernel (bpf_recursion)'),
      c('kind', 'utf8', 'event kind (sched_switch, sys_enter, kmalloc, ...)'),
      c('count', 'u64', 'number of events dropped'),
      c('ts_start', 'i64', 'window start: all drops of this row happened in [ts_start, ts_end]'),
      c('ts_end', 'i64', 'window end'),
      c(
        'reason',
        'utf8',
        "'ringbuf_full' (bpf_ringbuf_reserve failed), 'kernel_gap' (switch not reported by the kernel), 'bpf_recursion' (the kernel skipped the program: it was already running on that CPU; window = whole capture) or 'max_size' (recorded after --max-size was reached: counted, not written; window = the stop)",
      ),
      c(
        'resume_ts',
        'i64',
        "kernel_gap: when the task switched out at ts_end had arrived on the CPU (the kernel's sched_info.last_arrival), i.e. the time of the unreported switch; null when unknown (and in format 1.0 captures)",
        true,
      ),
      c('resume_tid', 'i32', 'kernel_gap: the task switched out at ts_end, i.e. the one that resumed at the unreported switch; null before format 1.2', true),
      c(
        'resume_wait_from',
        'i64',
        'kernel_gap: when the wait of the task switched out at ts_end began (its R/R+ switch-out or the wakeup that ended its sleep; paired in the kernel), so that its wait ends at the unreported switch; null when unknown (and before format 1.2)',
        true,
      ),
      c('resume_woken', 'u8', 'kernel_gap: 1 when that wait began with a wakeup, 0 after a preemption or yield; null when unknown', true),
    ],
  },
  {
    name: 'stats',
    role: 'meta',
    doc: 'Recorder counters: events per kind, bytes, recorder CPU, BPF program stats, stack-map failures.',
    columns: [
      c('name', 'utf8', 'counter name, e.g. events.sched_switch, bytes_written, recorder_cpu_ns, bpf.kt_sys_enter.run_time_ns, stack_collisions'),
      c('cpu', 'i32', 'CPU, or null for a total', true),
      c('value', 'i64', 'value (unit in the name)'),
    ],
  },
];

/**
 * Every capture table: the families' event tables (registry order), the
 * core tables, then the families' metadata tables.
 */
export const TABLES: TableDef[] = [
  ...FAMILIES.flatMap((f) => f.tables.filter((t) => t.role === 'event')),
  ...CORE_TABLES,
  ...FAMILIES.flatMap((f) => f.tables.filter((t) => t.role === 'meta')),
];
export const TABLE_BY_NAME = new Map(TABLES.map((t) => [t.name, t]));

function arrowType(t: ColType): DataType {
  switch (t) {
    case 'i8':
      return new Int8();
    case 'i16':
      return new Int16();
    case 'i32':
      return new Int32();
    case 'i64':
      return new Int64();
    case 'u8':
      return new Uint8();
    case 'u16':
      return new Uint16();
    case 'u32':
      return new Uint32();
    case 'u64':
      return new Uint64();
    case 'utf8':
      return new Utf8();
    case 'f64':
      return new Float64();
  }
}

const schemaCache = new Map<string, Schema>();
/** The Arrow schema of a table; metadata carries the format version and table name. */
export function arrowSchema(name: string): Schema {
  let s = schemaCache.get(name);
  if (!s) {
    const def = TABLE_BY_NAME.get(name);
    if (!def) throw new Error(`unknown table ${name}`);
    s = new Schema(
      def.columns.map((col) => new Field(col.name, arrowType(col.type), !!col.nullable)),
      new Map([
        ['ktape.format_version', FORMAT_VERSION],
        ['ktape.table', name],
      ]),
    );
    schemaCache.set(name, s);
  }
  return s;
}

/** kind → name as used in losses.kind and stats */
export const KIND_NAMES: Record<number, string> = Object.fromEntries(FAMILIES.flatMap((f) => f.kinds.map((k) => [k.id, k.name])));
/** kind → the family that records it */
export const GROUP_OF_KIND: Record<number, EventGroup> = Object.fromEntries(FAMILIES.flatMap((f) => f.kinds.map((k) => [k.id, f.name])));

/** manifest.json */
export interface Manifest {
  format: typeof FORMAT_NAME;
  format_version: string;
  wire_version: number;
  /** false while recording or if the recorder was killed */
  complete: boolean;
  ktape_version: string;
  command_line: string[];
  host: {
    hostname: string;
    kernel_release: string;
    kernel_version: string;
    machine: string;
    cpus: number;
    page_size: number;
    boot_id: string;
    clk_tck: number;
  };
  options: {
    events: EventGroup[];
    tgids: number[];
    comm: string | null;
    follow_children: boolean;
    system_wide: boolean;
    buffer_mb: number;
    kallsyms: 'full' | 'used';
    kmem_stacks: boolean;
    /**
     * formats 1.2 to 1.8: waits paired in the kernel (the sched_wait table) and migration flags; absent
     * before 1.2. From 1.9 on always false (there is no sched_wait table: a reader of 1.8 or older then
     * derives the waits from the raw events, correctly) and paired_waits says it instead.
     */
    sched_wait?: boolean;
    /** format 1.9 on: waits and sleeps paired in the kernel (sched_switch.next_wait_ns, sched_waking.slept_ns) and migration flags */
    paired_waits?: boolean;
    /** Arrow IPC body compression of the table files (formats/codec.ts); absent before format 1.4 (uncompressed) */
    compress?: 'zstd' | 'lz4' | 'none';
  };
  /** tgid of the recorder process (its syscall/kmem events are never recorded) */
  recorder_tgid: number;
  /** boottime ns of the first/last moment covered (probes attached → detached) */
  start_ts: number;
  end_ts: number | null;
  workload: { argv: string[]; pid: number; exit_code: number | null } | null;
  /** why recording stopped: 'duration', 'command exited', 'SIGINT', 'SIGTERM', 'max-size', 'disk full', 'write error' or 'error' (absent before 0.2 and while recording) */
  stop_reason?: string;
  /**
   * a flight recorder's dump (--ring, format 1.7): the window it holds. Data before start_ts was dropped whole
   * as the window moved on (dropped_before): that is where the capture starts, not a loss.
   */
  window?: { ring: string; start_ts: number; trigger: string; what: string; trigger_ts: number; dropped_before: boolean };
  /** table name → rows and segment files (filled at the end; readers also glob) */
  tables: Record<string, { rows: number; files: string[] }>;
  summary: {
    events: Record<string, number>;
    /** events dropped by the recorder (ring buffer full) */
    lost: number;
    /** context switches the kernel did not report (inferred) */
    kernel_gaps: number;
    bytes: number;
  } | null;
}
