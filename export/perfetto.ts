/**
 * `ktape export --perfetto`: a capture → a Perfetto protobuf trace, from the analyzer's views.
 *
 * Layout of the output (a stream of length-delimited Trace.packet fields):
 *  1. SystemInfo (utsname), ClockSnapshot per clock anchor (BOOTTIME primary, MONOTONIC, REALTIME);
 *  2. ProcessTree of the /proc snapshot, then one per other thread the events reference, at its first
 *     reference (trace_processor sorts packets by time, so each applies from then on);
 *  3. a "ktape: capture window" slice from the window start to its end, so the trace's bounds are the
 *     capture's window (trace_processor's bounds are its first and last timestamps);
 *  4. each exported family's events (families/<family>/export.ts): ftrace bundles per CPU, sorted within a
 *     bundle, one pass per stream; TrackEvents on ktape's own sequence 2;
 *  5. FtraceStats (END_OF_TRACE, dropped events per CPU) and the loss windows on their own track.
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import * as pb from '../formats/perfetto/gen/ktape_perfetto_pb.js';
import { familyExports } from './families.js';
import { F, FtraceWriter, L, SEQ_FTRACE } from './ftrace.js';
import type { FamilyExport, PerfettoContext, TrackOptions } from './handlers.js';
import { FileSink } from './output.js';
import { openExport, type ExportOptions, type ExportSession } from './source.js';

const SEQ_TRACK = 2;
const COUNTER_UNIT = {
  count: pb.CounterDescriptor_Unit.COUNT,
  bytes: pb.CounterDescriptor_Unit.SIZE_BYTES,
  ns: pb.CounterDescriptor_Unit.TIME_NS,
} as const;
const SEQ_INCREMENTAL_STATE_CLEARED = 1;
const SEQ_NEEDS_INCREMENTAL_STATE = 2;
const seq = (value: number) => ({ optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId' as const, value } });

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

interface Loss {
  cpu: number;
  kind: string;
  count: number;
  ts_start: number;
  ts_end: number;
  reason: string;
}

class PerfettoOut {
  packets = 0;
  events = 0;
  outstanding = 0;
  private seq2Started = false;
  private nextTrack = 1n;
  private readonly tw = new BinaryWriter();
  constructor(readonly sink: FileSink) {}
  bytes(bin: Uint8Array): void {
    this.tw.tag(F.trace.packet, L).bytes(bin);
    this.sink.write(this.tw.finish());
    this.packets++;
  }
  packet(init: Record<string, unknown>): void {
    this.bytes(toBinary(pb.TracePacketSchema, create(pb.TracePacketSchema, init as never)));
  }
  seq2Flags(): number {
    if (this.seq2Started) return SEQ_NEEDS_INCREMENTAL_STATE;
    this.seq2Started = true;
    return SEQ_INCREMENTAL_STATE_CLEARED;
  }
  track(name: string, description: string, opts: TrackOptions = {}): bigint {
    const uuid = this.nextTrack++;
    const value: Record<string, unknown> = { uuid, staticOrDynamicName: { case: 'name', value: name }, description };
    if (opts.parent !== undefined) value.parentUuid = opts.parent;
    if (opts.pid !== undefined) value.process = { pid: opts.pid };
    if (opts.thread) value.thread = { pid: opts.thread.tgid, tid: BigInt(opts.thread.tid) };
    if (opts.counter) value.counter = { unit: COUNTER_UNIT[opts.counter] };
    this.packet({ ...seq(SEQ_TRACK), data: { case: 'trackDescriptor', value } });
    return uuid;
  }
}

async function writeHeader(s: ExportSession, out: PerfettoOut): Promise<void> {
  const host = s.ctx.cap.manifest.host;
  out.packet({
    ...seq(SEQ_FTRACE),
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
  const anchors = await s.ctx.cap.query<Record<string, number | bigint>>(
    'SELECT boottime_ns, monotonic_ns, realtime_ns FROM clock_anchors ORDER BY boottime_ns',
  );
  for (const a of anchors) {
    out.packet({
      ...seq(SEQ_FTRACE),
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
}

type ProcRow = { ts: number; tid: number; tgid: number | null; ppid: number | null; comm: string; cmdline: string | null; uid?: number | null };
const procMsg = (r: ProcRow) =>
  create(pb.ProcessTree_ProcessSchema, {
    pid: r.tgid!,
    ppid: r.ppid ?? undefined,
    cmdline: r.cmdline ? r.cmdline.split(' ').filter((x) => x !== '') : [],
    uid: r.uid ?? undefined,
  });

/** the snapshot's ProcessTree, then one packet per other referenced thread at its first reference */
async function writeProcessTree(s: ExportSession, out: PerfettoOut): Promise<void> {
  const { cap } = s.ctx;
  for (const f of s.families) if (f.perfettoRefs) await cap.query(`INSERT INTO _export_refs SELECT tid, ts FROM (${f.perfettoRefs(s.ctx)})`);
  const declaredProc = new Set<number>();
  const snap = await cap.query<ProcRow>('SELECT * FROM _export_snapshot_tree');
  if (snap.length) {
    const processes = snap
      .filter((r) => r.tid === r.tgid)
      .map((r) => {
        declaredProc.add(r.tgid!);
        return procMsg(r);
      });
    const threads = snap.map((r) => create(pb.ProcessTree_ThreadSchema, { tid: r.tid, tgid: r.tgid!, name: r.comm }));
    out.packet({
      timestamp: BigInt(snap[0].ts),
      ...seq(SEQ_FTRACE),
      data: { case: 'processTree', value: { processes, threads, collectionEndTimestamp: BigInt(snap[0].ts) } },
    });
  }
  for await (const rows of cap.iterate<ProcRow>('SELECT * FROM _export_declarations')) {
    for (const r of rows) {
      const processes: pb.ProcessTree_Process[] = [];
      if (r.tgid !== null && !declaredProc.has(r.tgid)) {
        declaredProc.add(r.tgid);
        processes.push(procMsg(r));
      }
      const thread = create(pb.ProcessTree_ThreadSchema, { tid: r.tid, tgid: r.tgid ?? undefined, name: r.comm || undefined });
      out.packet({ timestamp: BigInt(r.ts), ...seq(SEQ_FTRACE), data: { case: 'processTree', value: { processes, threads: [thread] } } });
    }
  }
}

