/**
 * The streaming half shared by the Perfetto and Chrome exporters: read the
 * event tables of a capture segment by segment (formats/reader), merge them
 * into one time-ordered stream, keep a model of tasks (tid → tgid, comm)
 * that is current at each event, and apply the --pid/--comm/--since/--until/
 * --events filters. Memory is bounded by one Arrow segment per event table
 * plus per-task state; never by the number of events.
 */
import { captureTableFiles, iterStreamFile, readManifest, readTable, type StreamState } from '../formats/reader.js';
import { EVENT_GROUPS, type EventGroup, type Manifest } from '../formats/schema.js';
import { UsageError } from '../formats/errors.js';
import type { RecordBatch } from 'apache-arrow';

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
}

/** Event tables in merge order (ties in ts go to the earlier table). */
export const EVENT_KINDS = [
  'task_ids', 'task_newtask', 'task_exec', 'task_rename', 'sched_waking', 'sched_switch',
  'syscall_enter', 'syscall_exit', 'kmem_alloc', 'kmem_free', 'task_exit', 'task_free',
] as const;
export type EventKind = typeof EVENT_KINDS[number];
const GROUP: Record<EventKind, EventGroup | null> = {
  task_ids: null, task_newtask: 'task', task_exec: 'task', task_rename: 'task', task_exit: 'task', task_free: 'task',
  sched_waking: 'sched', sched_switch: 'sched', syscall_enter: 'syscall', syscall_exit: 'syscall',
  kmem_alloc: 'kmem', kmem_free: 'kmem',
};

/** Typed columns of the current batch; `ts` converted to numbers (ns since boot). */
export type Cols = Record<string, any> & { ts: Float64Array };

/** Reads one event table, one segment file at a time, rows in per-batch time order. */
class TableCursor {
  private files: string[];
  private fileIdx = 0;
  /** batches of the current file, read one at a time (bounded memory) */
  private it: Generator<RecordBatch> | null = null;
  private itTorn: StreamState = { value: false };
  private itFile = '';
  private order: Uint32Array | null = null;
  private pos = 0;
  private n = 0;
  cols!: Cols;
  /** physical row of the current event in `cols` */
  row = 0;
  /** ts of the current event, Infinity when exhausted */
  ts = Infinity;
  torn: string[] = [];

  constructor(files: string[], readonly kind: EventKind, private minTs: number, private maxTs: number) {
    this.files = files;
    this.loadNext();
  }

  private loadBatch(): boolean {
    let b: RecordBatch | undefined;
    for (;;) {
      if (this.it) {
        const r = this.it.next();
        if (!r.done) { b = r.value; break; }
        if (this.itTorn.value) this.torn.push(`${this.itFile}: ${this.itTorn.why}`);
        this.it = null;
      }
      if (this.fileIdx >= this.files.length) return false;
      this.itFile = this.files[this.fileIdx++];
      this.itTorn = { value: false };
      this.it = iterStreamFile(this.itFile, this.itTorn);
    }
    const cols: Record<string, any> = {};
    for (const field of b.schema.fields) {
      const a = b.getChild(field.name)!.toArray();
      cols[field.name] = a;
      // 64-bit columns also as [lo, hi] uint32 pairs (little-endian), for encoders
      if (a instanceof BigInt64Array || a instanceof BigUint64Array) cols[`${field.name}_w`] = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
    }
    const tsBig = cols.ts as BigInt64Array;
    const n = b.numRows;
    const ts = new Float64Array(n);
    let sorted = true;
    for (let i = 0; i < n; i++) {
      ts[i] = Number(tsBig[i]);
      if (i > 0 && ts[i] < ts[i - 1]) sorted = false;
    }
    cols.ts = ts;
    this.cols = cols as Cols;
    this.n = n;
    this.pos = 0;
    if (sorted) this.order = null;
    else {
      const o = new Uint32Array(n);
      for (let i = 0; i < n; i++) o[i] = i;
      o.sort((a, c) => ts[a] - ts[c] || a - c);
      this.order = o;
    }
    return true;
  }

