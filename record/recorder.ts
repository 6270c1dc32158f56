/**
 * `ktape record`: load and attach the BPF programs, stream events into a
 * capture directory, stop cleanly, write the self-contained metadata.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync as closeFd, constants, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, openSync, closeSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { constants as osConstants } from 'node:os';
import * as W from '../formats/gen/events.gen.js';
import { BpfError, UnsupportedError, UsageError } from '../formats/errors.js';
import { FORMAT_NAME, FORMAT_VERSION, GROUP_OF_KIND, KIND_NAMES, MANIFEST_FILE, TABLES, type EventGroup, type Manifest } from '../formats/schema.js';
import { readTable } from '../formats/reader.js';
import { errno, libbpf, quietLibbpf, strerror } from './libbpf.js';
import { Ring, readClocks, progStats } from './ring.js';
import { Decoder } from './decode.js';
import { TableWriter } from './writer.js';
import { hostFacts, kallsyms, modules, pidMax, processSnapshot, symbolsCovering } from './snapshot.js';
import { KTAPE_VERSION, pkgPath } from './paths.js';
import { fmtBytes } from './units.js';

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
  /** pair waits with switch-ins and flag migrations in the kernel (sched_wait, sched_switch.next_flags) */
  schedWait: boolean;
  /** frames kept per allocation stack (1..KT_STACK_DEPTH); the kernel walks no further */
  stackDepth?: number;
  bpfStats: boolean;
  drainMs: number;
  segmentMb: number;
  batchRows: number;
  quiet: boolean;
  commandLine: string[];
  /** called once recording is live (tests, workload start) */
  onReady?: () => void;
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
}

const PROGRAMS: Record<string, { group: EventGroup; kinds: number[]; nested?: boolean }> = {
  kt_sched_switch: { group: 'sched', kinds: [W.KT_SCHED_SWITCH] },
  kt_sched_waking: { group: 'sched', kinds: [W.KT_SCHED_WAKING] },
  kt_sched_wakeup_new: { group: 'sched', kinds: [W.KT_SCHED_WAKEUP_NEW] },
  kt_task_newtask: { group: 'task', kinds: [W.KT_TASK_NEWTASK] },
  kt_task_exec: { group: 'task', kinds: [W.KT_TASK_EXEC] },
  kt_task_exit: { group: 'task', kinds: [W.KT_TASK_EXIT] },
  kt_task_rename: { group: 'task', kinds: [W.KT_TASK_RENAME] },
  kt_task_free: { group: 'task', kinds: [W.KT_TASK_FREE] },
  kt_sys_enter: { group: 'syscall', kinds: [W.KT_SYS_ENTER] },
  kt_sys_exit: { group: 'syscall', kinds: [W.KT_SYS_EXIT] },
  kt_kmalloc: { group: 'kmem', kinds: [W.KT_KMALLOC] },
  kt_kmem_cache_alloc: { group: 'kmem', kinds: [W.KT_KMEM_CACHE_ALLOC] },
  kt_kfree: { group: 'kmem', kinds: [W.KT_KFREE] },
  kt_kmem_cache_free: { group: 'kmem', kinds: [W.KT_KMEM_CACHE_FREE] },
  // run only when the main program is busy on the CPU (nested in an interrupt)
  kt_kmalloc_nested: { group: 'kmem', kinds: [W.KT_KMALLOC], nested: true },
  kt_kmem_cache_alloc_nested: { group: 'kmem', kinds: [W.KT_KMEM_CACHE_ALLOC], nested: true },
  kt_kfree_nested: { group: 'kmem', kinds: [W.KT_KFREE], nested: true },
  kt_kmem_cache_free_nested: { group: 'kmem', kinds: [W.KT_KMEM_CACHE_FREE], nested: true },
};

/** losses.cpu for losses the kernel does not attribute to a CPU */
export const UNKNOWN_CPU = 0xffff;

const CAP_SYS_ADMIN = 21, CAP_PERFMON = 38, CAP_BPF = 39;

