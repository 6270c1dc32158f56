/**
 * Arrow schemas of every capture table. This file, with formats/capture.md,
 * is the contract between `ktape record` and every reader. Change a column
 * => bump FORMAT_VERSION (major when readers would break) and document it.
 */
import {
  Field, Int8, Int16, Int32, Int64, Schema, Uint8, Uint16, Uint32, Uint64, Utf8, Float64,
  type DataType,
} from 'apache-arrow';

export const FORMAT_NAME = 'ktape-capture';
export const FORMAT_VERSION = '1.2';
export const FORMAT_MAJOR = 1;
/** file name of segment `seg` of table `name` */
export const segmentFile = (name: string, seg: number) => `${name}.${String(seg).padStart(4, '0')}.arrows`;
export const SEGMENT_RE = /^([a-z_]+)\.(\d{4,})\.arrows$/;
export const MANIFEST_FILE = 'manifest.json';

type ColType = 'i8' | 'i16' | 'i32' | 'i64' | 'u8' | 'u16' | 'u32' | 'u64' | 'utf8' | 'f64';
export interface ColumnDef {
  name: string;
  type: ColType;
  nullable?: boolean;
  doc: string;
}
export interface TableDef {
  name: string;
  /** 'event': streamed while recording; 'meta': written at start/end */
  kind: 'event' | 'meta';
  /** format version that added the table: older captures load it empty */
  since?: string;
  /** which --events group produces it (event tables only) */
  group?: EventGroup;
  doc: string;
  columns: ColumnDef[];
}
export type EventGroup = 'sched' | 'task' | 'syscall' | 'kmem';
export const EVENT_GROUPS: EventGroup[] = ['sched', 'task', 'syscall', 'kmem'];

const c = (name: string, type: ColType, doc: string, nullable = false): ColumnDef => ({ name, type, doc, nullable });
const TS = c('ts', 'i64', 'event time, ns since boot (CLOCK_BOOTTIME)');
const CPU = c('cpu', 'u16', 'CPU the event fired on');

