/**
 * One recording, from attach to the final manifest. The capture on disk is
 * analyzable at every moment, however recording ends:
 *  - the manifest is written at attach and rewritten (atomically) once the
 *    workload runs, and at the end;
 *  - every table file of the recorded families exists with its schema from
 *    the start (a family not recorded gets a file only if a row reaches it:
 *    readers load its tables empty, formats/capture.md); kallsyms
 *    (--kallsyms full), modules and the process snapshot are complete and
 *    fsync'd before the workload starts; stats and stacks are end-only;
 *  - a failed write (disk full) stops recording cleanly, keeping every batch
 *    written before it;
 *  - --max-size bounds the bytes of the whole directory, checked after
 *    every drain round.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { constants as osConstants } from 'node:os';
import * as W from '../formats/gen/events.gen.js';
import { FORMAT_VERSION, GROUP_OF_KIND, KIND_NAMES, MANIFEST_FILE, TABLE_BY_NAME, TABLES, type Manifest } from '../formats/schema.js';
import { notInFormat } from '../formats/table.js';
import type { readTable as ReadTable } from '../formats/reader.js';
import { readClocks, progStats, type Ring } from './ring.js';
import { Decoder } from './decode.js';
import { AddressSet, CaptureSink, TableWriter } from './writer.js';
import { DEFAULT_CODEC } from '../formats/codec.js';
import { kallsyms, kallsymsCovering, modules, pidMax, processSnapshot, type Sym } from './snapshot.js';
import { prepareOutDir, replaceFile } from './outdir.js';
import { PROGRAMS, type BpfObject } from './bpf.js';
import { FAMILIES } from '../families/index.js';
import type { FinishCtx, RecordSettings } from '../families/family.js';
import { LossTracker } from './losses.js';
import type { RecordOptions } from './recorder.js';
import type { Flight } from './flight.js';
import { fmtBytes } from '../formats/units.js';

/** A row of the stats table. */
export type StatRow = { name: string; cpu: number | null; value: bigint };

/** Why recording stopped (manifest.stop_reason, summary). */
export type StopReason = 'duration' | 'command exited' | 'SIGINT' | 'SIGTERM' | 'max-size' | 'max-dumps' | 'disk full' | 'write error' | 'error';

const SETPRIV = '/usr/bin/setpriv';
/** disk held back while recording so that the final manifest fits when the disk fills */
const RESERVE_BYTES = 64 << 10;
/** batch rows of the tables of families not recorded (rows reach them only through alsoWhen programs) */
const UNRECORDED_BATCH_ROWS = 1024;

export class Recording {
  sink: CaptureSink;
  readonly writers: Record<string, TableWriter> = {};
  /** the same writers as a list, for the drain loop's walks (Object.values of a many-keyed object costs a key walk each tick) */
  readonly writerList: TableWriter[] = [];
  /** every table writer, event and metadata, by table */
  readonly all = new Map<string, TableWriter>();
  readonly anchors: TableWriter;
  readonly losses: LossTracker;
  readonly decoder: Decoder;
  ring!: Pick<Ring, 'drain' | 'buf' | 'close'>;
  child: ChildProcess | null = null;
  childExit: Promise<number | null> | null = null;
  stopReason: StopReason | null = null;
  /** an unexpected error in the loop: rethrown once the capture is closed */
  error: unknown = null;
  /** bytes of the fixed metadata written at start (snapshot, symbols, modules, manifest) */
  fixedBytes = 0;
  kallsymsBytes = 0;
  private readonly limit: number;

  /** the programs were (being) attached: from then on the capture is kept whatever happens */
  started = false;
  /** the loaded BPF object (set once loaded; the capture files exist before) */
  bpf!: BpfObject;
  /** --ring/--rotate */
  flight: Flight | null = null;
  /** SIGUSR1 came: the main loop dumps (--ring) or rotates (--rotate) */
  usr1 = false;

