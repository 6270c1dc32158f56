/**
 * `ktape export --chrome`: a capture → Chrome Trace Event Format JSON
 * (object form, {"traceEvents": [...]}) for chrome://tracing and the
 * Perfetto UI's JSON importer. Written as a stream, one event per line.
 *
 * Layout (ts/dur in µs with ns decimals, CLOCK_BOOTTIME):
 *  - real processes (pid = tgid) and threads (tid): one "X" per running
 *    interval named after the thread's comm, args {cpu, end_state};
 *    instants for fork, exec and exit; the thread's syscalls as "X" events on
 *    a companion lane (tid = SYSCALL_TID_BASE + tid, named "<comm> syscalls")
 *    because a syscall that blocks overlaps two running intervals and X
 *    events on one lane must nest;
 *  - one synthetic process per CPU (pid = CPU_PID_BASE + cpu; real pids are
 *    < 2^22 = PID_MAX_LIMIT so they never collide): the running intervals of
 *    that CPU and a "utilization" counter (busy % per UTIL_BUCKET_NS);
 *  - a "ktape: lost events" process with the loss windows and a
 *    "ktape: kmem outstanding at end" process with the allocations not freed
 *    by the end (kmem group), each with its kernel stack;
 *  - metadata: process_name, thread_name, process_sort_index (CPUs first),
 *    thread_sort_index.
 */
import { ExportSource, LeakTracker, Symbolizer, allocFrames, kernelGaps, prevStateLetter, readStacks, smallTable, type Cols, type EventKind, type ExportOptions } from './capture.js';
import { FileSink } from './output.js';
import { SYSCALL_NAMES } from '../analyze/gen/syscalls.gen.js';

export const PID_MAX_LIMIT = 1 << 22;
export const CPU_PID_BASE = PID_MAX_LIMIT;
export const LOSS_PID = PID_MAX_LIMIT + 65536;
export const LEAK_PID = PID_MAX_LIMIT + 65537;
export const SYSCALL_TID_BASE = PID_MAX_LIMIT;
export const UTIL_BUCKET_NS = 10_000_000;
/** runs of buckets with one value longer than this (10 s) are written as their first and last bucket */
const UTIL_RUN_MAX = 1000;
/** the old trace viewer cannot load JSON much larger than this */
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

/** ns since boot → JSON µs with 3 decimals (exact to the ns) */
const us = (ns: number) => {
  const s = String(Math.trunc(ns / 1000));
  const r = ns % 1000;
  return r === 0 ? s : `${s}.${String(r).padStart(3, '0').replace(/0+$/, '')}`;
};

interface CpuState {
  tid: number;
  since: number;
  bucket: number;
  busy: number;
}

