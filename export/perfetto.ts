/**
 * `ktape export --perfetto`: a capture → a Perfetto protobuf trace.
 *
 * Layout of the output (a stream of length-delimited Trace.packet fields):
 *  1. SystemInfo (utsname) — exactly one;
 *  2. ClockSnapshot per clock anchor (BOOTTIME primary, MONOTONIC, REALTIME);
 *  3. ProcessTree of the /proc snapshot; later a small ProcessTree packet
 *     for each task just before the first event that references it;
 *  4. TrackDescriptors for ktape's own tracks (loss windows, kmem leaks);
 *  5. FtraceEventBundles, one CPU each, ≤ BUNDLE_EVENTS events, sorted by
 *     time within the bundle; sched_switch/sched_waking as CompactSched
 *     (plain events with --no-compact, and for a switch whose prev task is
 *     not the previous switch's next task on that CPU);
 *  6. at the end: FtraceStats (END_OF_TRACE, dropped events per CPU), loss
 *     windows and outstanding allocations (TrackEvents with interned kernel
 *     callstacks) on sequence 2.
 *
 * Small one-off packets are built with the generated message types and
 * toBinary. The per-event hot path writes FtraceEvents with BinaryWriter,
 * using the field numbers read from the same generated descriptors (so the
 * .proto stays the single source of field numbers); test/unit checks both
 * paths decode identically.
 */
import { iterTable } from '../formats/reader.js';
import { create, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import * as pb from '../formats/perfetto/gen/ktape_perfetto_pb.js';
import {
  ExportSource, LeakTracker, Symbolizer, allocFrames, kernelGaps, readStacks, smallTable, type Cols, type EventKind, type ExportOptions,
  type CaptureFiles,
} from './capture.js';
import { FileSink } from './output.js';

/** events per FtraceEventBundle before it is flushed */
export const BUNDLE_EVENTS = 2048;
const SEQ_FTRACE = 1;
const SEQ_TRACK = 2;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;

/** field numbers of a generated message, by proto field name */
function fieldNumbers(d: DescMessage): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of d.fields) out[f.name] = f.number;
  return out;
}
const F = {
  trace: fieldNumbers(pb.TraceSchema),
  packet: fieldNumbers(pb.TracePacketSchema),
  bundle: fieldNumbers(pb.FtraceEventBundleSchema),
  compact: fieldNumbers(pb.FtraceEventBundle_CompactSchedSchema),
  ev: fieldNumbers(pb.FtraceEventSchema),
  sw: fieldNumbers(pb.SchedSwitchFtraceEventSchema),
  wk: fieldNumbers(pb.SchedWakingFtraceEventSchema),
  wn: fieldNumbers(pb.SchedWakeupNewFtraceEventSchema),
  nt: fieldNumbers(pb.TaskNewtaskFtraceEventSchema),
  rn: fieldNumbers(pb.TaskRenameFtraceEventSchema),
  ex: fieldNumbers(pb.SchedProcessExecFtraceEventSchema),
  pe: fieldNumbers(pb.SchedProcessExitFtraceEventSchema),
  pf: fieldNumbers(pb.SchedProcessFreeFtraceEventSchema),
  se: fieldNumbers(pb.SysEnterFtraceEventSchema),
  sx: fieldNumbers(pb.SysExitFtraceEventSchema),
  km: fieldNumbers(pb.KmallocFtraceEventSchema),
  kf: fieldNumbers(pb.KfreeFtraceEventSchema),
  kca: fieldNumbers(pb.KmemCacheAllocFtraceEventSchema),
  kcf: fieldNumbers(pb.KmemCacheFreeFtraceEventSchema),
};
const V = WireType.Varint;
const L = WireType.LengthDelimited;