  /** After SIGUSR1: dump (--ring) or rotate (--rotate) now. */
  takeUsr1(): 'max-dumps' | null {
    if (!this.usr1 || !this.flight) return null;
    this.usr1 = false;
    return this.flight.signal();
  }

  /** kernel symbols (--kallsyms full) and modules as read at start: every part and dump of --ring/--rotate gets them */
  syms: Sym[] = [];
  mods: ReturnType<typeof modules> = [];
  /** counters at the start of the current part (the part's summary is the difference) */
  private base = { events: new Float64Array(W.KT_KIND_MAX), lost: 0, gaps: 0 };

  constructor(
    readonly o: RecordOptions,
    public dir: string,
    readonly manifest: Manifest,
  ) {
    this.sink = new CaptureSink(dir, o.compress ?? DEFAULT_CODEC);
    this.sink.reserveSpace(RESERVE_BYTES);
    // a family not recorded has its (empty) tables with small batches: no columns of --batch-rows rows
    const rows = (group?: string) => (group === undefined || o.events.includes(group) ? o.batchRows : UNRECORDED_BATCH_ROWS);
    for (const t of TABLES) if (t.role === 'event' && !notInFormat(t, FORMAT_VERSION)) this.writers[t.name] = this.table(t.name, rows(t.group));
    this.writerList.push(...Object.values(this.writers));
    this.anchors = this.table('clock_anchors', 4096);
    this.decoder = new Decoder(this.writers, pidMax());
    this.losses = new LossTracker(this.decoder, this.table('losses', 4096));
    this.limit = o.maxSizeMb ? o.maxSizeMb * 1024 * 1024 : Infinity;
  }

  /** A table's writer; a table of a family not recorded gets its file with its first batch, if any. */
  table(name: string, capacity: number): TableWriter {
    const group = TABLE_BY_NAME.get(name)?.group;
    const recorded = group === undefined || this.o.events.includes(group);
    const w = new TableWriter(this.dir, name, Math.max(1, capacity), this.sink, recorded);
    this.all.set(name, w);
    return w;
  }

  anchor(reason: string) {
    const c = readClocks();
    this.anchors.push({ boottime_ns: c.boottime, monotonic_ns: c.monotonic, realtime_ns: c.realtime, reason });
    return c;
  }

  /** Replace manifest.json; false (and the old one kept) if it cannot be written. */
  writeManifest(m: Manifest = this.manifest, sync = true): boolean {
    try {
      const n = replaceFile(this.dir, MANIFEST_FILE, JSON.stringify(m, null, 2), sync);
      this.sink.bytes += n - this.sink.manifestBytes;
      this.sink.manifestBytes = n;
      return true;
    } catch (e) {
      this.sink.fail(join(this.dir, MANIFEST_FILE), e);
      return false;
    }
  }

  /** Bytes the capture directory holds, counting rows not yet written out. */
  size(): number {
    let s = this.sink.bytes;
    for (const w of this.all.values()) s += w.pendingBytes;
    return s;
  }

  /** The reason to stop now: a failed write, or --max-size reached. */
  mustStop(): StopReason | null {
    if (this.sink.failure) return this.sink.failure.code === 'E_DISK_FULL' ? 'disk full' : 'write error';
    if (this.size() < this.limit) return null;
    // the rows not yet written count at an estimate (compression makes it high): write them, then decide
    for (const w of this.all.values()) w.flush();
    if (this.sink.failure) return this.mustStop();
    return this.size() >= this.limit ? 'max-size' : null;
  }

  /** bytes the last drain() moved */
  drained = 0;

  /** Drain the ring into the tables; stops early (returning why) when recording must stop. */
  drain(maxRounds: number, check = true): StopReason | null {
    this.drained = 0;
    for (let i = 0; i < maxRounds; i++) {
      const n = this.ring.drain();
      if (n === 0) break;
      this.drained += n;
      this.take(n);
      this.rotate();
      const why = check ? this.mustStop() : null;
      if (why) return why;
    }
    return null;
  }