  /** Move to the next row inside [minTs, maxTs]. */
  loadNext(): void {
    for (;;) {
      if (this.pos >= this.n) {
        if (!this.loadBatch()) {
          this.ts = Infinity;
          return;
        }
        if (this.n === 0) continue;
        // whole batch after the window: the table is done
        const last = this.order ? this.cols.ts[this.order[this.n - 1]] : this.cols.ts[this.n - 1];
        const first = this.order ? this.cols.ts[this.order[0]] : this.cols.ts[0];
        if (first > this.maxTs + 1e9) {
          // a whole batch more than 1 s past the window: the rest of the table is too
          this.n = 0;
          this.files.length = 0;
          this.ts = Infinity;
          return;
        }
        if (last < this.minTs || first > this.maxTs) {
          this.pos = this.n;
          continue;
        }
      }
      const r = this.order ? this.order[this.pos] : this.pos;
      this.pos++;
      const ts = this.cols.ts[r];
      if (ts < this.minTs || ts > this.maxTs) continue;
      this.row = r;
      this.ts = ts;
      return;
    }
  }
}

export interface ThreadInfo {
  tid: number;
  tgid: number | undefined;
  comm: string;
}

export interface ProcessInfo {
  pid: number;
  ppid: number | undefined;
  cmdline: string;
  uid: number | undefined;
  kernel: boolean;
}

/** Time-correct task model, updated as the merged stream advances. */
export class TaskModel {
  readonly tgid = new Map<number, number>();
  readonly comm = new Map<number, string>();
  readonly processes = new Map<number, ProcessInfo>();
  /** first tgid / comm ever known for a tid (fallback for tids not yet seen) */
  readonly firstTgid = new Map<number, number>();
  readonly firstComm = new Map<number, string>();

  tgidOf(tid: number): number | undefined {
    if (tid === 0) return 0;
    return this.tgid.get(tid) ?? this.firstTgid.get(tid);
  }

  commOf(tid: number, cpu = 0): string {
    if (tid === 0) return `swapper/${cpu}`;
    return this.comm.get(tid) ?? this.firstComm.get(tid) ?? '';
  }

  setTgid(tid: number, tgid: number): void {
    this.tgid.set(tid, tgid);
    if (!this.firstTgid.has(tid)) this.firstTgid.set(tid, tgid);
  }
}

export interface SnapshotRow {
  ts: number; tid: number; tgid: number; ppid: number; comm: string; cmdline: string;
  uid: number; kernel_thread: number;
}

export type Handler = (kind: EventKind, c: Cols, i: number, ts: number) => void;

function col<T = any>(b: RecordBatch, name: string): T {
  return b.getChild(name)!.toArray() as T;
}

/** A capture being exported: its directory, its manifest (read once), and the damaged files met so far. */
export interface CaptureFiles {
  readonly dir: string;
  readonly manifest: Manifest;
  torn: string[];
}

/** Read a small table whole; a damaged file is noted in `cap.torn` like the streamed ones. */
function readSmall(cap: CaptureFiles, table: string): RecordBatch[] {
  const r = readTable(cap.dir, table, { required: false, manifest: cap.manifest });
  for (const f of r.torn) if (!cap.torn.some((t) => t.startsWith(`${f}:`))) cap.torn.push(`${f}: damaged or cut short`);
  return r.batches;
}

/** Rows of a small (meta or task) table as plain objects, bigint → number except for the listed columns. */
export function smallTable(cap: CaptureFiles, table: string, keepBig: string[] = []): Record<string, any>[] {
  const out: Record<string, any>[] = [];
  for (const b of readSmall(cap, table)) {
    const names = b.schema.fields.map((f) => f.name);
    const vecs = names.map((n) => b.getChild(n)!);
    const cols = names.map((n) => col<any>(b, n));
    for (let i = 0; i < b.numRows; i++) {
      const r: Record<string, any> = {};
      names.forEach((n, k) => {
        let v = vecs[k].nullCount > 0 && !vecs[k].isValid(i) ? null : cols[k][i];
        if (typeof v === 'bigint' && !keepBig.includes(n)) v = Number(v);
        r[n] = v;
      });
      out.push(r);
    }
  }
  return out;
}

/**
 * kernel_gap losses by `${cpu}:${ts_end}` (the switch that revealed the gap): the switch the kernel did not
 * report goes at `at`, the analyzer's _switches rule: losses.resume_ts (when the task switched out at ts_end
 * arrived), or 1 ns after ts_start when that is unknown.
 */
export function kernelGaps(losses: Record<string, any>[]): Map<string, { tsStart: number; at: number }> {
  const out = new Map<string, { tsStart: number; at: number }>();
  for (const l of losses) {
    if (l.reason !== 'kernel_gap' || !(l.ts_end > l.ts_start + 1)) continue;
    const r = l.resume_ts;
    out.set(`${l.cpu}:${l.ts_end}`, { tsStart: l.ts_start, at: r != null && r > l.ts_start && r < l.ts_end ? r : l.ts_start + 1 });
  }
  return out;
}

