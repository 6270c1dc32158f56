/**
 * `ktape record`: load and attach the BPF programs, stream events into a
 * capture directory, stop cleanly, write the self-contained metadata.
 * However recording ends (signal, kill -9, disk full, --max-size) the
 * capture keeps every complete batch and `ktape analyze` reads it.
 */
import { accessSync, closeSync, constants, existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import * as W from '../formats/gen/events.gen.js';
import { BpfError, KtapeError, UnsupportedError, UsageError } from '../formats/errors.js';
import { FORMAT_NAME, FORMAT_VERSION, type EventGroup, type Manifest } from '../formats/schema.js';
import { libbpf } from './libbpf.js';
import { Ring } from './ring.js';
import { hostFacts } from './snapshot.js';
import { KTAPE_VERSION, pkgPath } from './paths.js';
import { fmtBytes } from '../formats/units.js';
import { prepareOutDir } from './outdir.js';
import { BpfObject, type BpfConfig } from './bpf.js';
import type { RecordSettings } from '../families/family.js';
import { Recording, type StopReason } from './session.js';
import { StopSignals } from './signals.js';
import { type CodecName, DEFAULT_CODEC } from '../formats/codec.js';
import { Flight, type FlightOptions } from './flight.js';
import { mark } from './phases.js';
import { Trimmer } from './malloc-trim.js';

export { UNKNOWN_CPU } from './losses.js';
export type { StopReason } from './session.js';

export interface RecordOptions {
  out?: string;
  durationS?: number;
  events: EventGroup[];
  pids: number[];
  comm?: string;
  bufferMb: number;
  maxSizeMb?: number;
  systemWide: boolean;
  command?: string[];
  kallsyms: 'full' | 'used';
  kmemStacks: boolean;
  /** pair waits and sleeps in the kernel and flag migrations (sched_switch.next_wait_ns and next_flags, sched_waking.slept_ns) */
  schedWait: boolean;
  /** frames kept per allocation stack (1..KT_STACK_DEPTH); the kernel walks no further */
  stackDepth?: number;
  bpfStats: boolean;
  drainMs: number;
  segmentMb: number;
  batchRows: number;
  /** Arrow IPC body compression of the table files (default DEFAULT_CODEC; 'none': uncompressed) */
  compress?: CodecName;
  quiet: boolean;
  commandLine: string[];
  /** --ring or --rotate (record/flight.ts) */
  flight?: FlightOptions;
  /** called once recording is live (tests, workload start) */
  onReady?: () => void;
  /** `--upload`: ship the capture to a collector while it is recorded (ship/follow.ts) */
  upload?: UploadSettings;
}

export interface UploadSettings {
  url: URL;
  token: string;
  /** --spool-max: bytes recorded and not yet acked above which events are dropped (and counted) */
  spoolMaxBytes: number;
  /** --upload-wait: how long the end of the recording waits for the collector */
  waitMs: number;
}

export interface RecordResult {
  dir: string;
  manifest: Manifest;
  events: Record<string, number>;
  lost: number;
  lossesByKind: Record<string, number>;
  /** switches the kernel did not report (inferred from broken per-CPU switch sequences) */
  kernelGaps: number;
  bytes: number;
  durationNs: number;
  exitCode: number | null;
  /** why recording stopped: duration, command exited, SIGINT, SIGTERM, max-size (manifest.stop_reason) */
  stopReason: StopReason;
  /** events lost per reason (ringbuf_full, bpf_recursion); kernel gaps are kernelGaps */
  lossesByReason: Record<string, number>;
  /** --max-size in bytes, if given */
  maxSizeBytes: number | null;
  /** bytes of the whole capture directory (tables, metadata, manifest) */
  totalBytes: number;
  /** --ring: the dumps written; --rotate: the parts on disk */
  dumps: string[];
  parts: string[];
  /** --upload: where it went, and why it did not all arrive (null: it did) */
  upload: { target: string; error: string | null } | null;
}

const CAP_SYS_ADMIN = 21,
  CAP_PERFMON = 38,
  CAP_BPF = 39;

/** One clear line about what is missing, before touching the kernel. */
export function preflight(): void {
  const status = readFileSync('/proc/self/status', 'utf8');
  const capEff = BigInt(`0x${/^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? '0'}`);
  const has = (c: number) => (capEff >> BigInt(c)) & 1n;
  if (!has(CAP_SYS_ADMIN) && !(has(CAP_BPF) && has(CAP_PERFMON)))
    throw new UnsupportedError('E_NO_CAPS', 'recording needs CAP_BPF and CAP_PERFMON (or root): run `sudo ktape record ...`');
  try {
    accessSync('/sys/kernel/btf/vmlinux', constants.R_OK);
  } catch {
    throw new UnsupportedError('E_NO_BTF', 'recording needs kernel BTF at /sys/kernel/btf/vmlinux (CONFIG_DEBUG_INFO_BTF=y); this kernel has none');
  }
}

function defaultOut(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `ktape-${hostname()}-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Check the options that need no kernel; returns the BPF configuration. */
function bpfConfig(o: RecordOptions): BpfConfig {
  const ringBytes = o.bufferMb * 1024 * 1024;
  if (!Number.isInteger(o.bufferMb) || o.bufferMb < 1 || (ringBytes & (ringBytes - 1)) !== 0)
    throw new UsageError(`--buffer-mb ${o.bufferMb}: must be a power of two between 1 and 2048`);
  const stackDepth = o.stackDepth ?? W.KT_STACK_DEPTH;
  if (!Number.isInteger(stackDepth) || stackDepth < 1 || stackDepth > W.KT_STACK_DEPTH)
    throw new UsageError(`--stack-depth ${stackDepth}: must be an integer between 1 and ${W.KT_STACK_DEPTH}`);
  const filterTgids = o.pids.length > 0 || (!!o.command && !o.systemWide);
  const follow = !!o.command && !o.systemWide;
  return { events: o.events, comm: o.comm, kmemStacks: o.kmemStacks, schedWait: o.schedWait, stackDepth, ringBytes, filterTgids, follow };
}

function startManifest(o: RecordOptions, c: BpfConfig): Manifest {
  return {
    format: FORMAT_NAME,
    format_version: FORMAT_VERSION,
    wire_version: W.KT_WIRE_VERSION,
    complete: false,
    ktape_version: KTAPE_VERSION,
    command_line: o.commandLine,
    host: hostFacts(),
    options: {
      events: o.events,
      tgids: o.pids,
      comm: o.comm ?? null,
      follow_children: c.follow,
      system_wide: !c.filterTgids,
      buffer_mb: o.bufferMb,
      kallsyms: o.kallsyms,
      kmem_stacks: o.kmemStacks,
      // no sched_wait table from format 1.9 on (schema.ts): older readers derive the waits
      sched_wait: false,
      paired_waits: o.schedWait,
      compress: o.compress ?? DEFAULT_CODEC,
    },
    recorder_tgid: process.pid,
    start_ts: 0,
    end_ts: null,
    workload: o.command ? { argv: o.command, pid: 0, exit_code: null } : null,
    tables: {},
    summary: null,
  };
}

/** the longest wait between drains of an idle ring */
const IDLE_DRAIN_MS = 100;

/** Record until a stop condition; resolves with why it stopped. */
function mainLoop(rec: Recording, signals: StopSignals, t0: bigint): Promise<StopReason> {
  const o = rec.o;
  const isTTY = process.stderr.isTTY && !o.quiet;
  return new Promise<StopReason>((resolve) => {
    let lastSecond = Date.now();
    // malloc's freed memory goes back to the kernel every TRIM_MS, in every recording (--ring/--rotate too)
    const trimmer = new Trimmer(lastSecond);
    let done = false;
    const stop = (why: StopReason) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (durationTimer) clearTimeout(durationTimer);
      signals.stopping();
      resolve(why);
    };
    const tick = () => {
      const why = rec.drain(64);
      if (why) return stop(why);
      const fl = rec.flight ? (rec.flight.tick() ?? rec.takeUsr1()) : null;
      if (fl) return stop(fl);
      const now = Date.now();
      for (const w of rec.writerList) if (now - w.lastFlush > 1000) w.flush();
      if (now - lastSecond >= 1000) {
        lastSecond = now;
        rec.losses.poll(rec.bpf);
        rec.anchor('periodic');
        rec.anchors.flush();
        rec.all.get('losses')!.flush();
        rec.endSpoolLoss(); // events dropped while the upload spool is full: a losses row per second
        if (isTTY) rec.progress(t0);
      }
      trimmer.tick(now);
      const late = rec.mustStop();
      if (late) stop(late);
    };
    // An idle ring is drained less often, down to every idleMs (a larger ring absorbs a burst for
    // longer); a drain that moves more than 1/64 of the ring goes back to every drainMs.
    const idleMs = Math.min(IDLE_DRAIN_MS, o.drainMs * Math.max(1, Math.floor(o.bufferMb / 8)));
    let delay = o.drainMs;
    let timer = setTimeout(function loop() {
      try {
        tick();
        delay = rec.drained > (o.bufferMb << 20) / 64 ? o.drainMs : Math.min(idleMs, delay * 2);
      } catch (e) {
        rec.error = e;
        stop('error');
      }
      if (!done) timer = setTimeout(loop, delay);
    }, delay);
    const durationTimer = o.durationS ? setTimeout(() => stop('duration'), o.durationS * 1000) : null;
    signals.onStop((why) => stop(why as StopReason));
    rec.childExit?.then((code) => {
      if (rec.manifest.workload) rec.manifest.workload.exit_code = code;
      stop('command exited');
    });
    const early = rec.mustStop();
    if (early) setImmediate(() => stop(early));
  });
}

/** After the kernel side stopped: stats, stacks, symbols, closed tables, final manifest. */
function finish(rec: Recording, endTs: bigint, cpuUse: NodeJS.CpuUsage, statsFdOn: boolean, settings: RecordSettings): void {
  const failed = () => !!rec.sink.failure;
  const statsW = failed() ? null : rec.writeStats(cpuUse, endTs, statsFdOn);
  rec.all.get('losses')!.close();
  const stackIps = failed() ? new Set<bigint>() : rec.finishFamilies(settings);
  for (const w of Object.values(rec.writers)) w.close();
  rec.anchors.close();
  if (rec.o.kallsyms === 'used' && !failed()) rec.writeUsedSymbols(stackIps, null);
  const eventBytes = Object.values(rec.writers).reduce((s, w) => s + w.bytes, 0);
  if (statsW) {
    statsW.push({ name: 'bytes_written', cpu: null, value: BigInt(eventBytes) });
    statsW.close();
  }
  const m = rec.manifest as Manifest & { stop_reason?: string };
  m.tables = rec.tablesEntry();
  m.end_ts = Number(endTs);
  m.stop_reason = rec.stopReason ?? 'error';
  m.complete = !failed();
  m.summary = { events: rec.events(), lost: rec.losses.total, kernel_gaps: rec.losses.gaps, bytes: eventBytes };
  rec.sink.unreserve(); // the disk held back for this manifest
  rec.writeManifest(); // if it cannot be written, the previous one stays and endError() says why
}

/** The error record() ends with after a clean stop, if any (disk full, internal). */
function endError(rec: Recording): unknown {
  if (rec.error) return rec.error;
  const f = rec.sink.failure;
  if (f) return new KtapeError(f.code, `${f.message}: recording stopped; ${rec.dir} keeps every batch written before (analyze it as it is)`, 1);
  return null;
}

function metadataTooBig(rec: Recording): UsageError {
  const fix =
    rec.o.kallsyms === 'full' ? ` (kernel symbols ${fmtBytes(rec.kallsymsBytes)}): use --kallsyms used, or a larger --max-size` : '; use a larger --max-size';
  return new UsageError(
    `--max-size ${rec.o.maxSizeMb}: the capture's fixed metadata alone takes ${fmtBytes(rec.fixedBytes)}${fix}; nothing was recorded`,
    'E_MAX_SIZE',
  );
}