export function exportChrome(captureDir: string, outPath: string, opts: ExportOptions = {}, warn: (msg: string) => void = () => {}): ChromeResult {
  const src = new ExportSource(captureDir, opts);
  const m = src.model;
  const sink = new FileSink(outPath, opts.onProgress);
  const names = SYSCALL_NAMES[src.manifest.host.machine] ?? {};
  let n = 0;
  let warned = false;
  const emit = (json: string) => {
    sink.writeString(n === 0 ? `\n${json}` : `,\n${json}`);
    n++;
    if (!warned && sink.bytes > WARN_BYTES) {
      warned = true;
      warn(`${outPath} passed ${WARN_BYTES / (1024 * 1024)} MB; chrome://tracing cannot load files this large — narrow the window with --since/--until, or use --perfetto`);
    }
  };
  sink.writeString('{"displayTimeUnit":"ns","traceEvents":[');

  const threadsSeen = new Map<number, number>(); // tid → tgid (pid used in the JSON)
  const syscallLanes = new Set<number>();
  const pidOf = (tid: number) => {
    let p = threadsSeen.get(tid);
    if (p === undefined) {
      p = m.tgidOf(tid) ?? tid;
      threadsSeen.set(tid, p);
    }
    return p;
  };
  const losses = smallTable(src, 'losses');
  const gaps = kernelGaps(losses);
  const cpus = new Map<number, CpuState>();
  const util = (cpu: number, bucket: number, busy: number) => {
    const pct = Math.round((busy / UTIL_BUCKET_NS) * 10000) / 100;
    emit(`{"ph":"C","name":"utilization","pid":${CPU_PID_BASE + cpu},"ts":${us(bucket * UTIL_BUCKET_NS)},"args":{"busy %":${pct}}}`);
  };
  /**
   * `count` buckets from st.bucket on, each `busy` ns busy. A run longer than UTIL_RUN_MAX buckets is
   * written as its first and last bucket (a counter holds its value), so the output grows with the
   * events, not with the time between them (a damaged ts can be centuries away).
   */
  const run = (cpu: number, st: CpuState, count: number, busy: number) => {
    if (count > UTIL_RUN_MAX) {
      util(cpu, st.bucket, busy);
      util(cpu, st.bucket + count - 1, busy);
    } else for (let k = 0; k < count; k++) util(cpu, st.bucket + k, busy);
    st.bucket += count;
  };
  /** emit every completed bucket before upTo (the current one, then idle ones) */
  const utilFlush = (cpu: number, st: CpuState, upTo: number) => {
    const last = Math.floor(upTo / UTIL_BUCKET_NS);
    if (st.bucket >= last) return;
    util(cpu, st.bucket++, st.busy);
    st.busy = 0;
    run(cpu, st, last - st.bucket, 0);
  };
  /** [from, to) busy: fills the current bucket, whole buckets, then part of the last */
  const addBusy = (cpu: number, st: CpuState, from: number, to: number) => {
    utilFlush(cpu, st, from);
    const t = Math.max(from, st.bucket * UTIL_BUCKET_NS);
    const bEnd = (st.bucket + 1) * UTIL_BUCKET_NS;
    if (to <= bEnd) {
      if (to > t) st.busy += to - t;
      return;
    }
    util(cpu, st.bucket++, st.busy + (bEnd - t));
    st.busy = 0;
    run(cpu, st, Math.floor(to / UTIL_BUCKET_NS) - st.bucket, UTIL_BUCKET_NS);
    st.busy = to - st.bucket * UTIL_BUCKET_NS;
  };

  const pendingSys = new Map<number, { ts: number; nr: number; a0: bigint; a1: bigint; a2: bigint }>();
  const leaks = src.groups.has('kmem') ? new LeakTracker() : null;

  // CPU lanes and utilization follow every switch, also those of tasks
  // filtered out. Slices match the analyzer's sched_slices: the task switched
  // in runs until the next switch on that CPU; the first slice starts at the
  // capture (window) start and the last one ends at its end ("clipped").
  const winStart = Math.max(src.startTs, src.minTs);
  const winEnd = Math.min(src.endTs, src.maxTs);
  const slice = (cpu: number, st: CpuState, tid: number, from: number, to: number, endState: string | null, clipped: boolean) => {
    if (tid === 0 || to <= from) return;
    if (src.selected(tid)) {
      const comm = JSON.stringify(m.commOf(tid, cpu));
      const pid = pidOf(tid);
      const extra = `${endState ? `,"end_state":"${endState}"` : ''}${clipped ? ',"clipped":true' : ''}`;
      emit(`{"ph":"X","cat":"sched","name":${comm},"pid":${pid},"tid":${tid},"ts":${us(from)},"dur":${us(to - from)},"args":{"cpu":${cpu}${extra}}}`);
      emit(`{"ph":"X","cat":"cpu","name":${comm},"pid":${CPU_PID_BASE + cpu},"tid":${cpu},"ts":${us(from)},"dur":${us(to - from)},"args":{"tid":${tid},"pid":${pid}${extra}}}`);
    }
    addBusy(cpu, st, from, to);
  };
  const onSwitch = (c: Cols, i: number, ts: number) => {
    const cpu = c.cpu[i] as number;
    const prev = c.prev_tid[i], next = c.next_tid[i];
    const endState = prevStateLetter(c.prev_state[i]);
    let st = cpus.get(cpu);
    if (!st) {
      st = { tid: next, since: ts, bucket: Math.floor(winStart / UTIL_BUCKET_NS), busy: 0 };
      cpus.set(cpu, st);
      slice(cpu, st, prev, winStart, ts, endState, true);
    } else {
      if (st.tid === prev) slice(cpu, st, prev, st.since, ts, endState, false);
      else {
        // the kernel did not report a switch (a 'kernel_gap' loss): as in the analyzer, the
        // hidden task st.tid ran until `prev` arrived (resume_ts), or, when that is unknown, until
        // an inferred switch 1 ns later; then `prev` until now
        const at = gaps.get(`${cpu}:${ts}`)?.at ?? st.since + 1;
        slice(cpu, st, st.tid, st.since, at, null, false);
        slice(cpu, st, prev, at, ts, endState, false);
      }
    }
    utilFlush(cpu, st, ts);
    st.tid = next;
    st.since = ts;
  };

  const onEvent = (kind: EventKind, c: Cols, i: number, ts: number) => {
    switch (kind) {
      case 'syscall_enter': {
        const tid = c.tid[i];
        pendingSys.set(tid, { ts, nr: c.nr[i], a0: c.arg0[i], a1: c.arg1[i], a2: c.arg2[i] });
        return;
      }
      case 'syscall_exit': {
        const tid = c.tid[i];
        const e = pendingSys.get(tid);
        if (!e) return; // entered before the capture (window) started
        pendingSys.delete(tid);
        const name = names[e.nr] ?? `sys_${e.nr}`;
        const pid = pidOf(tid);
        syscallLanes.add(tid);
        emit(`{"ph":"X","cat":"syscall","name":"${name}","pid":${pid},"tid":${SYSCALL_TID_BASE + tid},"ts":${us(e.ts)},"dur":${us(ts - e.ts)},"args":{"nr":${e.nr},"ret":${c.ret[i]},"arg0":"0x${e.a0.toString(16)}","arg1":"0x${e.a1.toString(16)}","arg2":"0x${e.a2.toString(16)}"}}`);
        return;
      }
      case 'task_newtask': {
        const parent = c.parent_tid[i];
        const flags = c.clone_flags[i] as bigint;
        const what = flags & 0x10000n ? 'clone thread' : 'fork';
        emit(`{"ph":"i","s":"t","cat":"task","name":"${what} ${c.child_tid[i]}","pid":${pidOf(parent)},"tid":${parent},"ts":${us(ts)},"args":{"child_tid":${c.child_tid[i]},"child_pid":${c.child_tgid[i]},"comm":${JSON.stringify(c.comm[i])},"clone_flags":"0x${flags.toString(16)}"}}`);
        return;
      }
      case 'task_exec': {
        const tid = c.tid[i];
        threadsSeen.set(tid, c.tgid[i]);
        emit(`{"ph":"i","s":"t","cat":"task","name":${JSON.stringify(`exec ${c.filename[i]}`)},"pid":${c.tgid[i]},"tid":${tid},"ts":${us(ts)},"args":{"filename":${JSON.stringify(c.filename[i])},"comm":${JSON.stringify(c.comm[i])},"old_tid":${c.old_tid[i]}}}`);
        return;
      }
      case 'task_exit': {
        const tid = c.tid[i];
        const code = c.exit_code[i] as number;
        emit(`{"ph":"i","s":"t","cat":"task","name":"exit","pid":${pidOf(tid)},"tid":${tid},"ts":${us(ts)},"args":{"exit_status":${code >> 8},"signal":${code & 0x7f},"group_dead":${c.group_dead[i]},"comm":${JSON.stringify(c.comm[i])}}}`);
        return;
      }
      case 'kmem_alloc': leaks?.alloc(c, i, ts); return;
      default: return;
    }
  };
  const observe = (kind: EventKind, c: Cols, i: number, ts: number) => {
    if (kind === 'sched_switch') onSwitch(c, i, ts);
    else if (kind === 'kmem_free') leaks?.free(c, i);
  };
  const events = src.run(onEvent, observe);
  for (const [cpu, st] of cpus) {
    slice(cpu, st, st.tid, st.since, winEnd, null, true);
    utilFlush(cpu, st, winEnd);
  }

  // losses
  for (const l of losses)
    emit(`{"ph":"X","cat":"loss","name":"lost ${l.count} ${l.kind} (${l.reason})","pid":${LOSS_PID},"tid":${l.cpu},"ts":${us(l.ts_start)},"dur":${us(Math.max(0, l.ts_end - l.ts_start))},"args":{"count":${l.count},"kind":${JSON.stringify(l.kind)},"cpu":${l.cpu},"reason":${JSON.stringify(l.reason)}}}`);

  // outstanding allocations
  let leakCount = 0;
  if (leaks) {
    const live = leaks.outstanding().filter((a) => !src.filtered || src.selected(a.tid));
    leakCount = live.length;
    if (live.length) {
      const sym = new Symbolizer(src);
      const stacks = readStacks(src);
      for (const a of live) {
        const ips = allocFrames(a, stacks, sym);
        const site = sym.format(a.callSite);
        emit(`{"ph":"i","s":"t","cat":"kmem","name":${JSON.stringify(`${a.bytesAlloc} B @ ${site}`)},"pid":${LEAK_PID},"tid":0,"ts":${us(a.ts)},"args":{"ptr":"0x${a.ptr.toString(16)}","bytes_alloc":${a.bytesAlloc},"bytes_req":${a.bytesReq},"tid":${a.tid},"comm":${JSON.stringify(m.commOf(a.tid))},"stack":${JSON.stringify(ips.map((ip) => sym.format(ip)))}}}`);
      }
    }
  }

  // metadata
  const meta = (name: string, pid: number, tid: number | null, args: string) =>
    emit(`{"ph":"M","name":"${name}","pid":${pid}${tid === null ? '' : `,"tid":${tid}`},"args":${args}}`);
  for (const cpu of [...cpus.keys()].sort((a, b) => a - b)) {
    meta('process_name', CPU_PID_BASE + cpu, null, `{"name":"CPU ${cpu}"}`);
    meta('process_sort_index', CPU_PID_BASE + cpu, null, `{"sort_index":${-100000 + cpu}}`);
    meta('thread_name', CPU_PID_BASE + cpu, cpu, `{"name":"CPU ${cpu}"}`);
  }
  if (losses.length) {
    meta('process_name', LOSS_PID, null, '{"name":"ktape: lost events"}');
    meta('process_sort_index', LOSS_PID, null, '{"sort_index":-200000}');
  }
  if (leakCount) {
    meta('process_name', LEAK_PID, null, '{"name":"ktape: kmem outstanding at end"}');
    meta('process_sort_index', LEAK_PID, null, '{"sort_index":-50000}');
  }
  const pids = new Set<number>(threadsSeen.values());
  for (const pid of [...pids].sort((a, b) => a - b)) {
    const p = m.processes.get(pid);
    const pname = m.commOf(pid) || (p?.cmdline ?? '').split(' ')[0] || `pid ${pid}`;
    meta('process_name', pid, null, JSON.stringify({ name: pname }));
    meta('process_sort_index', pid, null, `{"sort_index":${pid}}`);
    if (p?.cmdline) meta('process_labels', pid, null, JSON.stringify({ labels: p.cmdline }));
  }
  for (const [tid, pid] of [...threadsSeen].sort((a, b) => a[0] - b[0])) {
    const comm = m.commOf(tid) || `tid ${tid}`;
    meta('thread_name', pid, tid, JSON.stringify({ name: comm }));
    meta('thread_sort_index', pid, tid, `{"sort_index":${tid * 2}}`);
    if (syscallLanes.has(tid)) {
      meta('thread_name', pid, SYSCALL_TID_BASE + tid, JSON.stringify({ name: `${comm} syscalls` }));
      meta('thread_sort_index', pid, SYSCALL_TID_BASE + tid, `{"sort_index":${tid * 2 + 1}}`);
    }
  }
  const info = { ktape_capture: src.manifest.host.hostname, kernel: src.manifest.host.kernel_release, machine: src.manifest.host.machine, clock: 'CLOCK_BOOTTIME' };
  sink.writeString(`\n],"metadata":${JSON.stringify(info)}}\n`);
  sink.close();
  return { events, traceEvents: n, bytes: sink.bytes, torn: src.torn, warnings: src.warnings };
}
