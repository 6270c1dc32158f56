/**
 * Recorder benchmark (issue 2, "Benchmark"): ktape against trace-cmd and
 * perf on four storms, in one interleaved run.
 *
 *  - traced/untraced time ratio: the workload's own elapsed_ns (it times its
 *    loop itself, so tool start-up and shutdown are excluded), per rep
 *    traced_i / untraced_i, median over reps; each rep runs untraced, ktape,
 *    trace-cmd, perf back to back.
 *  - events recorded and lost per tool;
 *  - bytes per event: event data only (ktape: event tables; trace-cmd: the
 *    per-CPU data sections, on disk and uncompressed; perf: the data
 *    section) and whole capture;
 *  - recorder CPU per event: ktape's stats table (main loop), and for every
 *    tool the CPU of its whole process tree minus the workload's;
 *  - per-kind bytes per event (ktape measured per table; trace-cmd and perf
 *    derived from the tracepoint formats and the perf sample layout, and
 *    checked against their measured totals);
 *  - sustained events/s without loss (paced getppid at 2M events/s for 30 s,
 *    and an unpaced storm for 30 s).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, openSync, readSync, closeSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { readManifest, readTable, tableFiles } from '../formats/reader.js';
import { pkgPath } from '../record/paths.js';
import { mountTracefs, TRACEFS } from '../record/tracefs.js';
import { diskBytes, fint, fratio, fx, jsonLine, median, readTreeCpu, run, type RunResult, sum, table, which, writeTreeCpuScript } from './lib.js';

/**
 * On the kmem workload ktape records a kernel stack for every allocation, which
 * plain trace-cmd/perf do not. For like-for-like figures the kmem workload also runs:
 * 'ktape-nostacks' = ktape --no-kmem-stacks, 'trace-cmd-stacks' = trace-cmd record -T
 * (a kernel stack per event) and 'perf-stacks' = perf record -g (a callchain per event).
 */
export type Tool = 'ktape' | 'ktape-nostacks' | 'trace-cmd' | 'trace-cmd-stacks' | 'perf' | 'perf-stacks';
export const TOOLS: Tool[] = ['ktape', 'ktape-nostacks', 'trace-cmd', 'trace-cmd-stacks', 'perf', 'perf-stacks'];
const KMEM_ONLY: Tool[] = ['ktape-nostacks', 'trace-cmd-stacks', 'perf-stacks'];

export interface Workload {
  name: string;
  what: string;
  mode: string;
  n: number;
  quickN: number;
  ktapeEvents: string;
  /** tracepoints for trace-cmd (sys:name) */
  tracecmd: string[];
  /** tracepoints for perf (sys:name); perf 6.1 records nothing from raw_syscalls on this kernel */
  perf: string[];
  /** reference traced/untraced ratios from shared/README.md (none for the storms it does not cover) */
  ref?: { 'trace-cmd': number; perf: number };
  /**
   * a storm with few events per second of tool start-up (issues 11, 12): each tool also records the
   * workload with N = 0, and its CPU is subtracted (issue 10, goal 1: CPU per event minus the fixed cost)
   */
  fixedRuns?: boolean;
}

const SCHED = ['sched:sched_switch', 'sched:sched_waking', 'sched:sched_wakeup_new'];
const TASK = ['task:task_newtask', 'task:task_rename', 'sched:sched_process_exec', 'sched:sched_process_exit', 'sched:sched_process_free'];
const FAULT = ['exceptions:page_fault_user', 'exceptions:page_fault_kernel'];
const KMEM = ['kmem:kmalloc', 'kmem:kfree', 'kmem:kmem_cache_alloc', 'kmem:kmem_cache_free'];
const BLOCK = ['block:block_io_start', 'block:block_rq_insert', 'block:block_rq_issue', 'block:block_rq_complete'];
/** the tcp and net families' tracepoints (ktape's accept owner comes from syscalls:sys_exit_accept*, which the storm's accept4 fires) */
const TCP = [
  'sock:inet_sock_set_state',
  'tcp:tcp_retransmit_skb',
  'tcp:tcp_send_reset',
  'tcp:tcp_receive_reset',
  'syscalls:sys_exit_accept4',
  'syscalls:sys_exit_accept',
];
const NET = ['net:net_dev_queue', 'net:net_dev_xmit', 'net:netif_receive_skb', 'skb:kfree_skb'];
/** the tracepoints of the cache family (families/cache) */
const CACHE = [
  'filemap:mm_filemap_add_to_page_cache',
  'filemap:mm_filemap_get_pages',
  'filemap:mm_filemap_fault',
  'filemap:mm_filemap_map_pages',
  'writeback:writeback_dirty_folio',
];