export async function record(o: RecordOptions): Promise<RecordResult> {
  preflight();
  const objPath = pkgPath('bpf/ktape.bpf.o');
  if (!existsSync(objPath)) throw new BpfError('E_BPF_OBJECT_MISSING', `loading ${objPath}: not built; run \`npm run build\``);
  const cfg = bpfConfig(o);
  if (o.upload) await uploadHello(o.upload);
  const dir = o.out ?? defaultOut();
  prepareOutDir(dir);
  // --ring/--rotate: the recording is parts inside dir (record/flight.ts)
  const first = o.flight ? Flight.firstDir(dir, o.flight) : dir;
  if (o.flight) prepareOutDir(first);
  // Stop requests that arrive while loading are honoured as soon as recording starts.
  const signals = new StopSignals(o.quiet);
  // Every table file exists, with its schema, from the start; manifest.json appears once the
  // programs are attached (its presence means recording is live).
  mark('cli, out dir');
  const rec = new Recording(o, first, startManifest(o, cfg));
  mark('table writers');
  const onUsr1 = () => {
    rec.usr1 = true;
  };
  if (o.flight) process.on('SIGUSR1', onUsr1);
  let statsFd = -1;
  try {
    if (o.flight) rec.flight = new Flight(rec, o.flight, dir, cfg);
    if (rec.sink.failure) throw nothingRecorded(rec);
    rec.bpf = new BpfObject(objPath);
    rec.bpf.load(cfg);
    mark('bpf load');
    // --max-size is checked after every drain round: small rounds keep the overshoot small
    const round = o.maxSizeMb ? Math.min(8 << 20, Math.max(256 << 10, (o.maxSizeMb << 20) / 32)) : 8 << 20;
    rec.ring =
      process.env.KTAPE_RING === 'js'
        ? new (await import('./ring-js.js')).JsRing(rec.bpf.fds.ring, cfg.ringBytes, round)
        : new Ring(rec.bpf.fds.ring, cfg.ringBytes, round);
    mark('ring map');
    for (const p of o.pids) rec.bpf.addTgid(p);
    if (o.bpfStats) statsFd = libbpf().bpf_enable_stats(0 /* BPF_STATS_RUN_TIME */);
    if (!rec.writeKernelMetadata() || rec.sink.failure) throw rec.sink.failure ? nothingRecorded(rec) : metadataTooBig(rec);
    mark('kernel metadata');
    return await run(rec, signals, cfg, statsFd >= 0);
  } catch (e) {
    if (!rec.started) rec.discard(); // failed before recording anything: leave no capture behind
    throw e;
  } finally {
    process.off('SIGUSR1', onUsr1);
    signals.dispose();
    rec.ring?.close();
    rec.bpf?.close();
    if (statsFd >= 0) closeSync(statsFd);
  }
}