  /**
   * `ktape record --upload`: is the upload spool (the capture's bytes not yet acked) over --spool-max?
   * While it is, drained events are counted in losses (`spool_full`, with their window), not written.
   */
  spoolFull: (() => boolean) | null = null;
  private spoolDropping = false;

  /** Decode `n` drained bytes, or count them lost while the upload spool is full. */
  private take(n: number): void {
    if (this.spoolFull?.()) {
      this.losses.drop(this.ring.buf, n);
      this.spoolDropping = true;
      return;
    }
    this.endSpoolLoss();
    this.decoder.decode(this.ring.buf, n);
  }

  /** The events dropped while the spool was full, as losses rows. */
  endSpoolLoss(): void {
    if (this.spoolDropping) this.losses.flushDropped('spool_full');
    this.spoolDropping = false;
  }

  /** Start a new segment of each table grown past --segment-mb. */
  private rotate(): void {
    const max = this.o.segmentMb * 1024 * 1024;
    for (const w of this.writerList) if (w.bytes - w.closedBytes > max) w.rotate();
  }

  /**
   * Kernel symbols (--kallsyms full) and modules, complete and fsync'd, before
   * attaching (they take ~0.5 s, which would otherwise lengthen the capture).
   * Returns false when they alone exceed --max-size.
   */
  writeKernelMetadata(): boolean {
    if (this.o.kallsyms === 'full') this.syms = kallsyms();
    this.mods = modules();
    this.writeKernelTables((name, n) => this.table(name, n));
    this.fixedBytes = this.sink.bytes;
    return this.fixedBytes < this.limit;
  }

  /** The kernel symbols (--kallsyms full) and modules read at start, into the tables `table` makes. */
  writeKernelTables(table: (name: string, capacity: number) => TableWriter): void {
    if (this.o.kallsyms === 'full') this.kallsymsBytes = this.writeSymbols(this.syms, table);
    const modW = table('modules', this.mods.length);
    for (const m of this.mods) modW.builder.push(m as never);
    modW.close();
  }

  /** The process snapshot, complete and fsync'd (after attach: no gap for tasks created meanwhile). */
  writeSnapshot(sync = true): void {
    const snap = processSnapshot(readClocks().boottime);
    const snapW = this.table('process_snapshot', snap.length);
    for (const r of snap) snapW.builder.push(r as never);
    snapW.close(sync);
    this.fixedBytes = this.sink.bytes;
  }

  /** Remove every file written so far (nothing was recorded). */
  discard(): void {
    for (const w of this.all.values()) {
      w.close();
      for (const f of w.files) rmSync(join(this.dir, f), { force: true });
    }
    rmSync(join(this.dir, MANIFEST_FILE), { force: true });
    this.sink.unreserve();
  }

  private writeSymbols(keep: Sym[], table = (name: string, n: number) => this.table(name, n)): number {
    const symW = table('kallsyms', keep.length);
    for (const s of keep) symW.builder.push(s as never);
    symW.close();
    return symW.bytes;
  }

  /**
   * Start the command, held until its pid is in the filter. setpriv gives it
   * a parent-death signal (the recorder killed with -9 takes it along); if
   * the recorder dies before releasing it, it never runs.
   */
  spawnWorkload(follow: boolean): void {
    const argv = this.o.command!;
    const uid = process.env.SUDO_UID ? Number(process.env.SUDO_UID) : undefined;
    const gid = process.env.SUDO_GID ? Number(process.env.SUDO_GID) : undefined;
    const sh = ['/bin/sh', '-c', 'read _ <&3 || exit 125; exec 3<&-; exec "$@"', 'sh', ...argv];
    const [cmd, ...args] = existsSync(SETPRIV) ? [SETPRIV, '--pdeathsig', 'TERM', ...sh] : sh;
    const c = spawn(cmd, args, { stdio: ['inherit', 'inherit', 'inherit', 'pipe'], uid, gid });
    this.child = c;
    this.childExit = new Promise((resolve) => {
      c.on('exit', (code, sig) => resolve(code ?? (sig ? 128 + ((osConstants.signals as Record<string, number>)[sig] ?? 0) : null)));
      c.on('error', () => resolve(127));
    });
    if (c.pid) {
      if (follow) this.bpf.addTgid(c.pid);
      this.manifest.workload!.pid = c.pid;
      this.writeManifest();
    }
    (c.stdio[3] as NodeJS.WritableStream).end('go\n');
  }