/** The latest ts of any event table (the end of a capture whose recorder was killed). */
function lastEventTs(dir: string, manifest: Manifest, files: (t: string) => string[]): number {
  let end = manifest.start_ts;
  for (const k of EVENT_KINDS) {
    for (const f of files(k)) {
      for (const b of iterStreamFile(f)) {
        const ts = b.getChild('ts')?.toArray() as BigInt64Array | undefined;
        if (ts) for (const t of ts) if (Number(t) > end) end = Number(t);
      }
    }
  }
  return end;
}

export class ExportSource implements CaptureFiles {
  readonly manifest: Manifest;
  readonly model = new TaskModel();
  readonly snapshot: SnapshotRow[];
  readonly groups: Set<EventGroup>;
  readonly startTs: number;
  readonly endTs: number;
  readonly minTs: number;
  readonly maxTs: number;
  /** selected tgids, or null = everything */
  readonly selectedTgids: Set<number> | null;
  private selectedTids: Set<number> | null;
  /** damaged or cut table files, each with what is wrong (their complete batches were exported) */
  torn: string[] = [];
  /** one-line warnings about the capture (files the manifest does not list) */
  warnings: string[] = [];

  /** the files of a table (the manifest's list for a complete capture) */
  files(table: string): string[] {
    return captureTableFiles(this.dir, this.manifest, table, (w) => this.warnings.includes(w) || this.warnings.push(w));
  }

  constructor(readonly dir: string, readonly opts: ExportOptions) {
    this.manifest = readManifest(dir);
    this.startTs = this.manifest.start_ts;
    // as the analyzer: a capture whose recorder was killed ends at its last event
    this.endTs = this.manifest.end_ts ?? lastEventTs(dir, this.manifest, this.files.bind(this));
    const recorded = new Set(this.manifest.options?.events ?? EVENT_GROUPS);
    if (opts.events) {
      for (const g of opts.events)
        if (!recorded.has(g))
          throw new UsageError(`export --events: group '${g}' was not recorded in ${dir} (recorded: ${[...recorded].join(',')}); drop it from --events`, 'E_EXPORT_EVENTS');
    }
    this.groups = new Set(opts.events ?? [...recorded]);
    // every event lies in the capture's window: one outside it is damaged, and is not exported
    this.minTs = this.startTs + Math.max(0, opts.sinceNs ?? 0);
    this.maxTs = Math.min(this.endTs, opts.untilNs !== undefined ? this.startTs + opts.untilNs : Infinity);

    this.snapshot = smallTable(this, 'process_snapshot') as SnapshotRow[];
    const m = this.model;
    for (const r of this.snapshot) {
      m.setTgid(r.tid, r.tgid);
      m.comm.set(r.tid, r.comm);
      if (r.tid === r.tgid)
        m.processes.set(r.tgid, { pid: r.tgid, ppid: r.ppid, cmdline: r.cmdline, uid: r.uid, kernel: !!r.kernel_thread });
    }
    // First-known tgid/comm of tids that appear only later (fallbacks; the
    // live model is updated in time order during the merge).
    const firstComm = (tid: number, comm: string) => { if (!m.firstComm.has(tid) && comm) m.firstComm.set(tid, comm); };
    const firstTgid = (tid: number, tgid: number) => { if (!m.firstTgid.has(tid)) m.firstTgid.set(tid, tgid); };
    const commSeen = new Map<number, Set<string>>(); // tgid → comms of its threads over the capture
    const seen = (tgid: number, comm: string) => {
      let s = commSeen.get(tgid);
      if (!s) commSeen.set(tgid, (s = new Set()));
      s.add(comm);
    };
    for (const r of this.snapshot) seen(r.tgid, r.comm);
    for (const r of smallTable(this, 'task_ids')) firstTgid(r.tid, r.tgid);
    for (const r of smallTable(this, 'task_newtask')) { firstTgid(r.child_tid, r.child_tgid); firstComm(r.child_tid, r.comm); seen(r.child_tgid, r.comm); }
    for (const r of smallTable(this, 'task_exec')) { firstTgid(r.tid, r.tgid); firstComm(r.tid, r.comm); seen(r.tgid, r.comm); }
    for (const r of smallTable(this, 'task_rename')) { firstTgid(r.tid, r.tgid); firstComm(r.tid, r.oldcomm); seen(r.tgid, r.oldcomm); seen(r.tgid, r.newcomm); }
    for (const r of smallTable(this, 'task_exit')) { firstTgid(r.tid, r.tgid); firstComm(r.tid, r.comm); seen(r.tgid, r.comm); }
    for (const r of smallTable(this, 'task_free')) { firstTgid(r.tid, r.tgid); firstComm(r.tid, r.comm); }

    if (opts.pids?.length || opts.comms?.length) {
      const sel = new Set<number>();
      for (const p of opts.pids ?? []) {
        sel.add(p);
        const t = m.firstTgid.get(p);
        if (t !== undefined) sel.add(t);
      }
      if (opts.comms?.length) {
        const want = new Set(opts.comms);
        for (const [tgid, comms] of commSeen) for (const c of comms) if (want.has(c)) sel.add(tgid);
      }
      this.selectedTgids = sel;
      this.selectedTids = new Set(opts.pids ?? []);
    } else {
      this.selectedTgids = null;
      this.selectedTids = null;
    }
  }