function nothingRecorded(rec: Recording): KtapeError {
  const f = rec.sink.failure!;
  return new KtapeError(f.code, `${f.message}: nothing was recorded`, 1);
}

async function run(rec: Recording, signals: StopSignals, cfg: BpfConfig, statsFdOn: boolean): Promise<RecordResult> {
  const { o, bpf, manifest } = rec;
  // --kallsyms used: the kernel addresses recorded are noted as batches are written; a part or dump of
  // --ring/--rotate reads its own back (the reader, and the manifest schema, only then)
  if (o.kallsyms === 'used' && !rec.flight) rec.noteAddresses();
  if (rec.flight && o.kallsyms === 'used' && rec.addressColumns().length) rec.flight.readTable = (await import('../formats/reader.js')).readTable;
  manifest.start_ts = Number(rec.anchor('start').boottime);
  const startTs = manifest.start_ts;
  rec.started = true;
  bpf.attach();
  mark('attach');
  rec.flight?.started();
  if (rec.writeManifest()) rec.writeSnapshot(); // the snapshot after attach: no gap for tasks created meanwhile
  mark('snapshot');
  const follower = o.upload ? await startUpload(rec, o.upload) : null;
  if (o.command && !rec.mustStop()) rec.spawnWorkload(cfg.follow);
  o.onReady?.();
  mark('spawn');
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  rec.stopReason = await mainLoop(rec, signals, t0);
  if (process.stderr.isTTY && !o.quiet) process.stderr.write('\n');
  mark('loop');
  const endTs = rec.stopKernel();
  mark('stop kernel');
  if (rec.flight) return flightResult(rec, rec.flight.end(rec.stopReason), startTs, endTs);
  finish(rec, endTs, process.cpuUsage(cpu0), statsFdOn, cfg);
  mark('finish');
  const err = endError(rec);
  const upload = follower ? await finishUpload(follower, o.upload!) : null;
  if (err) throw err;
  const s = manifest.summary!;
  return {
    dir: rec.dir,
    manifest,
    dumps: [],
    parts: [],
    events: s.events,
    lost: s.lost,
    lossesByKind: rec.losses.byKind,
    lossesByReason: rec.losses.byReason,
    kernelGaps: s.kernel_gaps,
    bytes: s.bytes,
    durationNs: manifest.end_ts! - manifest.start_ts,
    exitCode: manifest.workload?.exit_code ?? null,
    stopReason: rec.stopReason,
    maxSizeBytes: o.maxSizeMb ? o.maxSizeMb * 1024 * 1024 : null,
    totalBytes: rec.sink.bytes,
    upload,
  };
}