  /**
   * After --max-size: drain what the ring still holds while the capture stays
   * within the limit plus a slack of one round or so; the rest is counted in
   * losses ('max_size'), not written.
   */
  private drainBounded(): void {
    const slack = Math.max(1 << 20, this.limit / 16);
    for (let i = 0; i < 1 << 20; i++) {
      const n = this.ring.drain();
      if (n === 0) break;
      if (this.size() < this.limit + slack) this.decoder.decode(this.ring.buf, n);
      else this.losses.drop(this.ring.buf, n);
    }
    this.losses.flushDropped('max_size');
  }

  /** Detach, drain what the ring holds, end a command still running. */
  stopKernel(): bigint {
    this.bpf.detach();
    const end = this.anchor('end');
    this.endSpoolLoss();
    if (this.stopReason === 'max-size') this.drainBounded();
    else if (!this.sink.failure) this.drain(1 << 20, false);
    this.endSpoolLoss();
    this.losses.poll(this.bpf);
    const c = this.child;
    // recording stopped before the command (--duration, --max-size, signal, disk full): end it, as perf does
    if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    return end.boottime;
  }

  /** The stats table: event counts, kernel counters, recorder CPU, BPF program stats. */
  writeStats(cpuUse: NodeJS.CpuUsage, endTs: bigint, statsFdOn: boolean): TableWriter {
    const statsW = this.table('stats', 1024);
    for (const r of this.statRows(cpuUse, statsFdOn)) statsW.push(r);
    for (const a of this.bpf.attached) {
      const ps = progStats(a.fd);
      const p = PROGRAMS[a.name];
      if (!ps || !p || p.nested) continue;
      // A kind with a *_nested program has the skipped events recorded by it instead; what it could not is lost.
      const saved = this.bpf.statTotal(W.KT_STAT_RESCUED + p.kind) ?? 0n;
      this.losses.recursion(p.kind, ps.recursionMisses - saved, BigInt(this.manifest.start_ts), endTs);
    }
    return statsW;
  }