/** One clear line about what is missing, before touching the kernel. */
export function preflight(): void {
  const status = readFileSync('/proc/self/status', 'utf8');
  const capEff = BigInt('0x' + (/^CapEff:\s+([0-9a-f]+)/m.exec(status)?.[1] ?? '0'));
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

function writeFile0600(path: string, data: string): void {
  const tmp = path + '.tmp';
  const fd = openSync(tmp, 'w', 0o600);
  writeSync(fd, data);
  closeSync(fd);
  renameSync(tmp, path);
}

function encodeConfig(o: RecordOptions, follow: boolean, filterTgids: boolean): Buffer {
  const O = W.OFF.kt_config;
  const b = Buffer.alloc(W.SIZEOF.kt_config);
  b.writeUInt32LE(process.pid, O.self_tgid);
  b.writeUInt32LE(filterTgids ? 1 : 0, O.filter_tgids);
  b.writeUInt32LE(follow ? 1 : 0, O.follow_children);
  if (o.comm) {
    b.writeUInt32LE(1, O.filter_comm);
    Buffer.from(o.comm, 'utf8').copy(b, O.comm, 0, W.KT_COMM_LEN - 1);
  }
  b.writeUInt32LE(o.kmemStacks ? 1 : 0, O.kmem_stacks);
  b.writeUInt32LE(o.events.includes('task') ? 1 : 0, O.emit_task);
  b.writeUInt32LE(o.schedWait ? 1 : 0, O.pair_waits);
  return b;
}


export async function record(o: RecordOptions): Promise<RecordResult> {
  preflight();
  const objPath = pkgPath('bpf/ktape.bpf.o');
  if (!existsSync(objPath)) throw new BpfError('E_BPF_OBJECT_MISSING', `loading ${objPath}: not built; run \`npm run build\``);
  const ringBytes = o.bufferMb * 1024 * 1024;
  if (!Number.isInteger(o.bufferMb) || o.bufferMb < 1 || (ringBytes & (ringBytes - 1)) !== 0)
    throw new UsageError(`--buffer-mb ${o.bufferMb}: must be a power of two between 1 and 2048`);

  const stackDepth = o.stackDepth ?? W.KT_STACK_DEPTH;
  if (!Number.isInteger(stackDepth) || stackDepth < 1 || stackDepth > W.KT_STACK_DEPTH)
    throw new UsageError(`--stack-depth ${stackDepth}: must be an integer between 1 and ${W.KT_STACK_DEPTH}`);
  const dir = o.out ?? defaultOut();
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new UsageError(`-o ${dir}: directory exists and is not empty; choose a new capture directory`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  // Stop requests that arrive while loading are honoured as soon as recording starts.
  let earlyStop = '';
  const earlyInt = () => (earlyStop ||= 'SIGINT');
  const earlyTerm = () => (earlyStop ||= 'SIGTERM');
  process.on('SIGINT', earlyInt);
  process.on('SIGTERM', earlyTerm);

  const L = libbpf();
  quietLibbpf();
  const obj = L.bpf_object__open_file(objPath, null);
  if (!obj) throw new BpfError('E_BPF_OPEN', `opening ${objPath}: ${strerror(errno())}`);
  const links: unknown[] = [];
  let child: ChildProcess | null = null;
  let statsFd = -1;
  try {
    const map = (name: string) => {
      const m = L.bpf_object__find_map_by_name(obj, name);
      if (!m) throw new BpfError('E_BPF_MAP', `loading ${objPath}: map ${name} not found (stale build? run \`npm run build\`)`);
      return m;
    };
    const filterTgids = o.pids.length > 0 || (!!o.command && !o.systemWide);
    const follow = !!o.command && !o.systemWide;
    const cfg = encodeConfig(o, follow, filterTgids);
    if (L.bpf_map__set_initial_value(map('.rodata.cfg'), cfg, cfg.length) !== 0)
      throw new BpfError('E_BPF_CONFIG', `configuring ${objPath}: .rodata.cfg size mismatch (stale build? run \`npm run build\`)`);
    L.bpf_map__set_max_entries(map('kt_ring'), ringBytes);
    if (!o.events.includes('kmem') || !o.kmemStacks) L.bpf_map__set_max_entries(map('kt_stacks'), 1);
    else L.bpf_map__set_value_size(map('kt_stacks'), stackDepth * 8);
    for (const [name, p] of Object.entries(PROGRAMS)) {
      const prog = L.bpf_object__find_program_by_name(obj, name);
      if (!prog) throw new BpfError('E_BPF_PROG', `loading ${objPath}: program ${name} not found (stale build?)`);
      // following a command's process tree needs the fork/free programs even when task events are not recorded
      const filterOnly = follow && (name === 'kt_task_newtask' || name === 'kt_task_free');
      L.bpf_program__set_autoload(prog, o.events.includes(p.group) || filterOnly);
    }
    const err = L.bpf_object__load(obj);
    if (err) {
      const e = -err;
      if (e === 1 || e === 13)
        throw new UnsupportedError('E_BPF_PERM', `loading ${objPath}: ${strerror(e)}; needs CAP_BPF and CAP_PERFMON (or root), and kernel.unprivileged_bpf_disabled does not apply to root`);
      throw new BpfError('E_BPF_LOAD', `loading ${objPath}: ${strerror(e)}; the kernel rejected the programs (needs BTF, tp_btf and ring buffer support, Linux >= 5.8)`);
    }
    const ncpu = L.libbpf_num_possible_cpus();
    const ringFd = L.bpf_map__fd(map('kt_ring'));
    const lossFd = L.bpf_map__fd(map('kt_losses'));
    const statFd = L.bpf_map__fd(map('kt_stats'));
    const tgidFd = L.bpf_map__fd(map('kt_tgids'));
    const stackFd = L.bpf_map__fd(map('kt_stacks'));

    // Tables
    const writers: Record<string, TableWriter> = {};
    for (const t of TABLES) {
      if (t.kind !== 'event') continue;
      writers[t.name] = new TableWriter(dir, t.name, o.batchRows);
    }
    const meta = (name: string, cap: number) => new TableWriter(dir, name, Math.max(1, cap));
    const anchors = meta('clock_anchors', 4096);
    const lossesW = meta('losses', 4096);
    const decoder = new Decoder(writers, pidMax());
    const ring = process.env.KTAPE_RING === 'js' ? new (await import('./ring-js.js')).JsRing(ringFd, ringBytes, 8 << 20) : new Ring(ringFd, ringBytes, 8 << 20);

    const facts = hostFacts();
    const manifest: Manifest = {
      format: FORMAT_NAME,
      format_version: FORMAT_VERSION,
      wire_version: W.KT_WIRE_VERSION,
      complete: false,
      ktape_version: KTAPE_VERSION,
      command_line: o.commandLine,
      host: facts,
      options: {
        events: o.events,
        tgids: o.pids,
        comm: o.comm ?? null,
        follow_children: follow,
        system_wide: !filterTgids,
        buffer_mb: o.bufferMb,
        kallsyms: o.kallsyms,
        kmem_stacks: o.kmemStacks,
        sched_wait: o.schedWait,
      },
      recorder_tgid: process.pid,
      start_ts: 0,
      end_ts: null,
      workload: o.command ? { argv: o.command, pid: 0, exit_code: null } : null,
      tables: {},
      summary: null,
    };
    const anchor = (reason: string) => {
      const c = readClocks();
      anchors.push({ boottime_ns: c.boottime, monotonic_ns: c.monotonic, realtime_ns: c.realtime, reason });
      return c;
    };

    // Filter: -p PIDs; a command is started held, its pid filtered before it runs.
    const one = Buffer.alloc(4);
    one.writeUInt32LE(1);
    const addTgid = (pid: number) => {
      const k = Buffer.alloc(4);
      k.writeUInt32LE(pid);
      if (L.bpf_map_update_elem(tgidFd, k, one, 0) !== 0) throw new BpfError('E_BPF_FILTER', `adding pid ${pid} to the filter: ${strerror(errno())}`);
    };
    for (const p of o.pids) addTgid(p);

    if (o.bpfStats) {
      statsFd = L.bpf_enable_stats(0 /* BPF_STATS_RUN_TIME */);
      if (statsFd < 0) statsFd = -1;
    }

    // Attach
    const start = anchor('start');
    manifest.start_ts = Number(start.boottime);
    const attached: { name: string; fd: number }[] = [];
    for (let prog = L.bpf_object__next_program(obj, null); prog; prog = L.bpf_object__next_program(obj, prog)) {
      if (!L.bpf_program__autoload(prog)) continue;
      const name = L.bpf_program__name(prog) as string;
      const link = L.bpf_program__attach(prog);
      if (!link) throw new BpfError('E_BPF_ATTACH', `attaching ${name}: ${strerror(errno())}`);
      links.push(link);
      attached.push({ name, fd: L.bpf_program__fd(prog) });
    }
    writeFile0600(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));

    // Process snapshot (after attach: no gap for tasks created meanwhile)
    const snap = processSnapshot(readClocks().boottime);
    const snapB = new TableWriter(dir, 'process_snapshot', Math.max(1, snap.length));
    for (const r of snap) snapB.builder.push(r as never);
    snapB.close();

    // Launch the command, held until its pid is in the filter
    let childExit: Promise<number | null> | null = null;
    if (o.command) {
      const uid = process.env.SUDO_UID ? Number(process.env.SUDO_UID) : undefined;
      const gid = process.env.SUDO_GID ? Number(process.env.SUDO_GID) : undefined;
      child = spawn('/bin/sh', ['-c', 'read _ <&3; exec 3<&-; exec "$@"', 'sh', ...o.command], {
        stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
        uid, gid,
      });
      const c = child;
      childExit = new Promise((resolve) => {
        c.on('exit', (code, sig) => resolve(code ?? (sig ? 128 + ((osConstants.signals as Record<string, number>)[sig] ?? 0) : null)));
        c.on('error', () => resolve(127));
      });
      if (c.pid) {
        if (follow) addTgid(c.pid);
        manifest.workload!.pid = c.pid;
      }
      (c.stdio[3] as NodeJS.WritableStream).end('go\n');
    }
    o.onReady?.();

    // Main loop
    const t0 = process.hrtime.bigint();
    const cpu0 = process.cpuUsage();
    const lossPrev = new Map<string, { count: bigint; last: bigint }>();
    const lossTotals: Record<string, number> = {};
    let lostTotal = 0;
    const lossVal = Buffer.alloc(W.SIZEOF.kt_loss * ncpu);
    const key = Buffer.alloc(4);
    let gapTotal = 0;
    const pollGaps = () => {
      for (const g of decoder.takeGaps()) {
        lossesW.push({ cpu: g.cpu, kind: 'sched_switch', count: 1, ts_start: g.tsStart, ts_end: g.tsEnd, reason: 'kernel_gap', resume_ts: g.resumeTs, resume_tid: g.resumeTid, resume_wait_from: g.waitFrom, resume_woken: g.waitFrom === null ? null : g.woken ? 1 : 0 });
        gapTotal++;
      }
    };
    const pollLosses = () => {
      pollGaps();
      for (let kind = 1; kind < W.KT_KIND_MAX; kind++) {
        key.writeUInt32LE(kind);
        if (L.bpf_map_lookup_elem(lossFd, key, lossVal) !== 0) continue;
        for (let c = 0; c < ncpu; c++) {
          const base = c * W.SIZEOF.kt_loss;
          const count = lossVal.readBigUInt64LE(base + W.OFF.kt_loss.count);
          if (count === 0n) continue;
          const first = lossVal.readBigUInt64LE(base + W.OFF.kt_loss.first_ts);
          const last = lossVal.readBigUInt64LE(base + W.OFF.kt_loss.last_ts);
          const k = `${c}:${kind}`;
          const prev = lossPrev.get(k) ?? { count: 0n, last: 0n };
          if (count > prev.count) {
            const delta = count - prev.count;
            lossesW.push({ cpu: c, kind: KIND_NAMES[kind], count: delta, ts_start: prev.last ? prev.last : first, ts_end: last, reason: 'ringbuf_full' });
                lostTotal += Number(delta);
            lossTotals[KIND_NAMES[kind]] = (lossTotals[KIND_NAMES[kind]] ?? 0) + Number(delta);
            lossPrev.set(k, { count, last });
          }
        }
      }
    };
    const totalBytes = () => Object.values(writers).reduce((s, w) => s + w.bytes, 0);
    const drainAll = (maxRounds = 64) => {
      for (let i = 0; i < maxRounds; i++) {
        const n = ring.drain();
        if (n === 0) break;
        decoder.decode(ring.buf, n);
      }
    };
    const isTTY = process.stderr.isTTY && !o.quiet;

    let stopReason = '';
    await new Promise<void>((resolve) => {
      let lastSecond = Date.now();
      const stop = (why: string) => {
        if (stopReason) return;
        stopReason = why;
        clearInterval(timer);
        if (durationTimer) clearTimeout(durationTimer);
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        resolve();
      };
      const onInt = () => stop('SIGINT');
      const onTerm = () => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
      process.off('SIGINT', earlyInt);
      process.off('SIGTERM', earlyTerm);
      if (earlyStop) setImmediate(() => stop(earlyStop));
      const durationTimer = o.durationS ? setTimeout(() => stop('duration'), o.durationS * 1000) : null;
      childExit?.then((code) => {
        if (manifest.workload) manifest.workload.exit_code = code;
        stop('command exited');
      });
      const timer = setInterval(() => {
        drainAll();
        const now = Date.now();
        for (const w of Object.values(writers)) if (now - w.lastFlush > 1000) w.flush();
        if (now - lastSecond >= 1000) {
          lastSecond = now;
          pollLosses();
          anchor('periodic');
          anchors.flush();
          lossesW.flush();
          const bytes = totalBytes();
          if (o.maxSizeMb && bytes >= o.maxSizeMb * 1024 * 1024) stop('max-size');
          if (isTTY) {
            const n = decoder.stats.events.reduce((a, b) => a + b, 0);
            const el = Number(process.hrtime.bigint() - t0) / 1e9;
            process.stderr.write(`\rktape: recording ${el.toFixed(0)} s, ${n.toLocaleString('en-US')} events, ${fmtBytes(bytes)}, lost ${lostTotal}   `);
          }
        }
        // rotate segments when they grow past --segment-mb
        for (const w of Object.values(writers)) if (w.bytes - w.closedBytes > o.segmentMb * 1024 * 1024) w.rotate();
      }, o.drainMs);
    });
    if (isTTY) process.stderr.write('\n');

    // Stop: detach, then drain everything already in the ring
    for (const l of links.splice(0)) L.bpf_link__destroy(l);
    const end = anchor('end');
    drainAll(1 << 20);
    pollLosses();
    if (child && child.exitCode === null && child.signalCode === null) {
      // recording stopped before the command (--duration, --max-size, signal): end it, as perf does
      child.kill('SIGTERM');
    }

    // Stats
    const statsW = meta('stats', 1024);
    const stat = (name: string, value: number | bigint, cpu: number | null = null) => statsW.push({ name, cpu, value: BigInt(value) });
    for (let k = 1; k < W.KT_KIND_MAX; k++) if (decoder.stats.events[k]) stat(`events.${KIND_NAMES[k]}`, decoder.stats.events[k]);
    stat('malformed_records', decoder.stats.malformed);
    stat('sched_switch_kernel_gaps', gapTotal);
    const statVal = Buffer.alloc(8 * ncpu);
    /** kt_stats[idx] summed over CPUs (null if unreadable) */
    const statTotal = (idx: number): bigint | null => {
      key.writeUInt32LE(idx);
      if (L.bpf_map_lookup_elem(statFd, key, statVal) !== 0) return null;
      let tot = 0n;
      for (let c = 0; c < ncpu; c++) tot += statVal.readBigUInt64LE(8 * c);
      return tot;
    };
    for (const [name, idx] of [['stack_collisions', W.KT_STAT_STACK_COLLISION], ['stack_errors', W.KT_STAT_STACK_ERROR], ['filter_full', W.KT_STAT_FILTER_FULL]] as const) {
      const tot = statTotal(idx);
      if (tot !== null) stat(name, tot);
    }
    for (const [k, v] of lossPrev) stat(`lost.${KIND_NAMES[Number(k.split(':')[1])]}`, v.count, Number(k.split(':')[0]));
    const cpuUse = process.cpuUsage(cpu0);
    stat('recorder_cpu_ns', (cpuUse.user + cpuUse.system) * 1000);
    stat('recorder_user_ns', cpuUse.user * 1000);
    stat('recorder_system_ns', cpuUse.system * 1000);
    stat('ring_buffer_bytes', ringBytes);
    const statsOn = statsFd >= 0 || readFileSync('/proc/sys/kernel/bpf_stats_enabled', 'utf8').trim() === '1';
    for (const a of attached) {
      const ps = progStats(a.fd);
      if (!ps) continue;
      if (statsOn) {
        stat(`bpf.${a.name}.run_time_ns`, ps.runTimeNs);
        stat(`bpf.${a.name}.run_cnt`, ps.runCnt);
      }
      stat(`bpf.${a.name}.recursion_misses`, ps.recursionMisses);
      const p = PROGRAMS[a.name];
      if (!p || p.nested) continue;
      // Runs the kernel skipped because the program was already running on that CPU. For kmem
      // kinds the *_nested program records those events instead; what it could not is lost.
      const kind = p.kinds[0];
      const saved = statTotal(W.KT_STAT_RESCUED + kind) ?? 0n;
      if (saved) stat(`rescued.${KIND_NAMES[kind]}`, saved);
      const lost = ps.recursionMisses > saved ? ps.recursionMisses - saved : 0n;
      if (lost > 0n) {
        // the kernel counts these per program, not per CPU
        lossesW.push({ cpu: UNKNOWN_CPU, kind: KIND_NAMES[kind], count: lost, ts_start: BigInt(manifest.start_ts), ts_end: end.boottime, reason: 'bpf_recursion' });
        lostTotal += Number(lost);
        lossTotals[KIND_NAMES[kind]] = (lossTotals[KIND_NAMES[kind]] ?? 0) + Number(lost);
      }
    }

    lossesW.close();

    // Stacks
    const stacksW = meta('stacks', 65536);
    const stackIps = new Set<bigint>();
    if (o.events.includes('kmem') && o.kmemStacks) {
      const cur = Buffer.alloc(4), next = Buffer.alloc(4);
      const frames = Buffer.alloc(stackDepth * 8);
      let have = false;
      while (L.bpf_map_get_next_key(stackFd, have ? cur : null, next) === 0) {
        next.copy(cur);
        have = true;
        if (L.bpf_map_lookup_elem(stackFd, cur, frames) !== 0) continue;
        const id = cur.readInt32LE(0);
        for (let d = 0; d < stackDepth; d++) {
          const ip = frames.readBigUInt64LE(8 * d);
          if (ip === 0n) break;
          stacksW.push({ stack_id: id, depth: d, ip });
          stackIps.add(ip);
        }
      }
    }

    // Close event tables, then symbols (read back call sites for --kallsyms used)
    for (const w of Object.values(writers)) w.close();
    anchors.close();
    stacksW.close();

    const syms = kallsyms();
    let keep = syms;
    if (o.kallsyms === 'used') {
      const addrs = new Set(stackIps);
      for (const t of ['kmem_alloc', 'kmem_free']) {
        for (const b of readTable(dir, t).batches) {
          const cs = b.getChild('call_site')!.toArray() as BigUint64Array;
          for (const a of cs) addrs.add(a);
        }
      }
      keep = symbolsCovering(syms, addrs);
    }
    const symW = meta('kallsyms', keep.length);
    for (const s of keep) symW.builder.push(s as never);
    symW.close();
    const mods = modules();
    const modW = meta('modules', mods.length);
    for (const m of mods) modW.builder.push(m as never);
    modW.close();

    const bytes = Object.values(writers).reduce((s, w) => s + w.bytes, 0);
    stat('bytes_written', bytes);
    stat('ring_records_malformed', decoder.stats.malformed);
    statsW.close();

    // Manifest
    const events: Record<string, number> = {};
    for (let k = 1; k < W.KT_KIND_MAX; k++) if (o.events.includes(GROUP_OF_KIND[k])) events[KIND_NAMES[k]] = decoder.stats.events[k];
    for (const t of TABLES) {
      const files = readdirSync(dir).filter((f) => f.startsWith(t.name + '.') && f.endsWith('.arrows')).sort();
      const w = writers[t.name];
      manifest.tables[t.name] = { rows: w ? w.rows : -1, files };
    }
    manifest.end_ts = Number(end.boottime);
    manifest.complete = true;
    manifest.summary = { events, lost: lostTotal, kernel_gaps: gapTotal, bytes };
    writeFile0600(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));
    ring.close();

    return {
      dir,
      manifest,
      events,
      lost: lostTotal,
      lossesByKind: lossTotals,
      kernelGaps: gapTotal,
      bytes,
      durationNs: manifest.end_ts - manifest.start_ts,
      exitCode: manifest.workload?.exit_code ?? null,
    };
  } finally {
    process.off('SIGINT', earlyInt);
    process.off('SIGTERM', earlyTerm);
    for (const l of links) L.bpf_link__destroy(l);
    L.bpf_object__close(obj);
    if (statsFd >= 0) closeFd(statsFd);
  }
}
