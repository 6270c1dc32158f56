/**
 * The flight recorder (`--ring`) and bounded long recordings (`--rotate --keep`). Both write the recording as a
 * sequence of parts, each a capture directory of its own: every streamed table (event tables, clock_anchors,
 * losses) goes on in the next part's files, whose process snapshot is taken when it begins.
 *
 *  - `--rotate`: the parts are the output, `DIR/part-NNNN`, each a complete capture (kernel symbols, modules,
 *    snapshot, stacks); the oldest is removed before a new one begins, so at most `--keep` are ever on disk.
 *  - `--ring`: the parts are scratch (`DIR/.ring-NNNN`, snapshot only, fsync'd once closed), each about a fifth of the
 *    window; a part older than the window is removed whole. A dump (`DIR/dump-NNNN`: SIGUSR1 or a --trigger)
 *    hard-links the window's parts' files into a new capture directory, renumbered as segments, with the oldest
 *    part's snapshot (true at the window's start: threads started later are in its task events), the symbols and
 *    modules read at start, the kmem stacks, and a manifest whose `window` says where the window starts. Parts
 *    on disk rather than batches in memory: the recorder's memory stays that of a plain recording whatever the
 *    window, a dump costs a link per file (no copy), and each part is already a capture that every reader reads.
 */