// Varint fast paths for the per-event encoder. BinaryWriter.uint64/int64 go
// through a generic 64-bit conversion that dominated the profile; these write
// the same bytes from a number (ts) or from the two 32-bit halves of an Arrow
// (Big)Int64 column value without creating a bigint.
const scratch = new Uint8Array(10);
const views = Array.from({ length: 11 }, (_, n) => scratch.subarray(0, n));
/** varint of the 64-bit value hi:lo (two's complement for negatives) */
export function writeVarint64(w: BinaryWriter, lo: number, hi: number): BinaryWriter {
  if (hi === 0) return w.uint32(lo >>> 0);
  let n = 0;
  for (let k = 0; k < 4; k++) {
    scratch[n++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  const b = (lo & 0x0f) | ((hi & 0x7) << 4);
  hi >>>= 3;
  if (hi === 0) scratch[n++] = b;
  else {
    scratch[n++] = b | 0x80;
    while (hi > 0x7f) {
      scratch[n++] = (hi & 0x7f) | 0x80;
      hi >>>= 7;
    }
    scratch[n++] = hi;
  }
  return w.raw(views[n]);
}
/** varint of a non-negative safe integer */
export function writeU64(w: BinaryWriter, v: number): BinaryWriter {
  if (v < 0x80000000) return w.uint32(v);
  return writeVarint64(w, v >>> 0, Math.floor(v / 4294967296));
}

interface CpuBuffer {
  cpu: number;
  /** the bundle's FtraceEvents, already framed as FtraceEventBundle.event fields */
  w: BinaryWriter;
  lastEvTs: number;
  lastSwTs: number;
  lastWkTs: number;
  swTs: number[]; swState: number[]; swNext: number[]; swPrio: number[]; swComm: number[];
  wkTs: number[]; wkPid: number[]; wkCpu: number[]; wkPrio: number[]; wkComm: number[];
  intern: Map<string, number>;
  count: number;
  lost: boolean;
  /** next_tid of the last sched_switch emitted on this CPU (CompactSched's implied prev) */
  lastNext: number | undefined;
  /** a kernel_gap switch (hidden -> tid) still to be written at `at` */
  gap?: { at: number; hidden: number; hiddenComm: string; hiddenPrio: number; tid: number; prio: number };
}

export interface PerfettoResult {
  events: number;
  packets: number;
  bytes: number;
  outstandingAllocs: number;
  /** damaged or cut table files, with what is wrong */
  torn: string[];
  /** other one-line warnings about the capture */
  warnings: string[];
}

export function exportPerfetto(captureDir: string, outPath: string, opts: ExportOptions = {}): PerfettoResult {
  const src = new ExportSource(captureDir, opts);
  const compact = opts.compact ?? true;
  const m = src.model;
  const sink = new FileSink(outPath, opts.onProgress);
  let packets = 0;
  const tw = new BinaryWriter();

  const writePacketBytes = (bin: Uint8Array) => {
    tw.tag(F.trace.packet, L).bytes(bin);
    sink.write(tw.finish());
    packets++;
  };
  const writePacket = (init: Parameters<typeof create<typeof pb.TracePacketSchema>>[1]) => {
    writePacketBytes(toBinary(pb.TracePacketSchema, create(pb.TracePacketSchema, init)));
  };

  // 1. SystemInfo
  const host = src.manifest.host;
  writePacket({
    optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_FTRACE },
    data: {
      case: 'systemInfo',
      value: {
        utsname: { sysname: 'Linux', release: host.kernel_release, version: host.kernel_version, machine: host.machine },
        pageSize: host.page_size,
        numCpus: host.cpus,
        hz: BigInt(host.clk_tck),
      },
    },
  });

  // 2. ClockSnapshots
  for (const a of smallTable(src, 'clock_anchors', ['boottime_ns', 'monotonic_ns', 'realtime_ns'])) {
    writePacket({
      optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_FTRACE },
      data: {
        case: 'clockSnapshot',
        value: {
          clocks: [
            { clockId: pb.BuiltinClock.BOOTTIME, timestamp: BigInt(a.boottime_ns) },
            { clockId: pb.BuiltinClock.MONOTONIC, timestamp: BigInt(a.monotonic_ns) },
            { clockId: pb.BuiltinClock.REALTIME, timestamp: BigInt(a.realtime_ns) },
          ],
          primaryTraceClock: pb.BuiltinClock.BOOTTIME,
        },
      },
    });
  }

  // 3. ProcessTree of the snapshot
  const declared = new Set<number>();
  const declaredProc = new Set<number>();
  const procMsg = (tgid: number): pb.ProcessTree_Process | null => {
    const p = m.processes.get(tgid);
    declaredProc.add(tgid);
    if (!p) return create(pb.ProcessTree_ProcessSchema, { pid: tgid });
    return create(pb.ProcessTree_ProcessSchema, {
      pid: tgid,
      ppid: p.ppid,
      cmdline: p.cmdline ? p.cmdline.split(' ').filter((x) => x !== '') : [],
      uid: p.uid,
    });
  };
  {
    const rows = src.snapshot.filter((r) => !src.filtered || src.selected(r.tid));
    if (rows.length) {
      const processes: pb.ProcessTree_Process[] = [];
      const threads: pb.ProcessTree_Thread[] = [];
      for (const r of rows) {
        if (r.tid === r.tgid) processes.push(procMsg(r.tgid)!);
        threads.push(create(pb.ProcessTree_ThreadSchema, { tid: r.tid, tgid: r.tgid, name: r.comm }));
        declared.add(r.tid);
      }
      writePacket({
        timestamp: BigInt(rows[0].ts),
        optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_FTRACE },
        data: { case: 'processTree', value: { processes, threads, collectionEndTimestamp: BigInt(rows[0].ts) } },
      });
    }
  }
  /** Emit a ProcessTree packet for a task not declared yet (before the event that references it is written). */
  const declare = (tid: number, ts: number) => {
    if (tid <= 0 || declared.has(tid)) return;
    declared.add(tid);
    const tgid = m.tgidOf(tid);
    const processes: pb.ProcessTree_Process[] = [];
    if (tgid !== undefined && !declaredProc.has(tgid)) processes.push(procMsg(tgid)!);
    const name = m.commOf(tid);
    writePacket({
      timestamp: BigInt(Math.max(0, ts)),
      optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_FTRACE },
      data: {
        case: 'processTree',
        value: { processes, threads: [create(pb.ProcessTree_ThreadSchema, { tid, tgid, name: name || undefined })] },
      },
    });
  };

  // 4. ktape's own tracks (sequence 2)
  const losses = smallTable(src, 'losses');
  // kernel_gap losses: the kernel did not report the switch out of the task a switch at ts_start put
  // on the CPU. As in the analyzer, an inferred switch (hidden task -> the task switched out at ts_end)
  // is written at resume_ts (when that task arrived), or 1 ns after ts_start when that is unknown. Its
  // next task is found by one pass over the switches.
  const gapNext = kernelGapSwitches(src, losses);
  const LOSS_TRACK = 1n, LEAK_TRACK = 2n;
  let seq2Started = false;
  const seq2Flags = () => {
    if (seq2Started) return SEQ_NEEDS_INCREMENTAL_STATE;
    seq2Started = true;
    return SEQ_INCREMENTAL_STATE_CLEARED;
  };
  const kmemOn = src.groups.has('kmem');
  if (losses.length) {
    writePacket({
      optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_TRACK },
      data: { case: 'trackDescriptor', value: { uuid: LOSS_TRACK, staticOrDynamicName: { case: 'name', value: 'ktape: lost events' }, description: 'Windows in which the recorder dropped events (ring buffer full). Data on other tracks is incomplete there.' } },
    });
  }
  if (kmemOn) {
    writePacket({
      optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_TRACK },
      data: { case: 'trackDescriptor', value: { uuid: LEAK_TRACK, staticOrDynamicName: { case: 'name', value: 'ktape: kmem outstanding at end' }, description: 'Slab allocations still not freed when the capture ended, at their allocation time, with the allocating kernel stack.' } },
    });
  }

  // 5. ftrace bundles
  const cpus = new Map<number, CpuBuffer>();
  const lossByCpu = new Map<number, number[]>(); // pending loss window starts per CPU
  for (const l of losses) {
    let a = lossByCpu.get(l.cpu);
    if (!a) lossByCpu.set(l.cpu, (a = []));
    a.push(l.ts_start);
  }
  for (const a of lossByCpu.values()) a.sort((x, y) => x - y);
  const buf = (cpu: number): CpuBuffer => {
    let b = cpus.get(cpu);
    if (!b) {
      b = {
        cpu, w: new BinaryWriter(), lastEvTs: -Infinity, lastSwTs: -Infinity, lastWkTs: -Infinity,
        swTs: [], swState: [], swNext: [], swPrio: [], swComm: [],
        wkTs: [], wkPid: [], wkCpu: [], wkPrio: [], wkComm: [],
        intern: new Map(), count: 0, lost: false, lastNext: undefined,
      };
      cpus.set(cpu, b);
    }
    return b;
  };
  const flush = (b: CpuBuffer) => {
    if (b.count === 0) return;
    tw.tag(F.trace.packet, L).fork();
    tw.tag(F.packet.trusted_packet_sequence_id, V).uint32(SEQ_FTRACE);
    tw.tag(F.packet.ftrace_events, L).fork();
    tw.tag(F.bundle.cpu, V).uint32(b.cpu);
    tw.raw(b.w.finish());
    if (b.lost) tw.tag(F.bundle.lost_events, V).bool(true);
    if (b.swTs.length || b.wkTs.length) {
      tw.tag(F.bundle.compact_sched, L).fork();
      for (const s of b.intern.keys()) tw.tag(F.compact.intern_table, L).string(s);
      const packed = (field: number, a: number[], kind: 'u64' | 'i64' | 'i32' | 'u32', delta = false) => {
        if (!a.length) return;
        tw.tag(field, L).fork();
        let prev = 0;
        for (let k = 0; k < a.length; k++) {
          const v = delta ? a[k] - prev : a[k];
          prev = a[k];
          if (kind === 'u64') writeU64(tw, v);
          else if (kind === 'i64') tw.int32(v);
          else if (kind === 'i32') tw.int32(v);
          else tw.uint32(v);
        }
        tw.join();
      };
      packed(F.compact.switch_timestamp, b.swTs, 'u64', true);
      packed(F.compact.switch_prev_state, b.swState, 'i64');
      packed(F.compact.switch_next_pid, b.swNext, 'i32');
      packed(F.compact.switch_next_prio, b.swPrio, 'i32');
      packed(F.compact.switch_next_comm_index, b.swComm, 'u32');
      packed(F.compact.waking_timestamp, b.wkTs, 'u64', true);
      packed(F.compact.waking_pid, b.wkPid, 'i32');
      packed(F.compact.waking_target_cpu, b.wkCpu, 'i32');
      packed(F.compact.waking_prio, b.wkPrio, 'i32');
      packed(F.compact.waking_comm_index, b.wkComm, 'u32');
      tw.join();
    }
    tw.join();
    tw.join();
    sink.write(tw.finish());
    packets++;
    b.lastEvTs = b.lastSwTs = b.lastWkTs = -Infinity;
    b.swTs = []; b.swState = []; b.swNext = []; b.swPrio = []; b.swComm = [];
    b.wkTs = []; b.wkPid = []; b.wkCpu = []; b.wkPrio = []; b.wkComm = [];
    b.intern = new Map(); b.count = 0; b.lost = false;
  };
  const noteLoss = (b: CpuBuffer, ts: number) => {
    const a = lossByCpu.get(b.cpu);
    if (a && a.length && ts >= a[0]) {
      while (a.length && ts >= a[0]) a.shift();
      if (b.count) flush(b); // the loss lies between the previous bundle and this one
      b.lost = true;
    }
  };
  /**
   * Start an FtraceEvent in the CPU's bundle: timestamp, pid, and open the
   * payload submessage. An event older than the bundle's last one (tables
   * are time-ordered per CPU, but the merge across tables can invert events
   * of one CPU by a few ns) starts a new bundle, so every bundle is sorted.
   */
  const head = (b: CpuBuffer, ts: number, pid: number, field: number): BinaryWriter => {
    if (ts < b.lastEvTs) flush(b);
    b.lastEvTs = ts;
    const w = b.w;
    w.tag(F.bundle.event, L).fork().tag(F.ev.timestamp, V);
    writeU64(w, ts).tag(F.ev.pid, V).uint32(pid < 0 ? 0 : pid).tag(field, L).fork();
    return w;
  };
  const done = (b: CpuBuffer) => {
    b.w.join().join();
    if (++b.count >= BUNDLE_EVENTS) flush(b);
  };
  const internComm = (b: CpuBuffer, s: string) => {
    let k = b.intern.get(s);
    if (k === undefined) b.intern.set(s, (k = b.intern.size));
    return k;
  };

  const leaks = kmemOn ? new LeakTracker() : null;
  const q = (w: BinaryWriter, col: Uint32Array, i: number) => writeVarint64(w, col[2 * i], col[2 * i + 1]);
  let w: BinaryWriter;
  /** a sched_switch as a plain FtraceEvent (not CompactSched) */
  const plainSwitch = (b: CpuBuffer, ts: number, prev: number, prevComm: string, prevPrio: number, prevState: number,
    next: number, nextComm: string, nextPrio: number) => {
    const sw = head(b, ts, prev, F.ev.sched_switch);
    sw.tag(F.sw.prev_comm, L).string(prevComm).tag(F.sw.prev_pid, V).int32(prev)
      .tag(F.sw.prev_prio, V).int32(prevPrio).tag(F.sw.prev_state, V).int64(prevState)
      .tag(F.sw.next_comm, L).string(nextComm).tag(F.sw.next_pid, V).int32(next)
      .tag(F.sw.next_prio, V).int32(nextPrio);
    b.lastNext = next;
    done(b);
  };
  const emitGap = (b: CpuBuffer) => {
    const g = b.gap!;
    b.gap = undefined;
    declare(g.tid, g.at);
    plainSwitch(b, g.at, g.hidden, g.hiddenComm, g.hiddenPrio, 0, g.tid, m.commOf(g.tid, b.cpu), g.prio);
  };
  const onEvent = (kind: EventKind, c: Cols, i: number, ts: number) => {
    if (kind === 'task_ids') return;
    const cpu = c.cpu[i] as number;
    const b = buf(cpu);
    if (lossByCpu.size) noteLoss(b, ts);
    if (b.gap && ts >= b.gap.at) emitGap(b);
    switch (kind) {
      case 'sched_switch': {
        const prev = c.prev_tid[i], next = c.next_tid[i];
        declare(prev, ts); declare(next, ts);
        const nextComm = m.commOf(next, cpu);
        if (compact && b.lastNext === prev) {
          if (ts < b.lastSwTs) flush(b);
          b.lastSwTs = ts;
          b.swTs.push(ts);
          b.swState.push(c.prev_state[i]);
          b.swNext.push(next);
          b.swPrio.push(c.next_prio[i]);
          b.swComm.push(internComm(b, nextComm));
          b.lastNext = next;
          if (++b.count >= BUNDLE_EVENTS) flush(b);
        } else {
          plainSwitch(b, ts, prev, m.commOf(prev, cpu), c.prev_prio[i], c.prev_state[i], next, nextComm, c.next_prio[i]);
        }
        const gap = gapNext.size ? gapNext.get(`${cpu}:${ts}`) : undefined;
        if (gap) {
          // inferred switch the kernel did not report (prev_state 0: unknown, shown as runnable), at
          // resume_ts when known: written before the first later event of this CPU at or after it
          b.gap = { at: gap.at, hidden: next, hiddenComm: nextComm, hiddenPrio: c.next_prio[i], tid: gap.tid, prio: gap.prio };
          if (b.gap.at === ts + 1) emitGap(b);
        }
        return;
      }
      case 'sched_waking': {
        const tid = c.tid[i], waker = c.waker_tid[i];
        declare(tid, ts); declare(waker, ts);
        if (c.wakeup_new[i]) {
          w = head(b, ts, waker, F.ev.sched_wakeup_new);
          w.tag(F.wn.comm, L).string(m.commOf(tid)).tag(F.wn.pid, V).int32(tid).tag(F.wn.prio, V).int32(c.prio[i])
            .tag(F.wn.success, V).int32(1).tag(F.wn.target_cpu, V).int32(c.target_cpu[i]);
          done(b);
        } else if (compact) {
          if (ts < b.lastWkTs) flush(b);
          b.lastWkTs = ts;
          b.wkTs.push(ts);
          b.wkPid.push(tid);
          b.wkCpu.push(c.target_cpu[i]);
          b.wkPrio.push(c.prio[i]);
          b.wkComm.push(internComm(b, m.commOf(tid)));
          if (++b.count >= BUNDLE_EVENTS) flush(b);
        } else {
          w = head(b, ts, waker, F.ev.sched_waking);
          w.tag(F.wk.comm, L).string(m.commOf(tid)).tag(F.wk.pid, V).int32(tid).tag(F.wk.prio, V).int32(c.prio[i])
            .tag(F.wk.success, V).int32(1).tag(F.wk.target_cpu, V).int32(c.target_cpu[i]);
          done(b);
        }
        return;
      }
      case 'syscall_enter': {
        const tid = c.tid[i];
        declare(tid, ts);
        w = head(b, ts, tid, F.ev.sys_enter);
        w.tag(F.se.id, V).int32(c.nr[i]);
        q(w.tag(F.se.args, V), c.arg0_w, i); q(w.tag(F.se.args, V), c.arg1_w, i); q(w.tag(F.se.args, V), c.arg2_w, i);
        q(w.tag(F.se.args, V), c.arg3_w, i); q(w.tag(F.se.args, V), c.arg4_w, i); q(w.tag(F.se.args, V), c.arg5_w, i);
        done(b);
        return;
      }
      case 'syscall_exit': {
        const tid = c.tid[i];
        declare(tid, ts);
        w = head(b, ts, tid, F.ev.sys_exit);
        q(w.tag(F.sx.id, V).int32(c.nr[i]).tag(F.sx.ret, V), c.ret_w, i);
        done(b);
        return;
      }
      case 'kmem_alloc': {
        const tid = c.tid[i];
        declare(tid, ts);
        leaks?.alloc(c, i, ts);
        const f = c.cache[i] ? F.kca : F.km;
        w = head(b, ts, tid, c.cache[i] ? F.ev.kmem_cache_alloc : F.ev.kmalloc);
        q(w.tag(f.bytes_alloc, V).uint32(c.bytes_alloc[i]).tag(f.bytes_req, V).uint32(c.bytes_req[i])
          .tag(f.call_site, V), c.call_site_w, i).tag(f.gfp_flags, V).uint32(c.gfp_flags[i]);
        q(w.tag(f.ptr, V), c.ptr_w, i);
        done(b);
        return;
      }
      case 'kmem_free': {
        const tid = c.tid[i];
        declare(tid, ts);
        const f = c.cache[i] ? F.kcf : F.kf;
        w = head(b, ts, tid, c.cache[i] ? F.ev.kmem_cache_free : F.ev.kfree);
        q(w.tag(f.call_site, V), c.call_site_w, i);
        q(w.tag(f.ptr, V), c.ptr_w, i);
        done(b);
        return;
      }
      case 'task_newtask': {
        const parent = c.parent_tid[i], child = c.child_tid[i];
        declare(parent, ts);
        w = head(b, ts, parent, F.ev.task_newtask);
        w.tag(F.nt.pid, V).int32(child).tag(F.nt.comm, L).string(c.comm[i]).tag(F.nt.clone_flags, V).uint64(c.clone_flags[i]);
        done(b);
        // The child is declared after the fork (ts + 1) so trace processors
        // attach it to the thread the fork created instead of a new one.
        if (!declared.has(child)) {
          m.setTgid(child, c.child_tgid[i]);
          m.comm.set(child, c.comm[i]);
          if (child === c.child_tgid[i] && !m.processes.has(child))
            m.processes.set(child, { pid: child, ppid: c.parent_tgid[i], cmdline: '', uid: undefined, kernel: false });
          declare(child, ts + 1);
        }
        return;
      }
      case 'task_exec': {
        const tid = c.tid[i];
        declare(tid, ts);
        w = head(b, ts, tid, F.ev.sched_process_exec);
        w.tag(F.ex.filename, L).string(c.filename[i]).tag(F.ex.pid, V).int32(tid).tag(F.ex.old_pid, V).int32(c.old_tid[i]);
        done(b);
        const old = m.commOf(tid);
        if (old !== c.comm[i]) {
          // exec renames the task; the kernel's own task_rename may be missing (--events) or
          // filtered, so emit one for the name to update
          w = head(b, ts, tid, F.ev.task_rename);
          w.tag(F.rn.pid, V).int32(tid).tag(F.rn.oldcomm, L).string(old).tag(F.rn.newcomm, L).string(c.comm[i]);
          done(b);
        }
        return;
      }
      case 'task_rename': {
        const tid = c.tid[i];
        declare(tid, ts);
        w = head(b, ts, tid, F.ev.task_rename);
        w.tag(F.rn.pid, V).int32(tid).tag(F.rn.oldcomm, L).string(c.oldcomm[i]).tag(F.rn.newcomm, L).string(c.newcomm[i]);
        done(b);
        return;
      }
      case 'task_exit': {
        const tid = c.tid[i];
        declare(tid, ts);
        w = head(b, ts, tid, F.ev.sched_process_exit);
        w.tag(F.pe.comm, L).string(c.comm[i]).tag(F.pe.pid, V).int32(tid).tag(F.pe.tgid, V).int32(c.tgid[i]);
        done(b);
        return;
      }
      case 'task_free': {
        const tid = c.tid[i];
        declare(tid, ts);
        // the context that freed the task is not recorded: pid 0
        w = head(b, ts, 0, F.ev.sched_process_free);
        w.tag(F.pf.comm, L).string(c.comm[i]).tag(F.pf.pid, V).int32(tid);
        done(b);
        return;
      }
    }
  };
  // frees by any task end an allocation, also when that task is filtered out
  const observe = leaks ? (kind: EventKind, c: Cols, i: number) => { if (kind === 'kmem_free') leaks.free(c, i); } : undefined;
  const events = src.run(onEvent, observe);
  for (const b of [...cpus.values()].sort((x, y) => x.cpu - y.cpu)) {
    if (b.gap) emitGap(b); // the window ended before the switch that revealed the gap
    flush(b);
  }

  // 6. losses: FtraceStats + windows on the loss track
  const dropped = new Map<number, number>();
  for (const l of losses) dropped.set(l.cpu, (dropped.get(l.cpu) ?? 0) + l.count);
  const ncpu = Math.max(host.cpus, ...[...cpus.keys()].map((c) => c + 1));
  writePacket({
    optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_FTRACE },
    data: {
      case: 'ftraceStats',
      value: {
        phase: pb.FtraceStats_Phase.END_OF_TRACE,
        cpuStats: Array.from({ length: ncpu }, (_, cpu) => ({ cpu: BigInt(cpu), droppedEvents: BigInt(dropped.get(cpu) ?? 0), overrun: 0n })),
      },
    },
  });
  for (const l of losses) {
    const name = `lost ${l.count} ${l.kind} (${l.cpu === 65535 ? 'any cpu' : `cpu ${l.cpu}`}, ${l.reason})`;
    const ann = [
      { nameField: { case: 'name' as const, value: 'count' }, value: { case: 'uintValue' as const, value: BigInt(l.count) } },
      { nameField: { case: 'name' as const, value: 'kind' }, value: { case: 'stringValue' as const, value: String(l.kind) } },
      { nameField: { case: 'name' as const, value: 'cpu' }, value: { case: 'uintValue' as const, value: BigInt(l.cpu) } },
      { nameField: { case: 'name' as const, value: 'reason' }, value: { case: 'stringValue' as const, value: String(l.reason) } },
    ];
    if (l.ts_end > l.ts_start) {
      writePacket({ timestamp: BigInt(l.ts_start), optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_TRACK }, sequenceFlags: seq2Flags(),
        data: { case: 'trackEvent', value: { type: pb.TrackEvent_Type.SLICE_BEGIN, trackUuid: LOSS_TRACK, nameField: { case: 'name', value: name }, debugAnnotations: ann } } });
      writePacket({ timestamp: BigInt(l.ts_end), optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_TRACK }, sequenceFlags: seq2Flags(),
        data: { case: 'trackEvent', value: { type: pb.TrackEvent_Type.SLICE_END, trackUuid: LOSS_TRACK } } });
    } else {
      writePacket({ timestamp: BigInt(l.ts_start), optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_TRACK }, sequenceFlags: seq2Flags(),
        data: { case: 'trackEvent', value: { type: pb.TrackEvent_Type.INSTANT, trackUuid: LOSS_TRACK, nameField: { case: 'name', value: name }, debugAnnotations: ann } } });
    }
  }

  // 7. outstanding allocations with their kernel stacks
  let outstanding = 0;
  if (leaks) {
    const live = leaks.outstanding().filter((a) => !src.filtered || src.selected(a.tid));
    outstanding = live.length;
    if (live.length) writeLeaks(src, live, writePacket, seq2Flags, m.commOf.bind(m), LEAK_TRACK);
  }
  sink.close();
  return { events, packets, bytes: sink.bytes, outstandingAllocs: outstanding, torn: src.torn, warnings: src.warnings };
}