export const TABLES: TableDef[] = [
  {
    name: 'sched_switch', kind: 'event', group: 'sched',
    doc: 'One row per context switch (tracepoint sched:sched_switch). tgids are in task_ids.',
    columns: [TS, CPU,
      c('prev_tid', 'i32', 'task switched out (0 = idle)'),
      c('next_tid', 'i32', 'task switched in (0 = idle)'),
      c('prev_state', 'u16', 'prev task state as the tracepoint reports it: 0 = R (runnable), 0x1 S, 0x2 D, 0x4 T, 0x8 t, 0x10 X, 0x20 Z, 0x40 P, 0x80 I, 0x100 = preempted (R+)'),
      c('prev_prio', 'u8', 'kernel prio of prev (0..139, lower is higher priority)'),
      c('next_prio', 'u8', 'kernel prio of next'),
      c('next_flags', 'u8', 'recorder flags about next: 8 = the CPU it last ran on is known, and then 4 = that was another CPU (a migration); null before format 1.2', true),
    ],
  },
  {
    name: 'sched_wait', kind: 'event', group: 'sched', since: '1.2',
    doc: "One row per switch-in that ends a wait the recorder paired in the kernel, as runqlat does: the wait began at the switch-out that left the task R/R+ or at the wakeup that ended its sleep (the same rules as the thread_state view). A shortcut for the analyzer: the sched_switch and sched_waking rows it comes from are recorded too. Waits that began before the capture are not paired.",
    columns: [TS, CPU,
      c('tid', 'i32', 'task switched in (next_tid of the sched_switch row with the same ts and cpu)'),
      c('wait_ns', 'i64', 'how long it waited, runnable, ns (ts - wait_ns = the start of the wait)'),
      c('woken', 'u8', '1 = the wait began with a wakeup, 0 = with a preemption or yield (R/R+)'),
    ],
  },
  {
    name: 'sched_waking', kind: 'event', group: 'sched',
    doc: 'One row per wakeup (sched:sched_waking, and sched:sched_wakeup_new for new tasks).',
    columns: [TS, CPU,
      c('tid', 'i32', 'woken task'),
      c('target_cpu', 'u16', 'CPU the woken task is queued on'),
      c('prio', 'u8', 'kernel prio of the woken task'),
      c('wakeup_new', 'u8', '1 = sched_wakeup_new (first wakeup of a new task), 0 = sched_waking'),
      c('waker_tid', 'i32', 'task that issued the wakeup (0 = idle/irq on an idle CPU)'),
    ],
  },
  {
    name: 'task_newtask', kind: 'event', group: 'task',
    doc: 'One row per fork/clone (task:task_newtask), emitted in the parent.',
    columns: [TS, CPU,
      c('parent_tid', 'i32', 'thread that called fork/clone'),
      c('parent_tgid', 'i32', 'its process'),
      c('child_tid', 'i32', 'new thread'),
      c('child_tgid', 'i32', 'process of the new thread (== child_tid for a new process)'),
      c('clone_flags', 'u64', 'clone flags (CLONE_THREAD = 0x10000, ...)'),
      c('comm', 'utf8', 'comm of the child (inherited from the parent)'),
    ],
  },
  {
    name: 'task_exec', kind: 'event', group: 'task',
    doc: 'One row per successful exec (sched:sched_process_exec).',
    columns: [TS, CPU,
      c('tid', 'i32', 'thread after exec (the thread group leader)'),
      c('tgid', 'i32', 'process'),
      c('old_tid', 'i32', 'tid that called exec (differs when a non-leader thread exec\'d)'),
      c('comm', 'utf8', 'comm after exec'),
      c('filename', 'utf8', 'executed file (bprm->filename, max 255 bytes)'),
    ],
  },
  {
    name: 'task_exit', kind: 'event', group: 'task',
    doc: 'One row per thread exit (sched:sched_process_exit).',
    columns: [TS, CPU,
      c('tid', 'i32', 'exiting thread'),
      c('tgid', 'i32', 'its process'),
      c('exit_code', 'i32', 'task->exit_code in wait(2) status encoding: (code << 8) | signal'),
      c('group_dead', 'u8', '1 when this was the last thread of the process'),
      c('comm', 'utf8', 'comm at exit'),
    ],
  },
  {
    name: 'task_rename', kind: 'event', group: 'task',
    doc: 'One row per comm change (task:task_rename: prctl(PR_SET_NAME), /proc/*/comm).',
    columns: [TS, CPU,
      c('tid', 'i32', 'renamed thread'),
      c('tgid', 'i32', 'its process'),
      c('oldcomm', 'utf8', 'comm before'),
      c('newcomm', 'utf8', 'comm after'),
    ],
  },
  {
    name: 'task_free', kind: 'event', group: 'task',
    doc: 'One row per task_struct release (sched:sched_process_free); the tid may be reused after this.',
    columns: [TS, CPU,
      c('tid', 'i32', 'freed thread'),
      c('tgid', 'i32', 'its process'),
      c('comm', 'utf8', 'last comm'),
    ],
  },
  {
    name: 'syscall_enter', kind: 'event', group: 'syscall',
    doc: 'One row per syscall entry (raw_syscalls:sys_enter). Pair with syscall_exit by tid and order.',
    columns: [TS, CPU,
      c('tid', 'i32', 'calling thread'),
      c('nr', 'i32', 'syscall number in the capture host\'s native table (see manifest host.machine)'),
      c('arg0', 'u64', 'argument 1'), c('arg1', 'u64', 'argument 2'), c('arg2', 'u64', 'argument 3'),
      c('arg3', 'u64', 'argument 4'), c('arg4', 'u64', 'argument 5'), c('arg5', 'u64', 'argument 6'),
    ],
  },
  {
    name: 'syscall_exit', kind: 'event', group: 'syscall',
    doc: 'One row per syscall return (raw_syscalls:sys_exit).',
    columns: [TS, CPU,
      c('tid', 'i32', 'calling thread'),
      c('nr', 'i32', 'syscall number (-1 if unknown)'),
      c('ret', 'i64', 'return value (negative errno on failure)'),
    ],
  },
  {
    name: 'kmem_alloc', kind: 'event', group: 'kmem',
    doc: 'One row per slab allocation (kmem:kmalloc and kmem:kmem_cache_alloc).',
    columns: [TS, CPU,
      c('tid', 'i32', 'allocating thread (current; may be an interrupted task)'),
      c('cache', 'u8', '0 = kmalloc, 1 = kmem_cache_alloc'),
      c('ptr', 'u64', 'returned object address (0 = allocation failed)'),
      c('call_site', 'u64', 'kernel address of the caller (symbolize with kallsyms)'),
      c('bytes_req', 'u32', 'bytes requested'),
      c('bytes_alloc', 'u32', 'bytes actually allocated'),
      c('gfp_flags', 'u32', 'GFP flags'),
      c('node', 'i16', 'NUMA node requested (-1 = any)'),
      c('stack_id', 'i32', 'kernel stack id in the stacks table; negative = no stack (-17 EEXIST: stack-map hash collision, counted in stats; -1 stacks disabled)'),
    ],
  },
  {
    name: 'kmem_free', kind: 'event', group: 'kmem',
    doc: 'One row per slab free (kmem:kfree and kmem:kmem_cache_free). NULL frees are not recorded.',
    columns: [TS, CPU,
      c('tid', 'i32', 'freeing thread (current)'),
      c('cache', 'u8', '0 = kfree, 1 = kmem_cache_free'),
      c('ptr', 'u64', 'freed object address'),
      c('call_site', 'u64', 'kernel address of the caller'),
    ],
  },
  {
    name: 'task_ids', kind: 'event',
    doc: 'tid -> tgid: one row the first time a tid is seen in any event with a tgid, and again if its tgid changes (tid reuse, exec by a non-leader).',
    columns: [TS,
      c('tid', 'i32', 'thread'),
      c('tgid', 'i32', 'process it belongs to from ts on'),
    ],
  },
  {
    name: 'process_snapshot', kind: 'meta',
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
    name: 'kallsyms', kind: 'meta',
    doc: 'Kernel text symbols (/proc/kallsyms) sorted by addr; with --kallsyms used, only the symbols that cover recorded addresses.',
    columns: [
      c('addr', 'u64', 'symbol start address'),
      c('type', 'utf8', 'kallsyms type letter (t, T, W, ...)'),
      c('name', 'utf8', 'symbol name'),
      c('module', 'utf8', 'module name, or null for the core kernel', true),
    ],
  },
  {
    name: 'modules', kind: 'meta',
    doc: 'Loaded kernel modules (/proc/modules); empty on kernels without modules.',
    columns: [
      c('name', 'utf8', 'module'),
      c('addr', 'u64', 'load address'),
      c('size', 'u64', 'size in bytes'),
    ],
  },
  {
    name: 'stacks', kind: 'meta',
    doc: 'Kernel stacks referenced by kmem_alloc.stack_id, one row per frame.',
    columns: [
      c('stack_id', 'i32', 'id used by kmem_alloc.stack_id'),
      c('depth', 'u16', 'frame index, 0 = innermost (the tracepoint site)'),
      c('ip', 'u64', 'return address'),
    ],
  },
  {
    name: 'clock_anchors', kind: 'meta',
    doc: 'Clock readings taken back to back at start, every second, and at end.',
    columns: [
      c('boottime_ns', 'i64', 'CLOCK_BOOTTIME, the capture\'s time base'),
      c('monotonic_ns', 'i64', 'CLOCK_MONOTONIC'),
      c('realtime_ns', 'i64', 'CLOCK_REALTIME (ns since the Unix epoch)'),
      c('reason', 'utf8', "'start', 'periodic' or 'end'"),
    ],
  },
  {
    name: 'losses', kind: 'meta',
    doc: "Events missing from the capture, per CPU and kind, with the window they fall in. reason 'ringbuf_full': the recorder dropped them (ring buffer full). reason 'kernel_gap': the kernel did not report a context switch (the CPU's switch sequence breaks: the task switched in was never switched out); count is then a lower bound of 1. Empty table = nothing missing.",
    columns: [
      c('cpu', 'u16', 'CPU that dropped them; 65535 = not attributed to a CPU by the kernel (bpf_recursion)'),
      c('kind', 'utf8', 'event kind (sched_switch, sys_enter, kmalloc, ...)'),
      c('count', 'u64', 'number of events dropped'),
      c('ts_start', 'i64', 'window start: all drops of this row happened in [ts_start, ts_end]'),
      c('ts_end', 'i64', 'window end'),
      c('reason', 'utf8', "'ringbuf_full' (bpf_ringbuf_reserve failed), 'kernel_gap' (switch not reported by the kernel), 'bpf_recursion' (the kernel skipped the program: it was already running on that CPU; window = whole capture) or 'max_size' (recorded after --max-size was reached: counted, not written; window = the stop)"),
      c('resume_ts', 'i64', "kernel_gap: when the task switched out at ts_end had arrived on the CPU (the kernel's sched_info.last_arrival), i.e. the time of the unreported switch; null when unknown (and in format 1.0 captures)", true),
      c('resume_tid', 'i32', 'kernel_gap: the task switched out at ts_end, i.e. the one that resumed at the unreported switch; null before format 1.2', true),
      c('resume_wait_from', 'i64', "kernel_gap: when the wait of the task switched out at ts_end began (its R/R+ switch-out or the wakeup that ended its sleep; paired in the kernel), so that its wait ends at the unreported switch; null when unknown (and before format 1.2)", true),
      c('resume_woken', 'u8', 'kernel_gap: 1 when that wait began with a wakeup, 0 after a preemption or yield; null when unknown', true),
    ],
  },
  {
    name: 'stats', kind: 'meta',
    doc: 'Recorder counters: events per kind, bytes, recorder CPU, BPF program stats, stack-map failures.',
    columns: [
      c('name', 'utf8', 'counter name, e.g. events.sched_switch, bytes_written, recorder_cpu_ns, bpf.kt_sys_enter.run_time_ns, stack_collisions'),
      c('cpu', 'i32', 'CPU, or null for a total', true),
      c('value', 'i64', 'value (unit in the name)'),
    ],
  },
];