  /**
   * The stats table's rows: the counters since recording began (every row but ring_buffer_bytes counts), with
   * `cpuUse` as the recorder's CPU. A flight recorder's part or dump has the difference of two (record/flight.ts).
   */
  statRows(cpuUse: NodeJS.CpuUsage, statsFdOn: boolean): StatRow[] {
    const rows: StatRow[] = [];
    const stat = (name: string, value: number | bigint, cpu: number | null = null) => rows.push({ name, cpu, value: BigInt(value) });
    const d = this.decoder.stats;
    for (let k = 1; k < W.KT_KIND_MAX; k++) if (d.events[k]) stat(`events.${KIND_NAMES[k]}`, d.events[k]);
    stat('malformed_records', d.malformed);
    stat('sched_switch_kernel_gaps', this.losses.gaps);
    for (const [name, idx] of [
      ['stack_collisions', W.KT_STAT_STACK_COLLISION],
      ['stack_errors', W.KT_STAT_STACK_ERROR],
      ['filter_full', W.KT_STAT_FILTER_FULL],
      ['sched_wait_unpaired', W.KT_STAT_SCHED_UNPAIRED],
    ] as const) {
      const tot = this.bpf.statTotal(idx);
      if (tot !== null) stat(name, tot);
    }
    for (const [k, v] of this.losses.ringPrev) stat(`lost.${KIND_NAMES[Number(k.split(':')[1])]}`, v.count, Number(k.split(':')[0]));
    stat('recorder_cpu_ns', (cpuUse.user + cpuUse.system) * 1000);
    stat('recorder_user_ns', cpuUse.user * 1000);
    stat('recorder_system_ns', cpuUse.system * 1000);
    stat('ring_buffer_bytes', this.o.bufferMb * 1024 * 1024);
    const statsOn = statsFdOn || readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1';
    for (const a of this.bpf.attached) {
      const ps = progStats(a.fd);
      if (!ps) continue;
      if (statsOn) {
        stat(`bpf.${a.name}.run_time_ns`, ps.runTimeNs);
        stat(`bpf.${a.name}.run_cnt`, ps.runCnt);
      }
      stat(`bpf.${a.name}.recursion_misses`, ps.recursionMisses);
      const p = PROGRAMS[a.name];
      if (!p || p.nested) continue;
      const saved = this.bpf.statTotal(W.KT_STAT_RESCUED + p.kind) ?? 0n;
      if (saved) stat(`rescued.${KIND_NAMES[p.kind]}`, saved);
    }
    stat('ring_records_malformed', d.malformed);
    return rows;
  }

  /** Each family's end-of-recording metadata (the kmem stacks); returns the kernel addresses they hold. */
  finishFamilies(settings: RecordSettings, table = (name: string, n: number) => this.table(name, n)): Set<bigint> {
    const { L } = this.bpf;
    const ips = new Set<bigint>();
    const x: FinishCtx = {
      settings,
      mapFd: (name) => this.bpf.mapFd(name),
      forEachEntry: (fd, keySize, value, fn) => {
        const cur = Buffer.alloc(keySize),
          next = Buffer.alloc(keySize);
        let have = false;
        while (L.bpf_map_get_next_key(fd, have ? cur : null, next) === 0) {
          next.copy(cur);
          have = true;
          if (L.bpf_map_lookup_elem(fd, cur, value) === 0) fn(cur);
        }
      },
      table,
    };
    for (const f of FAMILIES) for (const ip of f.finish?.(x) ?? []) ips.add(ip);
    return ips;
  }

  /** The columns of the recorded families' event tables that hold kernel addresses (--kallsyms used). */
  addressColumns(): [string, string][] {
    return FAMILIES.filter((f) => this.o.events.includes(f.name)).flatMap((f) => f.kernelAddressColumns ?? []);
  }

  /** the values of addressColumns(), noted as their batches are written (after noteAddresses()) */
  readonly addresses = new AddressSet();

  /** Note the values of addressColumns() batch by batch, for writeUsedSymbols() at the end (no reading back). */
  noteAddresses(): void {
    const cols = new Map<string, string[]>();
    for (const [t, c] of this.addressColumns()) cols.set(t, [...(cols.get(t) ?? []), c]);
    for (const [t, columns] of cols) this.writers[t].noteAddresses = { columns, addresses: this.addresses };
  }

  /**
   * --kallsyms used: the symbols covering `stackIps`, the addresses noted (noteAddresses()) and those of
   * addressColumns() read back from `dir` with `readTable` (a part or dump of --ring/--rotate); /proc/kallsyms
   * is not read when there is none.
   */
  writeUsedSymbols(stackIps: Set<bigint>, readTable: typeof ReadTable | null, dir = this.dir, table = (name: string, n: number) => this.table(name, n)): void {
    const addrs = new Set(stackIps);
    for (const a of this.addresses.values()) addrs.add(a);
    for (const [t, column] of readTable ? this.addressColumns() : []) {
      for (const b of readTable!(dir, t).batches) {
        const cs = b.getChild(column)!.toArray() as BigUint64Array;
        for (const a of cs) addrs.add(a);
      }
    }
    this.kallsymsBytes = this.writeSymbols(kallsymsCovering(addrs), table);
  }

