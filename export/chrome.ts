/**
 * `ktape export --chrome`: a capture → Chrome Trace Event Format JSON (object form, {"traceEvents": [...]})
 * for chrome://tracing and the Perfetto UI's JSON importer, from the analyzer's views. Written as a stream,
 * one event per line; ts/dur in µs with ns decimals, CLOCK_BOOTTIME.
 *
 * The families write their events (families/<family>/export.ts): running intervals, CPU lanes, syscalls,
 * task instants, outstanding allocations. The core writes the loss windows ("ktape: lost events") and the
 * metadata: process_name/thread_name (from the processes and threads views) and sort indexes (CPUs first)
 * for every lane the events used.
 */
import { familyExports } from './families.js';
import type { ChromeContext, FamilyExport } from './handlers.js';
import { LOSS_PID, us } from './chrome-format.js';
import { FileSink } from './output.js';
import { openExport, type ExportOptions, type ExportSession } from './source.js';

/** the old viewer cannot load JSON much larger than this */
export const WARN_BYTES = 250 * 1024 * 1024;

export interface ChromeResult {
  events: number;
  traceEvents: number;
  bytes: number;
  /** damaged or cut table files, with what is wrong */
  torn: string[];
  /** other one-line warnings about the capture */
  warnings: string[];
}

interface Lanes {
  /** tid → pid of each real thread lane, and its companion lanes (lane tid → suffix) */
  threads: Map<string, { pid: number; tid: number; companions: Map<number, string> }>;
  synthetic: { pid: number; name: string; sort: number; thread?: { tid: number; name: string } }[];
}

/** characters of JSON gathered before they go to the file: one write per ~64K instead of one per event */
const PENDING_CHARS = 1 << 16;

class ChromeOut {
  n = 0;
  private warned = false;
  private pending = '';
  constructor(
    readonly sink: FileSink,
    private readonly path: string,
    private readonly warn: (m: string) => void,
  ) {}
  emit(json: string): void {
    this.pending += this.n === 0 ? `\n${json}` : `,\n${json}`;
    this.n++;
    if (this.pending.length >= PENDING_CHARS) this.flush();
  }
  /** the gathered events to the file (before anything else is written, and at the end) */
  flush(): void {
    if (!this.pending) return;
    this.sink.writeString(this.pending);
    this.pending = '';
    if (!this.warned && this.sink.bytes > WARN_BYTES) {
      this.warned = true;
      this.warn(
        `${this.path} passed ${WARN_BYTES / (1024 * 1024)} MB; chrome://tracing cannot load files this large — narrow the window with --since/--until, or use --perfetto`,
      );
    }
  }
}

function context(s: ExportSession, out: ChromeOut, lanes: Lanes): ChromeContext {
  // events come in runs of one thread: the last lane is checked before building a key
  let last: { pid: number; tid: number; companions: Map<number, string> } | undefined;
  const thread = (pid: number, tid: number) => {
    if (last && last.pid === pid && last.tid === tid) return last;
    const key = `${pid}:${tid}`;
    let t = lanes.threads.get(key);
    if (!t) lanes.threads.set(key, (t = { pid, tid, companions: new Map() }));
    return (last = t);
  };
  return {
    ...s.ctx,
    emit: (json) => out.emit(json),
    lane: (pid, tid) => {
      thread(pid, tid);
    },
    companion: (pid, tid, laneTid, suffix) => {
      thread(pid, tid).companions.set(laneTid, suffix);
    },
    syntheticProcess: (pid, name, sort, t) => {
      lanes.synthetic.push({ pid, name, sort, thread: t });
    },
  };
}

async function writeLosses(s: ExportSession, out: ChromeOut, lanes: Lanes): Promise<void> {
  const losses = await s.ctx.cap.query<Record<string, any>>('SELECT cpu, kind, count, ts_start, ts_end, reason FROM losses ORDER BY ts_start, cpu');
  for (const l of losses)
    out.emit(
      `{"ph":"X","cat":"loss","name":"lost ${l.count} ${l.kind} (${l.reason})","pid":${LOSS_PID},"tid":${l.cpu},"ts":${us(l.ts_start)},"dur":${us(Math.max(0, l.ts_end - l.ts_start))},"args":{"count":${l.count},"kind":${JSON.stringify(l.kind)},"cpu":${l.cpu},"reason":${JSON.stringify(l.reason)}}}`,
    );
  if (losses.length) lanes.synthetic.push({ pid: LOSS_PID, name: 'ktape: lost events', sort: -200000 });
}