/** What --ring/--rotate recorded: the whole recording's counts, the dumps or the parts on disk. */
function flightResult(rec: Recording, last: Manifest, startTs: number, endTs: bigint): RecordResult {
  const err = endError(rec);
  if (err) throw err;
  const fl = rec.flight!;
  return {
    dir: fl.root,
    manifest: last,
    dumps: fl.dumps,
    parts: fl.partDirs,
    events: rec.events(),
    lost: rec.losses.total,
    lossesByKind: rec.losses.byKind,
    lossesByReason: rec.losses.byReason,
    kernelGaps: rec.losses.gaps,
    bytes: Object.values(rec.writers).reduce((s, w) => s + w.bytes, 0),
    durationNs: Number(endTs) - startTs,
    exitCode: last.workload?.exit_code ?? null,
    stopReason: rec.stopReason!,
    maxSizeBytes: null,
    totalBytes: rec.sink.bytes,
    upload: null,
  };
}

const uploadLog = (line: string) => process.stderr.write(`${process.stderr.isTTY ? '\n' : ''}ktape: ${line}\n`);

/** Before recording: a wrong token is an error; an unreachable collector only a warning (the capture spools). */
async function uploadHello(u: UploadSettings): Promise<void> {
  const { Uploader, UploadError } = await import('../ship/uploader.js');
  try {
    await Uploader.hello(u.url, u.token);
  } catch (e) {
    if (!(e instanceof UploadError) || e.code !== 'E_UPLOAD_UNREACHABLE') throw e;
    uploadLog(`${e.message}; recording anyway, uploading once it answers`);
  }
}

/** Follow the capture to the collector from the first manifest on (the recording id comes from it). */
async function startUpload(rec: Recording, u: UploadSettings) {
  const { Follower } = await import('../ship/follow.js');
  const f = new Follower({ dir: rec.dir, url: u.url, token: u.token, log: uploadLog }, u.spoolMaxBytes);
  rec.sink.onBatch = () => f.notify();
  rec.spoolFull = () => {
    let written = 0;
    for (const w of rec.all.values()) written += w.bytes;
    return f.full(written);
  };
  f.start();
  return f;
}

/** After the final manifest: the rest of the upload; its failure is reported, the local capture stands. */
async function finishUpload(f: Awaited<ReturnType<typeof startUpload>>, u: UploadSettings): Promise<{ target: string; error: string | null }> {
  const target = `${u.url.href} as ${f.up.state.host}/${f.up.state.recording}`;
  try {
    await f.finish(u.waitMs);
    return { target, error: null };
  } catch (e) {
    if (e instanceof KtapeError) return { target, error: e.message };
    throw e;
  }
}