  /** Events per kind of the recorded groups (since the current part began, with `sincePart`). */
  events(sincePart = false): Record<string, number> {
    const events: Record<string, number> = {};
    const base = sincePart ? this.base.events : null;
    for (let k = 1; k < W.KT_KIND_MAX; k++)
      if (this.o.events.includes(GROUP_OF_KIND[k])) events[KIND_NAMES[k]] = this.decoder.stats.events[k] - (base?.[k] ?? 0);
    return events;
  }

  /**
   * End the current part of --ring/--rotate: its tables closed (fsync'd unless `sync` is false), its manifest
   * complete, with the part's own counts (`stats`: its stats rows, asked for once the losses are read); returns that
   * manifest. The kernel side goes on.
   */
  endPart(reason: string, sync: boolean, stats: () => StatRow[]): Manifest {
    const end = this.anchor('end');
    this.losses.poll(this.bpf);
    this.partStats(this.table('stats', 256), stats());
    for (const w of this.all.values()) w.close(sync);
    const eventBytes = Object.values(this.writers).reduce((s, w) => s + w.bytes, 0);
    const m: Manifest & { stop_reason?: string } = structuredClone(this.manifest);
    m.tables = this.tablesEntry();
    m.end_ts = Number(end.boottime);
    m.stop_reason = reason;
    m.complete = !this.sink.failure;
    m.summary = { events: this.events(true), lost: this.losses.total - this.base.lost, kernel_gaps: this.losses.gaps - this.base.gaps, bytes: eventBytes };
    this.sink.unreserve();
    this.writeManifest(m, sync);
    return m;
  }

  /** A part's or dump's stats table: its own counts (record/flight.ts: the difference of statRows() at its ends). */
  partStats(w: TableWriter, rows: StatRow[]): void {
    for (const r of rows) w.push(r);
    w.close();
  }

  /**
   * Begin the next part in the new directory `dir` where the previous one ended (`startTs`: what the kernel
   * side records meanwhile is drained into this one); the streams go on there. `full`: a part of its own, with
   * its kernel symbols and modules, fsync'd; else a flight recorder's scratch part.
   */
  startPart(dir: string, startTs: number, full: boolean): void {
    prepareOutDir(dir);
    this.dir = dir;
    this.sink = new CaptureSink(dir, this.o.compress ?? DEFAULT_CODEC);
    this.sink.reserveSpace(RESERVE_BYTES);
    const going = [...Object.values(this.writers), this.anchors, this.all.get('losses')!];
    this.all.clear();
    for (const w of going) {
      w.moveTo(dir, this.sink);
      this.all.set(w.table, w);
    }
    this.base = { events: Float64Array.from(this.decoder.stats.events), lost: this.losses.total, gaps: this.losses.gaps };
    this.anchor('start');
    this.manifest.start_ts = startTs;
    if (full) this.writeKernelTables((name, n) => this.table(name, n));
    if (this.writeManifest(this.manifest, full)) this.writeSnapshot(full);
  }

  /** The manifest's table list: rows of the batches written whole, and their files. */
  tablesEntry(): Manifest['tables'] {
    const out: Manifest['tables'] = {};
    for (const t of TABLES) {
      const w = this.all.get(t.name);
      if (w?.files.length) out[t.name] = { rows: w.rows, files: [...w.files] };
    }
    return out;
  }

  progress(t0: bigint): void {
    const n = this.decoder.stats.events.reduce((a, b) => a + b, 0);
    const el = Number(process.hrtime.bigint() - t0) / 1e9;
    process.stderr.write(`\rktape: recording ${el.toFixed(0)} s, ${n.toLocaleString('en-US')} events, ${fmtBytes(this.size())}, lost ${this.losses.total}   `);
  }
}