export const WORKLOADS: Workload[] = [
  {
    name: 'getppid',
    what: 'syscall storm: N getppid()',
    mode: 'getppid',
    n: 2_000_000,
    quickN: 200_000,
    ktapeEvents: 'syscall',
    tracecmd: ['raw_syscalls:sys_enter', 'raw_syscalls:sys_exit'],
    perf: ['syscalls:sys_enter_getppid', 'syscalls:sys_exit_getppid'],
    ref: { 'trace-cmd': 3.8, perf: 9.9 },
    fixedRuns: true,
  },
  {
    name: 'pingpong',
    what: 'context-switch storm: N pipe round trips',
    mode: 'pingpong',
    n: 200_000,
    quickN: 20_000,
    ktapeEvents: 'sched',
    tracecmd: SCHED,
    perf: SCHED,
    ref: { 'trace-cmd': 1.14, perf: 1.23 },
    fixedRuns: true,
  },
  {
    name: 'forkexec',
    what: 'N fork+exec+exit',
    mode: 'forkexec',
    n: 2000,
    quickN: 200,
    ktapeEvents: 'task,sched',
    tracecmd: [...TASK, ...SCHED],
    perf: [...TASK, ...SCHED],
    ref: { 'trace-cmd': 1.01, perf: 1.05 },
    fixedRuns: true,
  },
  {
    name: 'pipes',
    what: 'kmalloc storm: N pipe()+close()',
    mode: 'pipes',
    n: 200_000,
    quickN: 20_000,
    ktapeEvents: 'kmem',
    tracecmd: KMEM,
    perf: KMEM,
    ref: { 'trace-cmd': 1.2, perf: 1.7 },
    fixedRuns: true,
  },
  {
    name: 'iostorm',
    what: 'I/O storm: N O_DIRECT 4 KiB reads at random offsets of a 256 MiB file on the disk',
    mode: 'iostorm',
    n: 20_000,
    quickN: 2000,
    ktapeEvents: 'io',
    tracecmd: BLOCK,
    perf: BLOCK,
    fixedRuns: true,
  },
  {
    // ktape records only the path syscalls' entries (with the path) and their exits; trace-cmd every
    // raw_syscalls entry and exit (it cannot filter by number without a filter expression); perf the openat ones
    name: 'opens',
    what: 'open storm: N openat+close of an existing path and N openat of a missing one (ENOENT)',
    mode: 'opens',
    n: 500_000,
    quickN: 20_000,
    ktapeEvents: 'files',
    tracecmd: ['raw_syscalls:sys_enter', 'raw_syscalls:sys_exit'],
    perf: ['syscalls:sys_enter_openat', 'syscalls:sys_exit_openat'],
    fixedRuns: true,
  },
  {
    name: 'faults',
    what: 'page-fault storm: N pages faulted (mmap 1 MiB anonymous, touch every page, munmap)',
    mode: 'fault-storm',
    n: 1_000_000,
    quickN: 50_000,
    ktapeEvents: 'fault',
    tracecmd: FAULT,
    perf: FAULT,
    fixedRuns: true,
  },
  {
    name: 'connect',
    what: 'connect storm: N TCP connect()+close() on loopback',
    mode: 'connect-storm',
    n: 20_000,
    quickN: 2000,
    ktapeEvents: 'tcp',
    tracecmd: TCP,
    perf: TCP,
    fixedRuns: true,
  },
  {
    name: 'udp',
    what: 'packet storm: N 64-byte UDP datagrams on loopback, each received',
    mode: 'udp-storm',
    n: 200_000,
    quickN: 20_000,
    ktapeEvents: 'net',
    tracecmd: NET,
    perf: NET,
    fixedRuns: true,
  },
  {
    name: 'cached-read',
    what: 'cached-read storm: N reads of 512 bytes of a warm file (page cache hits)',
    mode: 'cached-read',
    n: 1_000_000,
    quickN: 100_000,
    ktapeEvents: 'cache',
    tracecmd: CACHE,
    perf: CACHE,
    fixedRuns: true,
  },
];

/** One traced (or untraced) run of one workload. */
export interface RunSample {
  tool: Tool | 'untraced';
  rep: number;
  ok: boolean;
  error?: string;
  /** the workload's own loop time */
  elapsedNs: number;
  /** wall time of the whole command, tool start-up and shutdown included */
  wallNs: number;
  events?: number;
  lost?: number;
  /** event data bytes as stored on disk */
  eventBytes?: number;
  /** event data bytes uncompressed (= eventBytes unless the tool compresses) */
  eventBytesRaw?: number;
  /** whole capture (directory or file) */
  captureBytes?: number;
  /** CPU of the tool's process tree minus the workload's */
  toolCpuNs?: number;
  /** ktape: recorder_cpu_ns from the capture's stats table (main loop only) */
  loopCpuNs?: number;
  /** ktape: per-table {rows, bytes} */
  tables?: Record<string, { rows: number; bytes: number }>;
  /** perf: sample_type for the per-kind derivation */
  perfSampleType?: string[];
}

export interface ToolSummary {
  runs: number;
  failed: number;
  error?: string;
  elapsedMsMedian: number;
  ratioMedian: number;
  ratios: number[];
  events: number;
  lost: number;
  lostMax: number;
  bytesPerEvent: number;
  bytesPerEventRaw: number;
  captureBytesPerEvent: number;
  toolCpuNsPerEvent: number;
  /** (tool CPU - the median tool CPU of the same recording of the workload with N = 0) / events (fixedRuns storms) */
  toolCpuNsPerEventNet?: number;
  /** the median tool CPU of those N = 0 recordings */
  fixedCpuNs?: number;
  loopCpuNsPerEvent?: number;
  refRatio?: number;
}

export interface WorkloadResult {
  name: string;
  what: string;
  n: number;
  untracedMsMedian: number;
  tools: Partial<Record<Tool, ToolSummary>>;
  samples: RunSample[];
}

export interface KindBytes {
  kind: string;
  ktapeTable: string;
  ktape: number;
  ktapeRows: number;
  tracecmdEvent: string;
  tracecmd: number;
  perfEvent: string;
  perf: number;
}

export interface SustainedResult {
  label: string;
  targetEventsPerS: number | null;
  secs: number;
  calls: number;
  events: number;
  lost: number;
  eventsPerS: number;
  recorderCpuPct: number;
  bytes: number;
  error?: string;
}

export interface RecordBenchResult {
  quick: boolean;
  reps: number;
  tools: Tool[];
  skipped: Partial<Record<Tool, string>>;
  workloads: WorkloadResult[];
  kinds: KindBytes[];
  sustained: SustainedResult[];
  schedSwitchBytesPerEvent: number;
  /** recording `true` (--only fixed-cost, or every run) */
  fixedCost?: FixedCostResult;
}

export interface RecordBenchOptions {
  quick: boolean;
  reps: number;
  workdir: string;
  tools?: Tool[];
  workloads?: string[];
  sustainSecs: number;
  log: (s: string) => void;
}

// ---------------------------------------------------------------- peers setup