  /** Is this thread part of the selection (always true without --pid/--comm)? Idle (0) never is when filtering. */
  selected(tid: number): boolean {
    if (!this.selectedTgids) return true;
    if (tid === 0) return false;
    if (this.selectedTids!.has(tid)) return true;
    const tgid = this.model.tgidOf(tid);
    return tgid !== undefined && this.selectedTgids.has(tgid);
  }

  get filtered(): boolean {
    return this.selectedTgids !== null;
  }

  /**
   * Stream every kept event in time order. Task events update the model
   * AFTER the handler ran (the handler sees the state before the event).
   */
  run(handler: Handler, observe?: Handler): number {
    const cursors: TableCursor[] = [];
    for (const k of EVENT_KINDS) {
      const g = GROUP[k];
      if (g !== null && !this.groups.has(g)) continue;
      cursors.push(new TableCursor(this.files(k), k, this.minTs, this.maxTs));
    }
    // task tables are needed for the model even when the task group is not exported
    const modelOnly = new Set<EventKind>();
    if (!this.groups.has('task')) {
      for (const k of ['task_newtask', 'task_exec', 'task_rename'] as EventKind[]) {
        cursors.push(new TableCursor(this.files(k), k, -Infinity, this.maxTs));
        modelOnly.add(k);
      }
    }
    const m = this.model;
    const nc = cursors.length;
    let count = 0;
    for (;;) {
      let best: TableCursor | null = null;
      let bestTs = Infinity;
      for (let k = 0; k < nc; k++) {
        const c = cursors[k];
        if (c.ts < bestTs) { bestTs = c.ts; best = c; }
      }
      if (!best) break;
      const c = best.cols;
      const i = best.row;
      const kind = best.kind;
      if (observe && !modelOnly.has(kind)) observe(kind, c, i, bestTs);
      if (!modelOnly.has(kind) && this.keep(kind, c, i)) {
        handler(kind, c, i, bestTs);
        count++;
      }
      // model updates
      switch (kind) {
        case 'task_ids': m.setTgid(c.tid[i], c.tgid[i]); break;
        case 'task_newtask': {
          const child = c.child_tid[i], tgid = c.child_tgid[i];
          m.setTgid(child, tgid);
          m.comm.set(child, c.comm[i]);
          if (child === tgid && !m.processes.has(tgid))
            m.processes.set(tgid, { pid: tgid, ppid: c.parent_tgid[i], cmdline: '', uid: m.processes.get(c.parent_tgid[i])?.uid, kernel: false });
          else if (child === tgid) {
            const p = m.processes.get(tgid)!;
            p.ppid = c.parent_tgid[i];
          }
          break;
        }
        case 'task_exec': {
          const tid = c.tid[i];
          m.setTgid(tid, c.tgid[i]);
          m.comm.set(tid, c.comm[i]);
          const p = m.processes.get(c.tgid[i]);
          if (p) p.cmdline = c.filename[i];
          else m.processes.set(c.tgid[i], { pid: c.tgid[i], ppid: undefined, cmdline: c.filename[i], uid: undefined, kernel: false });
          break;
        }
        case 'task_rename': m.comm.set(c.tid[i], c.newcomm[i]); break;
        default: break;
      }
      best.loadNext();
    }
    for (const c of cursors) this.torn.push(...c.torn);
    return count;
  }