/** names of the processes and threads of the lanes used (views: processes, threads), then sort indexes */
async function writeMetadata(s: ExportSession, out: ChromeOut, lanes: Lanes): Promise<void> {
  const meta = (name: string, pid: number, tid: number | null, args: string) =>
    out.emit(`{"ph":"M","name":"${name}","pid":${pid}${tid === null ? '' : `,"tid":${tid}`},"args":${args}}`);
  for (const p of [...lanes.synthetic].sort((a, b) => a.pid - b.pid)) {
    meta('process_name', p.pid, null, JSON.stringify({ name: p.name }));
    meta('process_sort_index', p.pid, null, `{"sort_index":${p.sort}}`);
    if (p.thread) meta('thread_name', p.pid, p.thread.tid, JSON.stringify({ name: p.thread.name }));
  }
  const { cap } = s.ctx;
  const names = new Map((await cap.query<{ tid: number; comm: string | null }>('SELECT tid, comm FROM threads')).map((r) => [r.tid, r.comm ?? '']));
  const procs = new Map(
    (
      await cap.query<{ tgid: number; comm: string | null; cmdline: string | null }>(
        'SELECT tgid, comm, coalesce(cmdline, exec_filename) AS cmdline FROM processes',
      )
    ).map((r) => [r.tgid, r]),
  );
  const threads = [...lanes.threads.values()].sort((a, b) => a.tid - b.tid || a.pid - b.pid);
  for (const pid of [...new Set(threads.map((t) => t.pid))].sort((a, b) => a - b)) {
    const p = procs.get(pid);
    meta('process_name', pid, null, JSON.stringify({ name: p?.comm || names.get(pid) || (p?.cmdline ?? '').split(' ')[0] || `pid ${pid}` }));
    meta('process_sort_index', pid, null, `{"sort_index":${pid}}`);
    if (p?.cmdline) meta('process_labels', pid, null, JSON.stringify({ labels: p.cmdline }));
  }
  for (const t of threads) {
    const comm = names.get(t.tid) || `tid ${t.tid}`;
    meta('thread_name', t.pid, t.tid, JSON.stringify({ name: comm }));
    meta('thread_sort_index', t.pid, t.tid, `{"sort_index":${t.tid * 2}}`);
    for (const [laneTid, suffix] of t.companions) {
      meta('thread_name', t.pid, laneTid, JSON.stringify({ name: `${comm} ${suffix}` }));
      meta('thread_sort_index', t.pid, laneTid, `{"sort_index":${t.tid * 2 + 1}}`);
    }
  }
}

export async function exportChrome(
  captureDir: string,
  outPath: string,
  opts: ExportOptions = {},
  warn: (msg: string) => void = () => {},
  families?: readonly FamilyExport[],
): Promise<ChromeResult> {
  const s = await openExport(captureDir, opts, families ?? (await familyExports()), 'chrome');
  try {
    const out = new ChromeOut(new FileSink(outPath, opts.onProgress), outPath, warn);
    out.sink.writeString('{"displayTimeUnit":"ns","traceEvents":[');
    const lanes: Lanes = { threads: new Map(), synthetic: [] };
    const ctx = context(s, out, lanes);
    for (const f of s.families) if (f.chrome) await f.chrome(ctx);
    const events = out.n;
    await writeLosses(s, out, lanes);
    await writeMetadata(s, out, lanes);
    const host = s.ctx.cap.manifest.host;
    const info = { ktape_capture: host.hostname, kernel: host.kernel_release, machine: host.machine, clock: 'CLOCK_BOOTTIME' };
    out.flush();
    out.sink.writeString(`\n],"metadata":${JSON.stringify(info)}}\n`);
    out.sink.close();
    return { events, traceEvents: out.n, bytes: out.sink.bytes, torn: s.torn, warnings: s.warnings };
  } finally {
    s.close();
  }
}