import { close, closeSync, constants, fsync, fsyncSync, linkSync, open, openSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { segmentFile, type Manifest } from '../formats/schema.js';
import { DEFAULT_CODEC } from '../formats/codec.js';
import type { readTable as ReadTable } from '../formats/reader.js';
import type { RecordSettings, TriggerCond } from '../families/family.js';
import { prepareOutDir, replaceFile } from './outdir.js';
import { readClocks } from './ring.js';
import type { Recording, StatRow } from './session.js';
import { type Fired, Triggers } from './triggers.js';
import { CaptureSink, TableWriter } from './writer.js';

/** A window or part length: a duration or a size. */
export interface Span {
  ns?: number;
  bytes?: number;
  /** as typed */
  text: string;
}

export interface FlightOptions {
  ring?: Span;
  rotate?: Span;
  /** --keep: parts of --rotate on disk at most */
  keep: number;
  triggers: TriggerCond[];
  /** --trigger-after, ns */
  afterNs: number;
  maxDumps: number;
}

/** parts per --ring window: a dump starts at most a fifth of the window before it */
export const RING_PARTS = 5;
/** the shortest part (a process snapshot each) */
const MIN_PART_NS = 100e6;

interface Part {
  dir: string;
  m: Manifest;
  bytes: number;
  /** the recording's stats rows (Recording.statRows) when the part began and ended */
  stats0: StatRow[];
  stats1: StatRow[];
}

/** A dump asked for: at (Date.now() ms) `due`, of the window from `from` (boottime ns). */
interface Pending {
  due: number;
  from: bigint;
  why: Fired;
}

const pad = (n: number) => String(n).padStart(4, '0');

export class Flight {
  /** closed parts still on disk, oldest first */
  private readonly parts: Part[] = [];
  private partNo = 1;
  /** Date.now() when the next part begins (parts of --ring/--rotate DURATION keep to a fixed schedule from the start) */
  private nextAt = Infinity;
  private pending: Pending | null = null;
  readonly dumps: string[] = [];
  /** rotated parts removed (--keep) */
  removed = 0;
  readonly triggers: Triggers | null;
  /** the table reader for --kallsyms used (loaded once recording starts) */
  readTable: typeof ReadTable | null = null;
  private readonly partNs: number;
  private readonly partBytes: number;
  /** the stats rows when the current part began */
  private stats0: StatRow[] = [];

  constructor(
    private readonly rec: Recording,
    readonly f: FlightOptions,
    readonly root: string,
    private readonly settings: RecordSettings,
  ) {
    const span = (f.ring ?? f.rotate)!;
    const div = f.ring ? RING_PARTS : 1;
    this.partNs = span.ns ? Math.max(MIN_PART_NS, span.ns / div) : Infinity;
    this.partBytes = span.bytes ? span.bytes / div : Infinity;
    this.triggers = f.triggers.length ? new Triggers(f.triggers, rec.manifest.host.machine, rec.o.events, rec.writers) : null;
  }

  /** Recording is live: the first part began. */
  started(): void {
    this.stats0 = this.statsNow();
    this.nextAt = Date.now() + this.partNs / 1e6;
  }

  /** The first part's directory. */
  static firstDir(root: string, f: FlightOptions): string {
    return join(root, f.ring ? '.ring-0001' : 'part-0001');
  }

  private get ring(): boolean {
    return !!this.f.ring;
  }

  /** After every drain: look at the new rows, begin a part or dump when due; 'max-dumps' once the last is written. */
  tick(): 'max-dumps' | null {
    const t = this.triggers;
    if (t) {
      t.scan();
      if (t.fired && !this.pending) this.pending = { due: Date.now() + this.f.afterNs / 1e6, from: t.fired.ts, why: t.fired };
    }
    if (this.pending && Date.now() >= this.pending.due) return this.dump();
    if (Date.now() >= this.nextAt || this.rec.size() >= this.partBytes) this.nextPart();
    return null;
  }

  /** SIGUSR1: dump the window now (--ring), or begin the next part (--rotate). */
  signal(): 'max-dumps' | null {
    if (!this.ring) {
      this.nextPart();
      return null;
    }
    const now = readClocks().boottime;
    this.pending = { due: 0, from: now, why: { ts: now, tid: 0, comm: null, what: 'SIGUSR1', trigger: 'SIGUSR1' } };
    return this.dump();
  }

  /** Close the current part and begin the next. */
  private nextPart(): void {
    const p = this.closePart('next part');
    this.parts.push(p);
    this.trim();
    this.partNo++;
    this.nextAt = Math.max(this.nextAt + this.partNs / 1e6, Date.now() + this.partNs / 2e6);
    this.rec.startPart(join(this.root, `${this.ring ? '.ring-' : 'part-'}${pad(this.partNo)}`), p.m.end_ts!, !this.ring);
  }

  /** `sync`: fsync a ring part's files (not the last, removed at once) */
  private closePart(reason: string, sync = this.ring): Part {
    const rec = this.rec;
    rec.drain(1 << 20, false);
    if (!this.ring) this.partTables();
    const bytes0 = rec.sink.bytes;
    let now: StatRow[] = [];
    const m = rec.endPart(reason, !this.ring, () => {
      now = this.statsNow();
      return statsBetween(this.stats0, now);
    });
    const p = { dir: rec.dir, m, bytes: Math.max(bytes0, rec.sink.bytes), stats0: this.stats0, stats1: now };
    this.stats0 = now;
    if (sync) this.syncPart(p, false);
    return p;
  }

  /**
   * fsync a closed ring part's files (a scratch part is written without, as it goes): a dump links them, and after
   * a host crash a dump's links must not lead to data that never reached the disk. A part closed for the next one is
   * synced on libuv's threads (`now` false: the recorder is not held up by the disk; a few files a part, every
   * fifth of the window); a dump syncs its window's files before its manifest (those already synced cost little).
   */
  private syncPart(p: Part, now: boolean): void {
    for (const e of Object.values(p.m.tables))
      for (const f of e.files) {
        const path = join(p.dir, f);
        const fail = (err: NodeJS.ErrnoException | null) => {
          if (err && err.code !== 'ENOENT') this.rec.sink.fail(path, err);
        };
        if (now)
          try {
            fsyncPath(path);
          } catch (err) {
            fail(err as NodeJS.ErrnoException);
          }
        else
          open(path, 'r', (err, fd) => {
            if (err) return fail(err);
            fsync(fd, (e2) => close(fd, () => fail(e2)));
          });
      }
  }

  private statsNow(): StatRow[] {
    return this.rec.statRows(process.cpuUsage(), !!this.rec.o.bpfStats);
  }

  /** A rotated part's end-of-recording tables: the kmem stacks, the used symbols (--kallsyms used). */
  private partTables(): void {
    const rec = this.rec;
    for (const w of rec.all.values()) w.flush();
    const ips = rec.finishFamilies(this.settings);
    if (rec.o.kallsyms === 'used') rec.writeUsedSymbols(ips, this.readTable);
  }

  /** Remove the parts no longer needed: older than the window (and than a pending dump's), or beyond --keep. */
  private trim(): void {
    const drop = () => {
      rmSync(this.parts.shift()!.dir, { recursive: true, force: true });
      this.removed++;
    };
    if (!this.ring) {
      while (this.parts.length >= this.f.keep) drop();
      return;
    }
    const ring = this.f.ring!;
    if (ring.ns) {
      // one part more than the window: a trigger's event (a slow syscall) began before it was seen
      const now = BigInt(this.parts.at(-1)!.m.end_ts!);
      let from = now - BigInt(ring.ns) - BigInt(Math.round(this.partNs));
      if (this.pending && this.pending.from - BigInt(ring.ns) < from) from = this.pending.from - BigInt(ring.ns);
      while (this.parts.length && BigInt(this.parts[0].m.end_ts!) <= from) drop();
    }
    if (ring.bytes) {
      let total = this.parts.reduce((s, p) => s + p.bytes, 0);
      while (this.parts.length > 1 && total - this.parts[0].bytes >= ring.bytes) {
        total -= this.parts[0].bytes;
        drop();
      }
    }
  }

  /** Write the pending dump; 'max-dumps' when it was the last one allowed. */
  private dump(): 'max-dumps' | null {
    const p = this.pending!;
    const closed = this.closePart('dump', false);
    this.parts.push(closed);
    this.trim();
    const dir = join(this.root, `dump-${pad(this.dumps.length + 1)}`);
    const win = this.windowParts(p.from);
    for (const part of win) this.syncPart(part, true);
    const facts: Window = {
      ring: this.f.ring!.text,
      trigger: p.why.trigger,
      what: p.why.what,
      trigger_ts: Number(p.why.ts),
      dropped_before: this.removed > 0 || win.length < this.parts.length,
    };
    writeDump(this.rec, win, dir, facts, { settings: this.settings, readTable: this.readTable });
    try {
      fsyncPath(this.root); // the dump's own entry (its files and its directory are fsync'd as written)
    } catch (err) {
      this.rec.sink.fail(this.root, err);
    }
    this.dumps.push(dir);
    this.pending = null;
    this.triggers?.rearm();
    this.partNo++;
    this.nextAt = Math.max(this.nextAt + this.partNs / 1e6, Date.now() + this.partNs / 2e6);
    // a failed fsync of the dump went to the closed part's sink: carry it to the next one, which stops the recording
    const failed = this.rec.sink.failure;
    this.rec.startPart(join(this.root, `.ring-${pad(this.partNo)}`), closed.m.end_ts!, false);
    if (failed) this.rec.sink.failure ??= failed;
    else if (!this.rec.o.quiet) process.stderr.write(`ktape: ${dumpCause(p.why)}: wrote ${dir}\n`);
    return this.dumps.length >= this.f.maxDumps ? 'max-dumps' : null;
  }

  /** The parts that hold the window ending now and beginning a ring before `from`. */
  private windowParts(from: bigint): Part[] {
    const ring = this.f.ring!;
    if (!ring.ns) return [...this.parts];
    const start = from - BigInt(ring.ns);
    return this.parts.filter((p) => BigInt(p.m.end_ts!) > start);
  }

  /**
   * The recording stopped (the kernel side is detached and drained). A ring writes its window as a last dump, as
   * `perf record --overwrite` writes its buffer at exit and Perfetto its ring buffer at the end of a trace: a
   * pending dump (--trigger-after) now, else one of the window up to the stop (trigger 'stop'); not when the stop
   * is --max-dumps or an error. Then the ring's scratch parts are removed; the last rotated part is closed as a
   * complete capture. Returns its manifest.
   */
  end(reason: string): Manifest {
    if (this.ring && !this.pending && reason !== 'max-dumps' && reason !== 'error' && !this.rec.sink.failure) {
      const now = readClocks().boottime;
      this.pending = { due: 0, from: now, why: { ts: now, tid: 0, comm: null, what: `the recording stopped (${reason})`, trigger: 'stop' } };
    }
    if (this.ring && this.pending) this.dump();
    const last = this.closePart(reason, false);
    if (this.ring) for (const p of [...this.parts, last]) rmSync(p.dir, { recursive: true, force: true });
    else this.parts.push(last);
    return last.m;
  }

  /** the rotated parts on disk */
  get partDirs(): string[] {
    return this.ring ? [] : this.parts.map((p) => p.dir);
  }
}

/** fsync a file or a directory by its path. */
function fsyncPath(path: string): void {
  const fd = openSync(path, constants.O_RDONLY);
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Why a dump was written, for the stderr line. */
function dumpCause(why: Fired): string {
  if (why.trigger === 'SIGUSR1') return 'SIGUSR1';
  if (why.trigger === 'stop') return why.what;
  return `trigger ${why.trigger}: ${why.what}`;
}

/** manifest.window of a dump (formats/capture.md, Flight recorder). */
interface Window {
  ring: string;
  trigger: string;
  what: string;
  trigger_ts: number;
  dropped_before: boolean;
}

/** Link the streamed tables of `parts` into `dir`, renumbered; the process snapshot of the first part only. */
function linkParts(parts: Part[], dir: string, streamed: Set<string>): Manifest['tables'] {
  const out: Manifest['tables'] = {};
  parts.forEach((p, i) => {
    for (const [t, e] of Object.entries(p.m.tables)) {
      if (!streamed.has(t) && !(t === 'process_snapshot' && i === 0)) continue;
      out[t] ??= { rows: 0, files: [] };
      for (const f of e.files) {
        const name = segmentFile(t, out[t].files.length);
        linkSync(join(p.dir, f), join(dir, name));
        out[t].files.push(name);
      }
      out[t].rows += e.rows;
    }
  });
  return out;
}

/** Rows whose count can be 0 and that a plain capture writes only when not */
const SPARSE = /^(events|lost|rescued)\./;

/**
 * The stats of what was recorded between two statRows() readings: each counter's difference (rows keyed by name
 * and CPU); ring_buffer_bytes, a size, as it is. Event, loss and rescue counts that did not move are left out,
 * as a plain capture's stats leave out what never happened.
 */
function statsBetween(from: StatRow[], to: StatRow[]): StatRow[] {
  const key = (r: StatRow) => `${r.name}\0${r.cpu}`;
  const base = new Map(from.map((r) => [key(r), r.value]));
  return to
    .map((r) => (r.name === 'ring_buffer_bytes' ? r : { ...r, value: r.value - (base.get(key(r)) ?? 0n) }))
    .filter((r) => r.value !== 0n || !SPARSE.test(r.name));
}

function sumSummaries(parts: Part[]): NonNullable<Manifest['summary']> {
  const s = { events: {} as Record<string, number>, lost: 0, kernel_gaps: 0, bytes: 0 };
  for (const { m } of parts) {
    for (const [k, v] of Object.entries(m.summary?.events ?? {})) s.events[k] = (s.events[k] ?? 0) + v;
    s.lost += m.summary?.lost ?? 0;
    s.kernel_gaps += m.summary?.kernel_gaps ?? 0;
    s.bytes += m.summary?.bytes ?? 0;
  }
  return s;
}

/** A dump: the window's parts linked into `dir`, with the symbols, modules and stacks, and its manifest. */
function writeDump(rec: Recording, parts: Part[], dir: string, window: Window, o: { settings: RecordSettings; readTable: typeof ReadTable | null }): void {
  prepareOutDir(dir);
  const streamed = new Set([...Object.keys(rec.writers), 'clock_anchors', 'losses']);
  const tables = linkParts(parts, dir, streamed);
  const sink = new CaptureSink(dir, rec.o.compress ?? DEFAULT_CODEC);
  const made: TableWriter[] = [];
  const table = (name: string, n: number) => {
    const w = new TableWriter(dir, name, Math.max(1, n), sink);
    made.push(w);
    return w;
  };
  rec.writeKernelTables(table);
  const ips = rec.finishFamilies(o.settings, table);
  const summary = sumSummaries(parts);
  const stats = statsBetween(parts[0].stats0, parts.at(-1)!.stats1);
  rec.partStats(table('stats', 256), [...stats, { name: 'bytes_written', cpu: null, value: BigInt(summary.bytes) }]);
  if (rec.o.kallsyms === 'used') rec.writeUsedSymbols(ips, o.readTable, dir, table);
  for (const w of made) {
    w.close();
    if (w.files.length) tables[w.table] = { rows: w.rows, files: [...w.files] };
  }
  const m = structuredClone(parts.at(-1)!.m) as Manifest & { stop_reason?: string; window?: unknown };
  m.start_ts = parts[0].m.start_ts;
  m.tables = tables;
  m.summary = summary;
  m.stop_reason = 'dump';
  m.complete = true;
  m.window = { ...window, start_ts: m.start_ts };
  replaceFile(dir, 'manifest.json', JSON.stringify(m, null, 2));
}