/** a slice over the export window on its own track: the trace's bounds are the capture's window */
function writeWindow(s: ExportSession, out: PerfettoOut): void {
  const uuid = out.track('ktape: capture window', 'The capture window (or the --since/--until part of it exported): the trace spans exactly this.');
  out.packet({
    timestamp: BigInt(s.ctx.lo),
    ...seq(SEQ_TRACK),
    sequenceFlags: out.seq2Flags(),
    data: { case: 'trackEvent', value: { type: pb.TrackEvent_Type.SLICE_BEGIN, trackUuid: uuid, nameField: { case: 'name', value: 'capture' } } },
  });
  out.packet({
    timestamp: BigInt(s.ctx.hi),
    ...seq(SEQ_TRACK),
    sequenceFlags: out.seq2Flags(),
    data: { case: 'trackEvent', value: { type: pb.TrackEvent_Type.SLICE_END, trackUuid: uuid } },
  });
}

function lossAnnotations(l: Loss) {
  const n = (value: string) => ({ case: 'name' as const, value });
  return [
    { nameField: n('count'), value: { case: 'uintValue' as const, value: BigInt(l.count) } },
    { nameField: n('kind'), value: { case: 'stringValue' as const, value: String(l.kind) } },
    { nameField: n('cpu'), value: { case: 'uintValue' as const, value: BigInt(l.cpu) } },
    { nameField: n('reason'), value: { case: 'stringValue' as const, value: String(l.reason) } },
  ];
}