export const TABLE_BY_NAME = new Map(TABLES.map((t) => [t.name, t]));

function arrowType(t: ColType): DataType {
  switch (t) {
    case 'i8': return new Int8();
    case 'i16': return new Int16();
    case 'i32': return new Int32();
    case 'i64': return new Int64();
    case 'u8': return new Uint8();
    case 'u16': return new Uint16();
    case 'u32': return new Uint32();
    case 'u64': return new Uint64();
    case 'utf8': return new Utf8();
    case 'f64': return new Float64();
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
      new Map([['ktape.format_version', FORMAT_VERSION], ['ktape.table', name]]),
    );
    schemaCache.set(name, s);
  }
  return s;
}

/** event kind names as used in losses.kind and stats (index = enum kt_kind) */
export const KIND_NAMES: Record<number, string> = {
  1: 'sched_switch', 2: 'sched_waking', 3: 'sched_wakeup_new', 4: 'task_newtask', 5: 'task_exec',
  6: 'task_exit', 7: 'task_rename', 8: 'task_free', 9: 'sys_enter', 10: 'sys_exit', 11: 'kmalloc',
  12: 'kfree', 13: 'kmem_cache_alloc', 14: 'kmem_cache_free',
};
export const GROUP_OF_KIND: Record<number, EventGroup> = {
  1: 'sched', 2: 'sched', 3: 'sched', 4: 'task', 5: 'task', 6: 'task', 7: 'task', 8: 'task',
  9: 'syscall', 10: 'syscall', 11: 'kmem', 12: 'kmem', 13: 'kmem', 14: 'kmem',
};

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
    /** waits paired in the kernel (sched_wait) and migration flags; absent before format 1.2 */
    sched_wait?: boolean;
  };
  /** tgid of the recorder process (its syscall/kmem events are never recorded) */
  recorder_tgid: number;
  /** boottime ns of the first/last moment covered (probes attached → detached) */
  start_ts: number;
  end_ts: number | null;
  workload: { argv: string[]; pid: number; exit_code: number | null } | null;
  /** why recording stopped: 'duration', 'command exited', 'SIGINT', 'SIGTERM', 'max-size', 'disk full', 'write error' or 'error' (absent before 0.2 and while recording) */
  stop_reason?: string;
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