/** the peers read tracefs at /sys/kernel/tracing: mounted as the recorder mounts it; null, or why it is not there */
function ensureTracefs(): string | null {
  try {
    mountTracefs('the peers (trace-cmd, perf)');
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

async function buildFtshim(dir: string): Promise<string> {
  const src = join(process.env.KTAPE_SHARED ?? pkgPath('../shared'), 'peers', 'ftshim.c');
  if (!existsSync(src)) throw new Error(`${src} not found`);
  const out = join(dir, 'ftshim.so');
  const r = await run('gcc', ['-O2', '-shared', '-fPIC', '-o', out, src, '-ldl']);
  if (r.code !== 0) throw new Error(`compiling ftshim.c: ${r.stderr.trim()}`);
  return out;
}

/** Size of a tracepoint's record as ftrace stores it (common fields included). */
export function tracepointSize(ev: string): number {
  const [sys, name] = ev.split(':');
  const p = join(TRACEFS, 'events', sys, name, 'format');
  if (!existsSync(p)) return NaN;
  let end = 0;
  for (const m of readFileSync(p, 'utf8').matchAll(/offset:(\d+);\s*size:(\d+);/g)) end = Math.max(end, Number(m[1]) + Number(m[2]));
  return end;
}

/** trace-cmd (ftrace ring buffer) bytes per event, uncompressed: 4-byte event
 * header (+4 length word above 112 bytes), data padded to 4, 16-byte header
 * per 4 KiB page. */
export function ftraceEventBytes(ev: string): number {
  const s = tracepointSize(ev);
  const pad = (s + 3) & ~3;
  return ((4 + pad + (pad > 112 ? 4 : 0)) * 4096) / 4080;
}

/** perf sample bytes: 8-byte header, 8 bytes per fixed sample field, RAW = u32 size + data padded to 8. */
export function perfSampleBytes(ev: string, sampleType: string[]): number {
  const fixed = ['IP', 'TID', 'TIME', 'ADDR', 'ID', 'STREAM_ID', 'CPU', 'PERIOD', 'IDENTIFIER'];
  const k = sampleType.filter((t) => fixed.includes(t)).length;
  const raw = sampleType.includes('RAW') ? (4 + tracepointSize(ev) + 7) & ~7 : 0;
  return 8 + 8 * k + raw;
}

// ---------------------------------------------------------------- one run per tool

interface Ctx {
  workdir: string;
  treeCpu: string;
  workload: string;
  ftshim: string | null;
  node: string;
  cli: string;
  /** dist/cli/ktape, the package's bin */
  bin: string;
  exitstat: string;
  perfSampleType?: string[];
}

/**
 * The workload command as given to a tool. `env` execs it (no extra fork:
 * ktape's follow-children filter needs the command's own pid, see README),
 * with exitstat.so preloaded: at exit it appends the workload's
 * /proc/self/stat to `inner`, so its CPU can be subtracted from the tool's tree.
 */
function innerCmd(c: Ctx, w: Workload, n: number, inner: string): string[] {
  return ['env', `LD_PRELOAD=${c.exitstat}`, `KT_EXITSTAT=${inner}`, c.workload, w.mode, String(n)];
}

/** CPU of the tool's tree: everything the outer shell reaped, minus the workload's. */
function toolCpu(outer: string, inner: string): number | undefined {
  const o = readTreeCpu(outer),
    i = readExitStat(inner);
  if (!o || i === null) return undefined;
  return o.childrenNs - i;
}

const EXITSTAT_C = `#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
/* LD_PRELOAD: append /proc/self/stat to $KT_EXITSTAT when the process exits. */
__attribute__((destructor)) static void kt_exitstat(void)
{
	const char *p = getenv("KT_EXITSTAT");
	char buf[1024];
	if (!p)
		return;
	int fd = open("/proc/self/stat", O_RDONLY);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	if (buf[n - 1] != '\\n')
		buf[n++] = '\\n';
	int o = open(p, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (o < 0)
		return;
	if (write(o, buf, n) < 0) {}
	close(o);
}
`;

export async function buildExitstat(dir: string): Promise<string> {
  const src = join(dir, 'exitstat.c'),
    out = join(dir, 'exitstat.so');
  writeFileSync(src, EXITSTAT_C);
  const r = await run('gcc', ['-O2', '-shared', '-fPIC', '-o', out, src]);
  if (r.code !== 0) throw new Error(`compiling exitstat.c: ${r.stderr.trim()}`);
  return out;
}

/** Workload CPU (self + reaped children) from exitstat lines: the largest
 * ktape-workload total (forkexec children also write lines; the parent's
 * includes them). */
export function readExitStat(path: string): number | null {
  if (!existsSync(path)) return null;
  let best: number | null = null;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.includes('(ktape-workload)')) continue;
    const f = line
      .slice(line.lastIndexOf(')') + 2)
      .trim()
      .split(/\s+/);
    const ns = (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1e7;
    if (best === null || ns > best) best = ns;
  }
  return best;
}

async function runUntraced(c: Ctx, w: Workload, n: number, rep: number): Promise<RunSample> {
  const r = await run(c.workload, [w.mode, String(n)]);
  const j = jsonLine<{ elapsed_ns: number }>(r.stdout, 'elapsed_ns');
  return {
    tool: 'untraced',
    rep,
    ok: r.code === 0 && !!j,
    error: r.code === 0 ? undefined : r.stderr.slice(-400),
    elapsedNs: j?.elapsed_ns ?? NaN,
    wallNs: r.wallNs,
  };
}

export function ktapeTables(dir: string): Record<string, { rows: number; bytes: number }> {
  const m = readManifest(dir);
  const out: Record<string, { rows: number; bytes: number }> = {};
  for (const [t, info] of Object.entries(m.tables)) {
    if (info.rows < 0) continue;
    out[t] = { rows: info.rows, bytes: sum(tableFiles(dir, t).map((f) => diskBytes(f))) };
  }
  return out;
}

export function ktapeStats(dir: string): Map<string, number> {
  const s = new Map<string, number>();
  for (const b of readTable(dir, 'stats').batches) {
    const names = b.getChild('name')!.toArray() as string[];
    const vals = b.getChild('value')!.toArray() as BigInt64Array;
    // totals come first; per-CPU rows (lost.<kind>) repeat the name: keep the first
    for (let i = 0; i < b.numRows; i++) {
      const name = String(names[i] ?? b.getChild('name')!.get(i));
      if (!s.has(name)) s.set(name, Number(vals[i]));
    }
  }
  return s;
}

async function runKtape(c: Ctx, w: Workload, n: number, rep: number, noStacks = false): Promise<RunSample> {
  const dir = join(c.workdir, `ktape-${w.name}-${rep}`);
  rmSync(dir, { recursive: true, force: true });
  const outer = join(c.workdir, 'outer.stat'),
    inner = join(c.workdir, 'inner.stat');
  rmSync(outer, { force: true });
  rmSync(inner, { force: true });
  // the package's bin, as a user runs it (dist/cli/ktape: it spares Node the NODE_EXTRA_CA_CERTS parse)
  const r = await run(c.treeCpu, [
    outer,
    c.bin,
    'record',
    '-o',
    dir,
    '--events',
    w.ktapeEvents,
    ...(noStacks ? ['--no-kmem-stacks'] : []),
    '--json',
    '-q',
    '--',
    ...innerCmd(c, w, n, inner),
  ]);
  const j = jsonLine<{ elapsed_ns: number }>(r.stdout, 'elapsed_ns');
  const k = jsonLine<{ events_total: number; lost: number; bytes: number }>(r.stdout, 'events_total');
  const s: RunSample = { tool: noStacks ? 'ktape-nostacks' : 'ktape', rep, ok: r.code === 0 && !!j && !!k, elapsedNs: j?.elapsed_ns ?? NaN, wallNs: r.wallNs };
  if (!s.ok) s.error = (r.stderr || r.stdout).slice(-600);
  if (k) {
    s.events = k.events_total;
    s.lost = k.lost;
    s.eventBytes = s.eventBytesRaw = k.bytes; // on disk as recorded (zstd-compressed by default); raw not reported by ktape
    s.captureBytes = diskBytes(dir);
    s.toolCpuNs = toolCpu(outer, inner);
    try {
      s.loopCpuNs = ktapeStats(dir).get('recorder_cpu_ns');
      s.tables = ktapeTables(dir);
    } catch (e) {
      s.error = `reading capture: ${(e as Error).message}`;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  return s;
}

/**
 * Parse `trace-cmd report --stat`. The per-CPU stats are a snapshot taken
 * when recording stopped: "read events" were already written then, and
 * "entries" were still in the kernel buffer and flushed afterwards (their sum
 * matches a count of `trace-cmd report` lines). Lost = overrun + commit
 * overrun + dropped events.
 */
export function parseTraceCmdStat(text: string): { read: number; lost: number; entries: number } {
  let read = 0,
    lost = 0,
    entries = 0;
  for (const m of text.matchAll(/^(entries|overrun|commit overrun|dropped events|read events):\s*(\d+)/gm)) {
    const v = Number(m[2]);
    if (m[1] === 'read events') read += v;
    else if (m[1] === 'entries') entries += v;
    else lost += v;
  }
  return { read, lost, entries };
}

/** Parse trace-cmd record's "N bytes in size (M uncompressed)" per-CPU lines. */
export function parseTraceCmdSizes(text: string): { disk: number; raw: number } {
  let disk = 0,
    raw = 0;
  for (const m of text.matchAll(/^\s*(\d+) bytes in size(?: \((\d+) uncompressed\))?/gm)) {
    disk += Number(m[1]);
    raw += Number(m[2] ?? m[1]);
  }
  return { disk, raw };
}

async function runTraceCmd(c: Ctx, w: Workload, n: number, rep: number, stacks = false): Promise<RunSample> {
  const file = join(c.workdir, `tc-${w.name}-${rep}.dat`);
  rmSync(file, { force: true });
  const outer = join(c.workdir, 'outer.stat'),
    inner = join(c.workdir, 'inner.stat');
  rmSync(outer, { force: true });
  rmSync(inner, { force: true });
  const args = [
    outer,
    'env',
    `LD_PRELOAD=${c.ftshim}`,
    `FTSHIM_DIR=${join(c.workdir, 'ftshim')}`,
    'trace-cmd',
    'record',
    '-b',
    '16384',
    ...(stacks ? ['-T'] : []),
    '-o',
    file,
  ];
  for (const e of w.tracecmd) args.push('-e', e);
  args.push(...innerCmd(c, w, n, inner)); // innerCmd's env replaces LD_PRELOAD (ftshim) with exitstat.so
  const r = await run(c.treeCpu, args);
  const j = jsonLine<{ elapsed_ns: number }>(r.stdout, 'elapsed_ns');
  const s: RunSample = {
    tool: stacks ? 'trace-cmd-stacks' : 'trace-cmd',
    rep,
    ok: r.code === 0 && !!j && existsSync(file),
    elapsedNs: j?.elapsed_ns ?? NaN,
    wallNs: r.wallNs,
  };
  if (!s.ok) s.error = (r.stderr || r.stdout).slice(-600);
  else {
    s.toolCpuNs = toolCpu(outer, inner);
    const sizes = parseTraceCmdSizes(`${r.stdout}\n${r.stderr}`);
    s.eventBytes = sizes.disk;
    s.eventBytesRaw = sizes.raw;
    s.captureBytes = diskBytes(file);
    const st = await run('trace-cmd', ['report', '--stat', '-i', file]);
    const p = parseTraceCmdStat(st.stdout);
    s.events = p.read + p.entries;
    s.lost = p.lost;
  }
  rmSync(file, { force: true });
  return s;
}

/** Parse `perf report --stats`: samples and lost samples (LOST_SAMPLES per event, or LOST records). */
export function parsePerfStats(text: string): { samples: number; lost: number } {
  // "Aggregated stats:" then one "<sys>:<event> stats:" section per event
  const sections = text.split(/^(\S+:\S+) stats:\s*$/m);
  const agg = sections[0];
  const samples = Number(/SAMPLE events:\s*(\d+)/.exec(agg)?.[1] ?? NaN);
  // per-event "LOST_SAMPLES events: N" = number of samples lost
  let lost = 0;
  for (let i = 1; i < sections.length; i += 2) {
    const m = /LOST_SAMPLES events:\s*(\d+)/.exec(sections[i + 1] ?? '');
    if (m) lost += Number(m[1]);
  }
  if (lost === 0) {
    const m = /LOST_SAMPLES events:\s*(\d+)/.exec(agg);
    if (m) lost = Number(m[1]);
  }
  return { samples, lost };
}

/** perf.data header: data section offset/size. */
export function perfDataSize(file: string): number {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(56);
    readSync(fd, b, 0, 56, 0);
    if (b.toString('latin1', 0, 8) !== 'PERFILE2') return NaN;
    return Number(b.readBigUInt64LE(48));
  } finally {
    closeSync(fd);
  }
}

async function runPerf(c: Ctx, w: Workload, n: number, rep: number, stacks = false): Promise<RunSample> {
  const file = join(c.workdir, `perf-${w.name}-${rep}.data`);
  rmSync(file, { force: true });
  const outer = join(c.workdir, 'outer.stat'),
    inner = join(c.workdir, 'inner.stat');
  rmSync(outer, { force: true });
  rmSync(inner, { force: true });
  const r = await run(c.treeCpu, [
    outer,
    'perf',
    'record',
    '-q',
    ...(stacks ? ['-g'] : []),
    '-o',
    file,
    '-e',
    w.perf.join(','),
    '--',
    ...innerCmd(c, w, n, inner),
  ]);
  const j = jsonLine<{ elapsed_ns: number }>(r.stdout, 'elapsed_ns');
  const s: RunSample = {
    tool: stacks ? 'perf-stacks' : 'perf',
    rep,
    ok: r.code === 0 && !!j && existsSync(file),
    elapsedNs: j?.elapsed_ns ?? NaN,
    wallNs: r.wallNs,
  };
  if (!s.ok) s.error = (r.stderr || r.stdout).slice(-600);
  else {
    s.toolCpuNs = toolCpu(outer, inner);
    s.eventBytes = s.eventBytesRaw = perfDataSize(file);
    s.captureBytes = diskBytes(file);
    const st = await run('perf', ['report', '--stats', '-i', file]);
    const p = parsePerfStats(st.stdout + st.stderr);
    s.events = p.samples;
    s.lost = p.lost;
    if (rep === 0 || !c.perfSampleType) {
      const ev = await run('perf', ['evlist', '-v', '-i', file]);
      const m = /sample_type: ([A-Z_|]+)/.exec(ev.stdout);
      if (m) c.perfSampleType = m[1].split('|');
    }
    s.perfSampleType = c.perfSampleType;
  }
  rmSync(file, { force: true });
  return s;
}

// ---------------------------------------------------------------- summary

function summarize(w: Workload, samples: RunSample[], tools: Tool[], fixed: RunSample[] = []): WorkloadResult {
  const un = samples.filter((s) => s.tool === 'untraced' && s.ok);
  const unByRep = new Map(un.map((s) => [s.rep, s.elapsedNs]));
  const res: WorkloadResult = { name: w.name, what: w.what, n: 0, untracedMsMedian: median(un.map((s) => s.elapsedNs)) / 1e6, tools: {}, samples };
  for (const t of tools) {
    const all = samples.filter((s) => s.tool === t);
    if (all.length === 0) continue;
    const ok = all.filter((s) => s.ok);
    const ratios = ok.filter((s) => unByRep.has(s.rep)).map((s) => s.elapsedNs / unByRep.get(s.rep)!);
    const ev = median(ok.map((s) => s.events ?? NaN));
    const perEv = (f: (s: RunSample) => number | undefined) => median(ok.map((s) => (f(s) ?? NaN) / (s.events ?? NaN)));
    const fixedRuns = fixed.filter((s) => s.tool === t && s.ok);
    const fixedCpu = fixedRuns.length ? median(fixedRuns.map((s) => s.toolCpuNs ?? NaN)) : undefined;
    res.tools[t] = {
      runs: all.length,
      failed: all.length - ok.length,
      error: all.find((s) => !s.ok)?.error,
      elapsedMsMedian: median(ok.map((s) => s.elapsedNs)) / 1e6,
      ratioMedian: median(ratios),
      ratios,
      events: ev,
      lost: median(ok.map((s) => s.lost ?? NaN)),
      lostMax: Math.max(0, ...ok.map((s) => s.lost ?? 0)),
      bytesPerEvent: perEv((s) => s.eventBytes),
      bytesPerEventRaw: perEv((s) => s.eventBytesRaw),
      captureBytesPerEvent: perEv((s) => s.captureBytes),
      toolCpuNsPerEvent: perEv((s) => s.toolCpuNs),
      toolCpuNsPerEventNet: fixedCpu === undefined ? undefined : perEv((s) => (s.toolCpuNs ?? NaN) - fixedCpu),
      fixedCpuNs: fixedCpu,
      loopCpuNsPerEvent: t === 'ktape' || t === 'ktape-nostacks' ? perEv((s) => s.loopCpuNs) : undefined,
      refRatio: t === 'trace-cmd' || t === 'perf' ? w.ref?.[t] : undefined,
    };
  }
  return res;
}

/** ktape table -> the kinds it holds and the matching peer tracepoints (the first one is used for the per-kind row). */
const KIND_MAP: { table: string; kind: string; tracecmd: string; perf?: string }[] = [
  { table: 'sched_switch', kind: 'sched_switch', tracecmd: 'sched:sched_switch' },
  { table: 'sched_waking', kind: 'sched_waking (+wakeup_new)', tracecmd: 'sched:sched_waking' },
  { table: 'syscall_enter', kind: 'sys_enter', tracecmd: 'raw_syscalls:sys_enter', perf: 'syscalls:sys_enter_getppid' },
  { table: 'syscall_exit', kind: 'sys_exit', tracecmd: 'raw_syscalls:sys_exit', perf: 'syscalls:sys_exit_getppid' },
  { table: 'kmem_alloc', kind: 'kmalloc / kmem_cache_alloc', tracecmd: 'kmem:kmalloc' },
  { table: 'kmem_free', kind: 'kfree / kmem_cache_free', tracecmd: 'kmem:kfree' },
  { table: 'task_newtask', kind: 'task_newtask', tracecmd: 'task:task_newtask' },
  { table: 'task_exec', kind: 'exec', tracecmd: 'sched:sched_process_exec' },
  { table: 'task_exit', kind: 'exit', tracecmd: 'sched:sched_process_exit' },
  { table: 'task_free', kind: 'free', tracecmd: 'sched:sched_process_free' },
];

function kindBytes(results: WorkloadResult[], perfSampleType: string[] | undefined): KindBytes[] {
  // ktape: biggest sample of each table across all runs (per-batch overhead amortised best there)
  const best = new Map<string, { rows: number; bytes: number }>();
  for (const w of results)
    for (const s of w.samples) for (const [t, v] of Object.entries(s.tables ?? {})) if (v.rows > (best.get(t)?.rows ?? 0)) best.set(t, v);
  return KIND_MAP.filter((k) => best.has(k.table)).map((k) => {
    const b = best.get(k.table)!;
    const perfEv = k.perf ?? k.tracecmd;
    return {
      kind: k.kind,
      ktapeTable: k.table,
      ktape: b.bytes / b.rows,
      ktapeRows: b.rows,
      tracecmdEvent: k.tracecmd,
      tracecmd: ftraceEventBytes(k.tracecmd),
      perfEvent: perfEv,
      perf: perfSampleType ? perfSampleBytes(perfEv, perfSampleType) : NaN,
    };
  });
}

// ---------------------------------------------------------------- sustained rate

async function runSustained(c: Ctx, label: string, args: string[], target: number | null, _secs: number): Promise<SustainedResult> {
  const dir = join(c.workdir, `ktape-sustained`);
  rmSync(dir, { recursive: true, force: true });
  // default ring size (64 MiB): what a user gets
  const r = await run(c.node, [c.cli, 'record', '-o', dir, '--events', 'syscall', '--json', '-q', '--', c.workload, ...args]);
  const j = jsonLine<{ n: number; elapsed_ns: number }>(r.stdout, 'elapsed_ns');
  const k = jsonLine<{ events_total: number; lost: number; bytes: number }>(r.stdout, 'events_total');
  let cpu = NaN;
  try {
    cpu = ktapeStats(dir).get('recorder_cpu_ns') ?? NaN;
  } catch {
    /* reported below */
  }
  rmSync(dir, { recursive: true, force: true });
  const el = j?.elapsed_ns ?? NaN;
  return {
    label,
    targetEventsPerS: target,
    secs: el / 1e9,
    calls: j?.n ?? NaN,
    events: k?.events_total ?? NaN,
    lost: k?.lost ?? NaN,
    eventsPerS: (k?.events_total ?? NaN) / (el / 1e9),
    recorderCpuPct: (100 * cpu) / el,
    bytes: k?.bytes ?? NaN,
    error: r.code === 0 && j && k ? undefined : (r.stderr || r.stdout).slice(-600),
  };
}

// ---------------------------------------------------------------- fixed cost

/** Recording a no-op (`true`) with task + sched: the cost of start-up and stop alone (issue 10, goal 2). */
/**
 * ktape: the package's bin (dist/cli/ktape, the sh launcher), in the bench's environment. When that sets
 * NODE_EXTRA_CA_CERTS (as this VM image does; Node 20 parses those certificates at every start, ~90 ms of CPU,
 * unless the launcher hands the variable over) two more rows say what it costs:
 * ktape-node-main: `node dist/cli/main.js` with the variable, which pays for it;
 * ktape-no-extra-ca: the bin with the variable unset.
 */
type FixedTool = 'ktape' | 'ktape-node-main' | 'ktape-no-extra-ca' | 'trace-cmd';

export interface FixedCostSample {
  tool: FixedTool;
  rep: number;
  ok: boolean;
  wallS: number;
  userS: number;
  sysS: number;
  /** GNU time's %M: the largest peak RSS of any process in the tool's tree, KiB */
  peakRssKb: number;
  /** bytes of the capture (directory or trace.dat) */
  bytes: number;
  error?: string;
}

export interface FixedCostSummary {
  tool: FixedTool;
  runs: number;
  failed: number;
  wallS: number;
  cpuS: number;
  peakRssMb: number;
  bytes: number;
}

export interface FixedCostResult {
  reps: number;
  /** the 1-minute load average before and after the reps (CPU figures are medians; the machine may be shared) */
  load: [number, number];
  tools: FixedCostSummary[];
  skipped: Partial<Record<FixedTool, string>>;
}

/** GNU time(1) with -o: "wall user sys maxrss_kb" of the command's whole tree. */
async function gnuTime(out: string, cmd: string[], env?: NodeJS.ProcessEnv): Promise<{ r: RunResult; t: number[] | null }> {
  rmSync(out, { force: true });
  const r = await run('/usr/bin/time', ['-o', out, '-f', '%e %U %S %M', ...cmd], { env });
  const last = existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').pop() : undefined;
  const t = last?.split(' ').map(Number) ?? null;
  return { r, t: t && t.length === 4 && t.every(Number.isFinite) ? t : null };
}

async function fixedCostRun(c: Ctx, tool: FixedTool, rep: number): Promise<FixedCostSample> {
  const cap = join(c.workdir, `fixed-${tool}-${rep}${tool === 'trace-cmd' ? '.dat' : ''}`);
  rmSync(cap, { recursive: true, force: true });
  const w = WORKLOADS.find((x) => x.name === 'forkexec')!; // task + sched, for both tools
  const ktape = tool === 'ktape-node-main' ? [c.node, c.cli] : [pkgPath('dist/cli/ktape')];
  const cmd =
    tool !== 'trace-cmd'
      ? [...ktape, 'record', '-q', '-o', cap, '--events', w.ktapeEvents, '--', 'true']
      : ['trace-cmd', 'record', '-q', '-b', '16384', '-o', cap, ...w.tracecmd.flatMap((e) => ['-e', e]), 'env', '-u', 'LD_PRELOAD', 'true'];
  const { NODE_EXTRA_CA_CERTS: _ca, ...noCa } = process.env;
  const env =
    tool === 'trace-cmd' ? { ...process.env, LD_PRELOAD: c.ftshim!, FTSHIM_DIR: join(c.workdir, 'ftshim') } : tool === 'ktape-no-extra-ca' ? noCa : undefined;
  const { r, t } = await gnuTime(join(c.workdir, 'fixed.time'), cmd, env);
  const s: FixedCostSample = {
    tool,
    rep,
    ok: r.code === 0 && !!t,
    wallS: t?.[0] ?? NaN,
    userS: t?.[1] ?? NaN,
    sysS: t?.[2] ?? NaN,
    peakRssKb: t?.[3] ?? NaN,
    bytes: NaN,
  };
  if (!s.ok) s.error = (r.stderr || r.stdout).slice(-600);
  else s.bytes = diskBytes(cap);
  rmSync(cap, { recursive: true, force: true });
  return s;
}

/** ktape and trace-cmd recording `true`, interleaved, `reps` times (one warm-up each, not counted). */
async function benchFixedCost(c: Ctx, reps: number, traceCmd: boolean, log: (s: string) => void): Promise<FixedCostResult> {
  const tools: FixedTool[] = [
    'ktape',
    ...(process.env.NODE_EXTRA_CA_CERTS ? (['ktape-node-main', 'ktape-no-extra-ca'] as const) : []),
    ...(traceCmd ? (['trace-cmd'] as const) : []),
  ];
  const skipped: FixedCostResult['skipped'] = {};
  if (!existsSync('/usr/bin/time')) {
    skipped.ktape = skipped['trace-cmd'] = 'GNU time not installed (apt install time)';
    return { reps, load: [loadavg()[0], loadavg()[0]], tools: [], skipped };
  }
  for (const t of tools) await fixedCostRun(c, t, -1);
  const load0 = loadavg()[0];
  const samples: FixedCostSample[] = [];
  for (let rep = 0; rep < reps; rep++) {
    for (const t of tools) {
      const s = await fixedCostRun(c, t, rep);
      samples.push(s);
      if (!s.ok) log(`    fixed cost: ${t} rep ${rep} failed: ${s.error?.trim().split('\n').slice(-3).join(' | ')}`);
    }
    const line = samples.filter((s) => s.rep === rep).map((s) => `${s.tool} ${fx(s.userS + s.sysS)} s CPU, ${fx(s.peakRssKb / 1024, 0)} MB`);
    log(`    rep ${rep}: ${line.join(', ')}`);
  }
  const summary = (tool: FixedTool): FixedCostSummary => {
    const ok = samples.filter((s) => s.tool === tool && s.ok);
    return {
      tool,
      runs: samples.filter((s) => s.tool === tool).length,
      failed: samples.filter((s) => s.tool === tool && !s.ok).length,
      wallS: median(ok.map((s) => s.wallS)),
      cpuS: median(ok.map((s) => s.userS + s.sysS)),
      peakRssMb: median(ok.map((s) => s.peakRssKb / 1024)),
      bytes: median(ok.map((s) => s.bytes)),
    };
  };
  return { reps, load: [load0, loadavg()[0]], tools: tools.map(summary), skipped };
}

export function formatFixedCost(r: FixedCostResult): string {
  const rows: string[][] = [['tool', 'wall s', 'CPU s', 'peak RSS MB', 'bytes', 'failed']];
  for (const t of r.tools) rows.push([t.tool, fx(t.wallS), fx(t.cpuS), fx(t.peakRssMb, 0), fint(t.bytes), `${t.failed}/${t.runs}`]);
  const out = [table(rows, `Fixed cost: recording \`true\` with task + sched, median of ${r.reps} interleaved reps (target: ktape under 0.3 s CPU, 100 MB)`)];
  out.push('  GNU time over the whole tree: CPU = user + sys of every reaped process; peak RSS = the largest process (ktape: node, with its mapped ring).');
  out.push(`  load average (1 min) ${fx(r.load[0], 1)} before, ${fx(r.load[1], 1)} after the reps.`);
  out.push('  ktape: the bin (dist/cli/ktape, a sh launcher of node dist/cli/main.cjs) in this environment.');
  if (r.tools.some((t) => t.tool === 'ktape-no-extra-ca'))
    out.push(
      '  This environment sets NODE_EXTRA_CA_CERTS (Node 20 parses it at every start, before any JavaScript): the bin hands it over instead;',
      '  ktape-node-main: `node dist/cli/main.js`, which pays for it; ktape-no-extra-ca: the bin with the variable unset.',
    );
  for (const [t, why] of Object.entries(r.skipped)) out.push(`  ${t} skipped: ${why}`);
  return out.join('\n');
}

// ---------------------------------------------------------------- main

/** One workload: untraced and each tool, `reps` interleaved reps (after one untraced warm-up). */
async function runWorkload(c: Ctx, o: RecordBenchOptions, w: Workload, tools: Tool[]): Promise<WorkloadResult> {
  const log = o.log;
  const n = o.quick ? w.quickN : w.n;
  const samples: RunSample[] = [];
  log(`  ${w.name} (${w.what}, N=${n.toLocaleString('en-US')}), ${o.reps} interleaved reps: untraced, ${tools.join(', ')}`);
  // warm-up (page cache, binaries), not counted
  await runUntraced(c, w, n, -1);
  for (let rep = 0; rep < o.reps; rep++) {
    samples.push(await runUntraced(c, w, n, rep));
    for (const t of tools) {
      if (KMEM_ONLY.includes(t) && !w.ktapeEvents.includes('kmem')) continue;
      const s =
        t === 'ktape' || t === 'ktape-nostacks'
          ? await runKtape(c, w, n, rep, t === 'ktape-nostacks')
          : t === 'trace-cmd' || t === 'trace-cmd-stacks'
            ? await runTraceCmd(c, w, n, rep, t === 'trace-cmd-stacks')
            : await runPerf(c, w, n, rep, t === 'perf-stacks');
      samples.push(s);
      if (!s.ok) log(`    ${t} rep ${rep} failed: ${s.error?.trim().split('\n').slice(-3).join(' | ')}`);
    }
    const line = samples
      .filter((s) => s.rep === rep)
      .map((s) => `${s.tool} ${(s.elapsedNs / 1e6).toFixed(0)} ms`)
      .join(', ');
    log(`    rep ${rep}: ${line}`);
  }
  const fixed = w.fixedRuns ? await runFixed(c, o, w, tools) : [];
  const r = summarize(w, samples, tools, fixed);
  r.n = n;
  return r;
}

/** The fixed cost of each tool on a storm: `reps` interleaved recordings of the workload with N = 0. */
async function runFixed(c: Ctx, o: RecordBenchOptions, w: Workload, tools: Tool[]): Promise<RunSample[]> {
  const out: RunSample[] = [];
  for (let rep = 0; rep < o.reps; rep++)
    for (const t of tools) {
      if (t === 'ktape') out.push(await runKtape(c, w, 0, rep));
      else if (t === 'trace-cmd') out.push(await runTraceCmd(c, w, 0, rep));
      else if (t === 'perf') out.push(await runPerf(c, w, 0, rep));
    }
  const cpu = tools.map((t) => `${t} ${fx(median(out.filter((s) => s.tool === t && s.ok).map((s) => (s.toolCpuNs ?? NaN) / 1e6)), 0)} ms`);
  o.log(`    fixed cost (N=0, median of ${o.reps}): ${cpu.join(', ')}`);
  return out;
}

/**
 * A busy-looping process beside the storm (issue 10: production hosts are busy): one `sh` spinning at
 * normal priority for as long as `f` runs, untraced runs included, so the ratio is traced/untraced under load.
 */
async function withCpuHog<T>(f: () => Promise<T>): Promise<T> {
  const hog = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
  try {
    return await f();
  } finally {
    hog.kill('SIGKILL');
  }
}

/** the storms measured again beside a CPU hog (the short-process storm and the ping-pong) */
const HOG_WORKLOADS = ['forkexec', 'pingpong'];

export async function benchRecord(o: RecordBenchOptions): Promise<RecordBenchResult> {
  const log = o.log;
  mkdirSync(o.workdir, { recursive: true });
  const c: Ctx = {
    workdir: o.workdir,
    treeCpu: writeTreeCpuScript(o.workdir),
    workload: pkgPath('build/ktape-workload'),
    ftshim: null,
    node: process.execPath,
    cli: pkgPath('dist/cli/main.js'),
    bin: pkgPath('dist/cli/ktape'),
    exitstat: '',
  };
  c.exitstat = await buildExitstat(o.workdir);
  const skipped: Partial<Record<Tool, string>> = {};
  let tools = (o.tools ?? TOOLS).slice();
  const tf = ensureTracefs();
  if (tools.includes('trace-cmd') || tools.includes('trace-cmd-stacks')) {
    let why: string | null = null;
    if (!which('trace-cmd')) why = 'trace-cmd not installed (apt install trace-cmd)';
    else if (tf) why = tf;
    else {
      try {
        c.ftshim = await buildFtshim(o.workdir);
      } catch (e) {
        why = (e as Error).message;
      }
    }
    if (why) skipped['trace-cmd'] = skipped['trace-cmd-stacks'] = why;
  }
  if ((tools.includes('perf') || tools.includes('perf-stacks')) && !which('perf'))
    skipped.perf = skipped['perf-stacks'] = 'perf not installed (apt install linux-perf)';
  tools = tools.filter((t) => !skipped[t]);
  for (const [t, why] of Object.entries(skipped)) log(`  skipping ${t}: ${why}`);

  const results: WorkloadResult[] = [];
  for (const w of WORKLOADS.filter((x) => !o.workloads || o.workloads.includes(x.name))) results.push(await runWorkload(c, o, w, tools));
  for (const w of WORKLOADS.filter((x) => HOG_WORKLOADS.includes(x.name) && (!o.workloads || o.workloads.includes(x.name)))) {
    log(`  ${w.name} again, beside a CPU hog (one busy-looping process)`);
    const r = await withCpuHog(() => runWorkload(c, o, w, tools));
    results.push({ ...r, name: `${w.name}+hog`, what: `${w.what}, beside a CPU hog` });
  }

  // Sustained rate: paced 2M events/s (1M getppid/s = enter + exit), then an unpaced storm
  const sustained: SustainedResult[] = [];
  if (!o.workloads || o.workloads.includes('sustained')) {
    const secs = o.sustainSecs;
    log(`  sustained: paced getppid at 1M calls/s (2M events/s) for ${secs} s under ktape`);
    sustained.push(await runSustained(c, 'paced 2M ev/s', ['getppid-rate', '1000000', String(secs)], 2e6, secs));
    log(`  sustained: unpaced getppid storm for ${secs} s under ktape`);
    sustained.push(await runSustained(c, 'unpaced storm', ['getppid-rate', '1e9', String(secs)], null, secs));
  }

  let fixedCost: FixedCostResult | undefined;
  if (!o.workloads || o.workloads.includes('fixed-cost')) {
    log(`  fixed cost: recording \`true\` with task + sched, ${o.reps} interleaved reps: ktape${c.ftshim ? ', trace-cmd' : ''}`);
    fixedCost = await benchFixedCost(c, o.reps, !!c.ftshim && tools.includes('trace-cmd'), log);
  }

  const perfType = results.flatMap((r) => r.samples).find((s) => s.perfSampleType)?.perfSampleType;
  const kinds = kindBytes(results, perfType);
  return {
    quick: o.quick,
    reps: o.reps,
    tools,
    skipped,
    workloads: results,
    kinds,
    sustained,
    schedSwitchBytesPerEvent: kinds.find((k) => k.ktapeTable === 'sched_switch')?.ktape ?? NaN,
    fixedCost,
  };
}

export function formatRecordBench(r: RecordBenchResult): string {
  const out: string[] = [];
  const rows: string[][] = [
    ['workload', 'tool', 'ratio', 'ref', 'traced ms', 'events', 'lost', 'B/ev disk', 'B/ev raw', 'capture B/ev', 'CPU ns/ev', 'loop ns/ev', 'CPU-fixed ns/ev'],
  ];
  for (const w of r.workloads) {
    rows.push([`${w.name} (N=${fint(w.n)})`, 'untraced', '1.00×', '', fx(w.untracedMsMedian, 1), '', '', '', '', '', '', '', '']);
    for (const t of r.tools) {
      const s = w.tools[t];
      if (!s) continue;
      const lost = s.failed === s.runs ? 'FAILED' : `${fint(s.lost)}${s.lostMax > s.lost ? ` (max ${fint(s.lostMax)})` : ''}`;
      rows.push([
        '',
        t,
        fratio(s.ratioMedian),
        s.refRatio ? fratio(s.refRatio) : '',
        fx(s.elapsedMsMedian, 1),
        fint(s.events),
        lost,
        fx(s.bytesPerEvent, 1),
        fx(s.bytesPerEventRaw, 1),
        fx(s.captureBytesPerEvent, 1),
        fint(s.toolCpuNsPerEvent),
        s.loopCpuNsPerEvent !== undefined ? fint(s.loopCpuNsPerEvent) : '',
        s.toolCpuNsPerEventNet !== undefined ? fint(s.toolCpuNsPerEventNet) : '',
      ]);
    }
  }
  out.push(
    table(
      rows,
      `Recorder overhead: traced/untraced workload time, median of ${r.reps} interleaved reps${r.quick ? ' (QUICK mode: small N, not comparable with the reference)' : ''}`,
    ),
  );
  out.push('  ref = shared/README.md reference ratio; B/ev disk = event data as stored (trace-cmd compresses), raw = uncompressed;');
  out.push("  CPU ns/ev = tool process tree CPU minus the workload's (10 ms ticks), loop ns/ev = ktape stats recorder_cpu_ns;");
  out.push('  CPU-fixed ns/ev = CPU minus the median CPU of the same tool recording the workload with N = 0 (issue 10, goal 1).');
  for (const [t, why] of Object.entries(r.skipped)) out.push(`  ${t} skipped: ${why}`);
  if (r.kinds.length) {
    const k: string[][] = [['kind', 'ktape B/ev (measured)', 'rows', 'trace-cmd B/ev (derived, raw)', 'perf B/ev (derived)', 'peer tracepoint']];
    for (const x of r.kinds)
      k.push([
        x.kind,
        fx(x.ktape, 1),
        fint(x.ktapeRows),
        fx(x.tracecmd, 1),
        fx(x.perf, 1),
        x.perfEvent === x.tracecmdEvent ? x.tracecmdEvent : `${x.tracecmdEvent} / ${x.perfEvent}`,
      ]);
    out.push('');
    out.push(table(k, 'Bytes on disk per event, per kind (ktape Arrow as recorded: zstd by default, formats/codec.ts; target sched_switch <= 24)'));
  }
  if (r.sustained.length) {
    const s: string[][] = [['run', 'secs', 'calls', 'events', 'lost', 'events/s', 'recorder CPU %', 'bytes']];
    for (const x of r.sustained)
      s.push([
        x.label,
        fx(x.secs, 1),
        fint(x.calls),
        fint(x.events),
        x.error ? 'FAILED' : fint(x.lost),
        fint(x.eventsPerS),
        fx(x.recorderCpuPct, 0),
        fint(x.bytes),
      ]);
    out.push('');
    out.push(table(s, 'Sustained rate under ktape (syscall events, default 64 MiB ring; target 2M events/s for 30 s with zero loss)'));
    for (const x of r.sustained) if (x.error) out.push(`  ${x.label}: ${x.error.trim().split('\n').slice(-2).join(' | ')}`);
  }
  if (r.fixedCost) out.push('', formatFixedCost(r.fixedCost));
  return out.join('\n');
}