/** FtraceStats with the dropped events per CPU, and one slice (or instant) per loss window */
function writeLosses(out: PerfettoOut, losses: Loss[], track: bigint | null, ncpu: number): void {
  const dropped = new Map<number, number>();
  for (const l of losses) dropped.set(l.cpu, (dropped.get(l.cpu) ?? 0) + l.count);
  out.packet({
    ...seq(SEQ_FTRACE),
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
    const ev = (ts: number, value: Record<string, unknown>) =>
      out.packet({
        timestamp: BigInt(ts),
        ...seq(SEQ_TRACK),
        sequenceFlags: out.seq2Flags(),
        data: { case: 'trackEvent', value: { trackUuid: track, ...value } },
      });
    if (l.ts_end > l.ts_start) {
      ev(l.ts_start, { type: pb.TrackEvent_Type.SLICE_BEGIN, nameField: { case: 'name', value: name }, debugAnnotations: lossAnnotations(l) });
      ev(l.ts_end, { type: pb.TrackEvent_Type.SLICE_END });
    } else ev(l.ts_start, { type: pb.TrackEvent_Type.INSTANT, nameField: { case: 'name', value: name }, debugAnnotations: lossAnnotations(l) });
  }
}

function context(s: ExportSession, out: PerfettoOut, opts: ExportOptions, lossStarts: Map<number, number[]>, cpus: Set<number>): PerfettoContext {
  return {
    ...s.ctx,
    compact: opts.compact ?? true,
    ftrace: () => {
      // the count is of FtraceEvents and CompactSched entries, added as each bundle is written
      return new FtraceWriter(
        (parts) => {
          for (const b of parts) out.sink.write(b);
          out.packets++;
        },
        lossStarts,
        (n) => {
          out.events += n;
        },
        (c) => cpus.add(c),
      );
    },
    writePacket: (init) => out.packet(init),
    trackSeqFlags: () => out.seq2Flags(),
    track: (name, description, opts) => out.track(name, description, opts),
    note: (_key, n) => {
      out.outstanding += n;
    },
  };
}

export async function exportPerfetto(
  captureDir: string,
  outPath: string,
  opts: ExportOptions = {},
  families?: readonly FamilyExport[],
): Promise<PerfettoResult> {
  const s = await openExport(captureDir, opts, families ?? (await familyExports()), 'perfetto');
  try {
    const out = new PerfettoOut(new FileSink(outPath, opts.onProgress));
    await writeHeader(s, out);
    await writeProcessTree(s, out);
    writeWindow(s, out);
    const losses = await s.ctx.cap.query<Loss>('SELECT cpu, kind, count, ts_start, ts_end, reason FROM losses ORDER BY ts_start, cpu');
    const lossTrack = losses.length
      ? out.track(
          'ktape: lost events',
          'Windows in which events are missing (ring buffer full, a context switch the kernel did not report, rows cut from damaged files). Data on other tracks is incomplete there.',
        )
      : null;
    const lossStarts = new Map<number, number[]>();
    for (const l of losses) {
      if (!lossStarts.has(l.cpu)) lossStarts.set(l.cpu, []);
      lossStarts.get(l.cpu)!.push(l.ts_start);
    }
    const cpus = new Set<number>();
    const ctx = context(s, out, opts, lossStarts, cpus);
    for (const f of s.families) if (f.perfetto) await f.perfetto(ctx);
    writeLosses(out, losses, lossTrack, Math.max(s.ctx.cap.manifest.host.cpus, ...[...cpus].map((c) => c + 1)));
    out.sink.close();
    return { events: out.events, packets: out.packets, bytes: out.sink.bytes, outstandingAllocs: out.outstanding, torn: s.torn, warnings: s.warnings };
  } finally {
    s.close();
  }
}