  private keep(kind: EventKind, c: Cols, i: number): boolean {
    if (!this.selectedTgids) return true;
    switch (kind) {
      case 'sched_switch': return this.selected(c.prev_tid[i]) || this.selected(c.next_tid[i]);
      case 'task_newtask': return this.selected(c.parent_tid[i]) || this.selectedTgids.has(c.child_tgid[i]);
      case 'task_ids': return true;
      default: return this.selected(c.tid[i]);
    }
  }
}

/** Kernel symbolization: floor lookup of an address in the capture's kallsyms table. */
export class Symbolizer {
  private addrs: BigUint64Array;
  private names: string[];
  constructor(cap: CaptureFiles) {
    const rows = smallTable(cap, 'kallsyms', ['addr']);
    rows.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    this.addrs = BigUint64Array.from(rows.map((r) => r.addr as bigint));
    this.names = rows.map((r) => (r.module ? `${r.name} [${r.module}]` : r.name));
  }
  get size(): number {
    return this.addrs.length;
  }
  get minAddr(): bigint { return this.addrs.length ? this.addrs[0] : 0n; }
  get maxAddr(): bigint { return this.addrs.length ? this.addrs[this.addrs.length - 1] : 0n; }
  /** symbol containing addr (largest symbol start <= addr), or null */
  lookup(addr: bigint): { name: string; offset: bigint } | null {
    const a = this.addrs;
    let lo = 0, hi = a.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid] <= addr) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0) return null;
    return { name: this.names[found], offset: addr - a[found] };
  }
  /** "name+0xoff" or the raw hex address */
  format(addr: bigint): string {
    const s = this.lookup(addr);
    if (!s) return `0x${addr.toString(16)}`;
    return s.offset === 0n ? s.name : `${s.name}+0x${s.offset.toString(16)}`;
  }
}

/** symbols of the tracing machinery that sit on top of every recorded stack */
const PROBE_FRAME = /^(bpf_prog_|bpf_trace_run|__bpf_trace_|__traceiter_|bpf_)/;

/**
 * Frames of an allocation's kernel stack, innermost first, without the
 * BPF/tracepoint frames on top; the call site alone when there is no stack.
 */
export function allocFrames(a: { stackId: number; callSite: bigint }, stacks: Map<number, bigint[]>, sym: Symbolizer): bigint[] {
  const s = a.stackId >= 0 ? stacks.get(a.stackId)?.filter((x) => x !== undefined) : undefined;
  if (!s || !s.length) return [a.callSite];
  let k = 0;
  while (k < s.length - 1 && PROBE_FRAME.test(sym.lookup(s[k])?.name ?? '')) k++;
  return s.slice(k);
}

/** kernel stacks by stack_id, frames innermost first */
export function readStacks(cap: CaptureFiles): Map<number, bigint[]> {
  const out = new Map<number, bigint[]>();
  for (const b of readSmall(cap, 'stacks')) {
    const id = col<Int32Array>(b, 'stack_id'), depth = col<Uint16Array>(b, 'depth'), ip = col<BigUint64Array>(b, 'ip');
    for (let i = 0; i < b.numRows; i++) {
      let s = out.get(id[i]);
      if (!s) out.set(id[i], (s = []));
      s[depth[i]] = ip[i];
    }
  }
  return out;
}

export interface LiveAlloc {
  ts: number; tid: number; cpu: number; cache: number; ptr: bigint; callSite: bigint;
  bytesReq: number; bytesAlloc: number; stackId: number;
}

/** Allocations not freed by the end of the capture (window), in allocation order. */
export class LeakTracker {
  private live = new Map<bigint, LiveAlloc>();
  alloc(c: Cols, i: number, ts: number): void {
    const ptr = c.ptr[i] as bigint;
    if (ptr === 0n) return;
    this.live.set(ptr, {
      ts, tid: c.tid[i], cpu: c.cpu[i], cache: c.cache[i], ptr, callSite: c.call_site[i],
      bytesReq: c.bytes_req[i], bytesAlloc: c.bytes_alloc[i], stackId: c.stack_id[i],
    });
  }
  free(c: Cols, i: number): void {
    this.live.delete(c.ptr[i] as bigint);
  }
  outstanding(): LiveAlloc[] {
    return [...this.live.values()].sort((a, b) => a.ts - b.ts);
  }
}

/** Linux task state letters of sched_switch.prev_state (as ftrace prints them). */
export function prevStateLetter(s: number): string {
  if (s & 0x100) return 'R+';
  if (s === 0) return 'R';
  const letters = 'SDTtXZPI';
  let out = '';
  for (let b = 0; b < letters.length; b++) if (s & (1 << b)) out += letters[b];
  return out || `0x${s.toString(16)}`;
}