function writeLeaks(
  cap: CaptureFiles,
  live: ReturnType<LeakTracker['outstanding']>,
  writePacket: (init: any) => void,
  seq2Flags: () => number,
  commOf: (tid: number) => string,
  track: bigint,
): void {
  const sym = new Symbolizer(cap);
  const stacks = readStacks(cap);
  const MAPPING = 1n;
  const fnIds = new Map<string, bigint>();
  const frameIds = new Map<bigint, bigint>(); // ip → frame iid
  const stackIds = new Map<string, bigint>(); // key → callstack iid
  const interned = create(pb.InternedDataSchema, {
    mappingPaths: [{ iid: 1n, str: new TextEncoder().encode('[kernel.kallsyms]') }],
    mappings: [{ iid: MAPPING, start: sym.minAddr, end: sym.maxAddr, pathStringIds: [1n] }],
  });
  const fn = (name: string) => {
    let id = fnIds.get(name);
    if (id === undefined) {
      fnIds.set(name, (id = BigInt(fnIds.size + 1)));
      interned.functionNames.push(create(pb.InternedStringSchema, { iid: id, str: new TextEncoder().encode(name) }));
    }
    return id;
  };
  const frame = (ip: bigint) => {
    let id = frameIds.get(ip);
    if (id === undefined) {
      frameIds.set(ip, (id = BigInt(frameIds.size + 1)));
      const s = sym.lookup(ip);
      interned.frames.push(create(pb.FrameSchema, {
        iid: id,
        functionNameId: fn(s ? s.name : `0x${ip.toString(16)}`),
        mappingId: MAPPING,
        relPc: ip >= sym.minAddr ? ip - sym.minAddr : 0n,
        kindField: { case: 'kind', value: pb.Frame_Kind.KERNEL },
      }));
    }
    return id;
  };
  const callstack = (a: (typeof live)[number]) => {
    const ips = allocFrames(a, stacks, sym);
    const key = ips.join(',');
    let id = stackIds.get(key);
    if (id === undefined) {
      stackIds.set(key, (id = BigInt(stackIds.size + 1)));
      // Perfetto wants the outermost frame first
      const frames = ips.map(frame).reverse();
      interned.callstacks.push(create(pb.CallstackSchema, { iid: id, frameIds: frames }));
    }
    return id;
  };
  const ids = live.map(callstack);
  const name = (s: string) => ({ case: 'name' as const, value: s });
  live.forEach((a, k) => {
    const site = sym.format(a.callSite);
    writePacket({
      timestamp: BigInt(a.ts),
      optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: SEQ_TRACK },
      sequenceFlags: seq2Flags(),
      ...(k === 0 ? { internedData: interned } : {}),
      data: {
        case: 'trackEvent',
        value: {
          type: pb.TrackEvent_Type.INSTANT,
          trackUuid: track,
          nameField: name(`${a.bytesAlloc} B ${a.cache ? 'kmem_cache_alloc' : 'kmalloc'} @ ${site}`),
          callstackField: { case: 'callstackIid', value: ids[k] },
          debugAnnotations: [
            { nameField: name('ptr'), value: { case: 'pointerValue', value: a.ptr } },
            { nameField: name('bytes_alloc'), value: { case: 'uintValue', value: BigInt(a.bytesAlloc) } },
            { nameField: name('bytes_req'), value: { case: 'uintValue', value: BigInt(a.bytesReq) } },
            { nameField: name('call_site'), value: { case: 'stringValue', value: site } },
            { nameField: name('tid'), value: { case: 'intValue', value: BigInt(a.tid) } },
            { nameField: name('comm'), value: { case: 'stringValue', value: commOf(a.tid) } },
            { nameField: name('cpu'), value: { case: 'uintValue', value: BigInt(a.cpu) } },
          ],
        },
      },
    });
  });
}

/**
 * For each kernel_gap loss: key `${cpu}:${ts_start}` → the task switched out at ts_end on that CPU
 * (the task that really ran after the hidden one), with its prio, and where the inferred switch goes.
 */
function kernelGapSwitches(cap: CaptureFiles, losses: Record<string, any>[]): Map<string, { tid: number; prio: number; at: number }> {
  const out = new Map<string, { tid: number; prio: number; at: number }>();
  const ends = kernelGaps(losses);
  if (!ends.size) return out;
  for (const b of iterTable(cap.dir, 'sched_switch', { required: false, manifest: cap.manifest })) {
    const cpu = b.getChild('cpu')!.toArray() as Uint16Array;
    const ts = b.getChild('ts')!.toArray() as BigInt64Array;
    const prev = b.getChild('prev_tid')!.toArray() as Int32Array;
    const prio = b.getChild('prev_prio')!.toArray() as Uint8Array;
    for (let i = 0; i < b.numRows; i++) {
      const e = ends.get(`${cpu[i]}:${Number(ts[i])}`);
      if (e) out.set(`${cpu[i]}:${e.tsStart}`, { tid: prev[i], prio: prio[i], at: e.at });
    }
  }
  return out;
}
