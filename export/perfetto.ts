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
import { create, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import * as pb from '../formats/perfetto/gen/ktape_perfetto_pb.js';
import {
  ExportSource, LeakTracker, Symbolizer, readStacks, smallTable, type Cols, type EventKind, type ExportOptions,
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

interface CpuBuffer {
  cpu: number;
  events: Uint8Array[];
  evTs: number[];
  evSorted: boolean;
  swTs: number[]; swState: number[]; swNext: number[]; swPrio: number[]; swComm: number[];
  wkTs: number[]; wkPid: number[]; wkCpu: number[]; wkPrio: number[]; wkComm: number[];
  intern: Map<string, number>;
  count: number;
  lost: boolean;
  /** next_tid of the last sched_switch emitted on this CPU (CompactSched's implied prev) */
  lastNext: number | undefined;
}

export interface PerfettoResult {
  events: number;
  packets: number;
  bytes: number;
  outstandingAllocs: number;
  torn: string[];
}

export function exportPerfetto(captureDir: string, outPath: string, opts: ExportOptions = {}): PerfettoResult {
  const src = new ExportSource(captureDir, opts);
  const compact = opts.compact ?? true;
  const m = src.model;
  const sink = new FileSink(outPath);
  let packets = 0;
  const tw = new BinaryWriter();
  const ew = new BinaryWriter();

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
  for (const a of smallTable(captureDir, 'clock_anchors', ['boottime_ns', 'monotonic_ns', 'realtime_ns'])) {
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
  const losses = smallTable(captureDir, 'losses');
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
        cpu, events: [], evTs: [], evSorted: true,
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
    let order: number[] | null = null;
    if (!b.evSorted) {
      order = b.events.map((_, i) => i);
      order.sort((x, y) => b.evTs[x] - b.evTs[y] || x - y);
    }
    for (let k = 0; k < b.events.length; k++) tw.tag(F.bundle.event, L).bytes(b.events[order ? order[k] : k]);
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
          if (kind === 'u64') tw.uint64(v);
          else if (kind === 'i64') tw.int64(v);
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
    b.events = []; b.evTs = []; b.evSorted = true;
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
  const push = (b: CpuBuffer, ts: number, bytes: Uint8Array) => {
    const n = b.evTs.length;
    if (n && ts < b.evTs[n - 1]) b.evSorted = false;
    b.events.push(bytes);
    b.evTs.push(ts);
    if (++b.count >= BUNDLE_EVENTS) flush(b);
  };
  const internComm = (b: CpuBuffer, s: string) => {
    let k = b.intern.get(s);
    if (k === undefined) b.intern.set(s, (k = b.intern.size));
    return k;
  };
  /** start an FtraceEvent in ew: timestamp, pid, and open the payload submessage */
  const head = (ts: number, pid: number, field: number) => {
    ew.tag(F.ev.timestamp, V).uint64(ts).tag(F.ev.pid, V).uint32(pid < 0 ? 0 : pid).tag(field, L).fork();
  };
  const done = () => ew.join().finish();

  const leaks = kmemOn ? new LeakTracker() : null;
  const onEvent = (kind: EventKind, c: Cols, i: number, ts: number) => {
    if (kind === 'task_ids') return;
    const cpu = c.cpu[i] as number;
    const b = buf(cpu);
    if (lossByCpu.size) noteLoss(b, ts);
    switch (kind) {
      case 'sched_switch': {
        const prev = c.prev_tid[i], next = c.next_tid[i];
        declare(prev, ts); declare(next, ts);
        const nextComm = m.commOf(next, cpu);
        if (compact && b.lastNext === prev) {
          b.swTs.push(ts);
          b.swState.push(c.prev_state[i]);
          b.swNext.push(next);
          b.swPrio.push(c.next_prio[i]);
          b.swComm.push(internComm(b, nextComm));
          b.lastNext = next;
          if (++b.count >= BUNDLE_EVENTS) flush(b);
        } else {
          head(ts, prev, F.ev.sched_switch);
          ew.tag(F.sw.prev_comm, L).string(m.commOf(prev, cpu)).tag(F.sw.prev_pid, V).int32(prev)
            .tag(F.sw.prev_prio, V).int32(c.prev_prio[i]).tag(F.sw.prev_state, V).int64(c.prev_state[i])
            .tag(F.sw.next_comm, L).string(nextComm).tag(F.sw.next_pid, V).int32(next)
            .tag(F.sw.next_prio, V).int32(c.next_prio[i]);
          b.lastNext = next;
          push(b, ts, done());
        }
        return;
      }
      case 'sched_waking': {
        const tid = c.tid[i], waker = c.waker_tid[i];
        declare(tid, ts); declare(waker, ts);
        if (c.wakeup_new[i]) {
          head(ts, waker, F.ev.sched_wakeup_new);
          ew.tag(F.wn.comm, L).string(m.commOf(tid)).tag(F.wn.pid, V).int32(tid).tag(F.wn.prio, V).int32(c.prio[i])
            .tag(F.wn.success, V).int32(1).tag(F.wn.target_cpu, V).int32(c.target_cpu[i]);
          push(b, ts, done());
        } else if (compact) {
          b.wkTs.push(ts);
          b.wkPid.push(tid);
          b.wkCpu.push(c.target_cpu[i]);
          b.wkPrio.push(c.prio[i]);
          b.wkComm.push(internComm(b, m.commOf(tid)));
          if (++b.count >= BUNDLE_EVENTS) flush(b);
        } else {
          head(ts, waker, F.ev.sched_waking);
          ew.tag(F.wk.comm, L).string(m.commOf(tid)).tag(F.wk.pid, V).int32(tid).tag(F.wk.prio, V).int32(c.prio[i])
            .tag(F.wk.success, V).int32(1).tag(F.wk.target_cpu, V).int32(c.target_cpu[i]);
          push(b, ts, done());
        }
        return;
      }
      case 'syscall_enter': {
        const tid = c.tid[i];
        declare(tid, ts);
        head(ts, tid, F.ev.sys_enter);
        ew.tag(F.se.id, V).int64(c.nr[i]);
        ew.tag(F.se.args, V).uint64(c.arg0[i]).tag(F.se.args, V).uint64(c.arg1[i]).tag(F.se.args, V).uint64(c.arg2[i])
          .tag(F.se.args, V).uint64(c.arg3[i]).tag(F.se.args, V).uint64(c.arg4[i]).tag(F.se.args, V).uint64(c.arg5[i]);
        push(b, ts, done());
        return;
      }
      case 'syscall_exit': {
        const tid = c.tid[i];
        declare(tid, ts);
        head(ts, tid, F.ev.sys_exit);
        ew.tag(F.sx.id, V).int64(c.nr[i]).tag(F.sx.ret, V).int64(c.ret[i]);
        push(b, ts, done());
        return;
      }
      case 'kmem_alloc': {
        const tid = c.tid[i];
        declare(tid, ts);
        leaks?.alloc(c, i, ts);
        const f = c.cache[i] ? F.kca : F.km;
        head(ts, tid, c.cache[i] ? F.ev.kmem_cache_alloc : F.ev.kmalloc);
        ew.tag(f.bytes_alloc, V).uint64(c.bytes_alloc[i]).tag(f.bytes_req, V).uint64(c.bytes_req[i])
          .tag(f.call_site, V).uint64(c.call_site[i]).tag(f.gfp_flags, V).uint32(c.gfp_flags[i])
          .tag(f.ptr, V).uint64(c.ptr[i]);
        push(b, ts, done());
        return;
      }
      case 'kmem_free': {
        const tid = c.tid[i];
        declare(tid, ts);
        const f = c.cache[i] ? F.kcf : F.kf;
        head(ts, tid, c.cache[i] ? F.ev.kmem_cache_free : F.ev.kfree);
        ew.tag(f.call_site, V).uint64(c.call_site[i]).tag(f.ptr, V).uint64(c.ptr[i]);
        push(b, ts, done());
        return;
      }
      case 'task_newtask': {
        const parent = c.parent_tid[i], child = c.child_tid[i];
        declare(parent, ts);
        head(ts, parent, F.ev.task_newtask);
        ew.tag(F.nt.pid, V).int32(child).tag(F.nt.comm, L).string(c.comm[i]).tag(F.nt.clone_flags, V).uint64(c.clone_flags[i]);
        push(b, ts, done());
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
        head(ts, tid, F.ev.sched_process_exec);
        ew.tag(F.ex.filename, L).string(c.filename[i]).tag(F.ex.pid, V).int32(tid).tag(F.ex.old_pid, V).int32(c.old_tid[i]);
        push(b, ts, done());
        const old = m.commOf(tid);
        if (old !== c.comm[i]) {
          // exec renames the task; the kernel's own task_rename may be missing (--events) or
          // filtered, so emit one for the name to update
          head(ts, tid, F.ev.task_rename);
          ew.tag(F.rn.pid, V).int32(tid).tag(F.rn.oldcomm, L).string(old).tag(F.rn.newcomm, L).string(c.comm[i]);
          push(b, ts, done());
        }
        return;
      }
      case 'task_rename': {
        const tid = c.tid[i];
        declare(tid, ts);
        head(ts, tid, F.ev.task_rename);
        ew.tag(F.rn.pid, V).int32(tid).tag(F.rn.oldcomm, L).string(c.oldcomm[i]).tag(F.rn.newcomm, L).string(c.newcomm[i]);
        push(b, ts, done());
        return;
      }
      case 'task_exit': {
        const tid = c.tid[i];
        declare(tid, ts);
        head(ts, tid, F.ev.sched_process_exit);
        ew.tag(F.pe.comm, L).string(c.comm[i]).tag(F.pe.pid, V).int32(tid).tag(F.pe.tgid, V).int32(c.tgid[i]);
        push(b, ts, done());
        return;
      }
      case 'task_free': {
        const tid = c.tid[i];
        declare(tid, ts);
        // the context that freed the task is not recorded: pid 0
        head(ts, 0, F.ev.sched_process_free);
        ew.tag(F.pf.comm, L).string(c.comm[i]).tag(F.pf.pid, V).int32(tid);
        push(b, ts, done());
        return;
      }
    }
  };
  // frees by any task end an allocation, also when that task is filtered out
  const observe = leaks ? (kind: EventKind, c: Cols, i: number) => { if (kind === 'kmem_free') leaks.free(c, i); } : undefined;
  const events = src.run(onEvent, observe);
  for (const b of [...cpus.values()].sort((x, y) => x.cpu - y.cpu)) flush(b);

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
    const name = `lost ${l.count} ${l.kind} (cpu ${l.cpu})`;
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
    if (live.length) writeLeaks(captureDir, live, writePacket, seq2Flags, m.commOf.bind(m), LEAK_TRACK);
  }
  sink.close();
  return { events, packets, bytes: sink.bytes, outstandingAllocs: outstanding, torn: src.torn };
}

function writeLeaks(
  dir: string,
  live: ReturnType<LeakTracker['outstanding']>,
  writePacket: (init: any) => void,
  seq2Flags: () => number,
  commOf: (tid: number) => string,
  track: bigint,
): void {
  const sym = new Symbolizer(dir);
  const stacks = readStacks(dir);
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
    const ips = a.stackId >= 0 && stacks.get(a.stackId)?.length ? stacks.get(a.stackId)! : [a.callSite];
    const key = ips.join(',');
    let id = stackIds.get(key);
    if (id === undefined) {
      stackIds.set(key, (id = BigInt(stackIds.size + 1)));
      // Perfetto wants the outermost frame first
      const frames = ips.filter((x) => x !== undefined).map(frame).reverse();
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
