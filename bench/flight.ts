/**
 * The flight recorder benchmark (issue 13): `ktape record --ring` under a steady syscall storm of about 1M
 * events/s (`ktape-workload getppid-rate 500000 S`: 500k getppid() calls/s, an enter and an exit each).
 *
 *  - steady state: one ring recording of `secs` seconds (default 300); the recorder's RSS (VmRSS) and CPU
 *    (utime + stime) are read from /proc every second. RSS must stay flat: a ring keeps its window on disk.
 *  - trigger to finished dump: one ring recording with a syscall trigger; SIGUSR1 and a slow clock_nanosleep
 *    alternate; each is timed from the trigger (the signal sent; the syscall's end, as the workload prints it)
 *    to the dump's manifest renamed into place (the dump directory's mtime).
 *  - trigger cost: the same ring recording without and with --trigger, interleaved; recorder CPU per event.
 *    Triggers are evaluated in the recorder (record/triggers.ts), on the decoded rows of the tables they watch,
 *    after each drain; nothing runs in BPF, so the traced workload pays nothing for them.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pkgPath } from '../record/paths.js';
import { readClocks } from '../record/ring.js';
import { fint, fx, jsonLine, median, table } from './lib.js';

export interface FlightBenchOptions {
  quick: boolean;
  reps: number;
  workdir: string;
  log: (s: string) => void;
  /** the steady-state recording's length, s (--flight-secs) */
  secs: number;
}

/** getppid() calls/s: an enter and an exit each, 1M events/s */
const CALLS_PER_S = 500_000;
const RING = '30s';
/** the slow syscall of the dump timings, and the trigger that catches it (the storm's own sleeps are 200 µs) */
const SLOW_MS = 300;
const SLOW_TRIGGER = 'syscall:clock_nanosleep>200ms';
/** the trigger-cost variants: an unnamed syscall trigger sees every row; a named one only its syscall's */
const COST_TRIGGERS = [null, 'syscall>1s', 'syscall:clock_nanosleep>1s'];

interface Sample {
  /** s since the recorder was started */
  t: number;
  rssKb: number;
  cpuNs: number;
}

interface Ctx {
  workdir: string;
  cli: string;
  workload: string;
}

/** The recorder's RSS and CPU now (null once it is gone). */
function procSample(pid: number, t0: number): Sample | null {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    // utime, stime (fields 14, 15) in USER_HZ ticks (100/s)
    return { t: (Date.now() - t0) / 1000, rssKb: Number(rss?.[1] ?? NaN), cpuNs: (Number(f[11]) + Number(f[12])) * 1e7 };
  } catch {
    return null;
  }
}

interface Recorder {
  pid: number;
  t0: number;
  stdin: NodeJS.WritableStream;
  /** stdout so far (the workload's lines, then the recorder's --json line) */
  out: () => string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  samples: Sample[];
}

/** `ktape record ARGS`, sampled every second until it exits. */
function startRecorder(c: Ctx, args: string[]): Recorder {
  const t0 = Date.now();
  const child = spawn(process.execPath, [c.cli, 'record', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '',
    stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const samples: Sample[] = [];
  const timer = setInterval(() => {
    const s = child.pid ? procSample(child.pid, t0) : null;
    if (s) samples.push(s);
  }, 1000);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr });
    }),
  );
  return { pid: child.pid ?? -1, t0, stdin: child.stdin, out: () => stdout, done, samples };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n,
    my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0,
    den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : NaN;
}

export interface RingRun {
  trigger: string | null;
  secs: number;
  ok: boolean;
  error?: string;
  events: number;
  lost: number;
  /** events / the workload's own elapsed time */
  eventsPerS: number;
  /** RSS, MB, at 10 s, 1 min, the middle and the end of the recording (null past its end) */
  rssMb: { at10s: number | null; at1min: number | null; middle: number; end: number; max: number };
  /** slope of RSS over the second half, MB/min */
  rssSlopeMbPerMin: number;
  /** recorder CPU in the steady part (from `warm` s to the workload's end), % of one CPU and ns per event */
  cpuPct: number;
  cpuNsPerEvent: number;
  /** the recorder's whole CPU (start-up, BPF load, stop) per event */
  totalCpuNsPerEvent: number;
  samples: Sample[];
}

/** The sample nearest to t s, if the recording reached t. */
const at = (ss: Sample[], t: number) => (ss.length && ss.at(-1)!.t >= t - 0.5 ? ss.reduce((a, b) => (Math.abs(b.t - t) < Math.abs(a.t - t) ? b : a)) : null);

/** One ring recording of the storm for `secs` s, with `trigger` or none. */
async function ringRun(c: Ctx, secs: number, trigger: string | null): Promise<RingRun> {
  const dir = join(c.workdir, 'flight-ring');
  rmSync(dir, { recursive: true, force: true });
  const args = ['-o', dir, '--events', 'syscall', '--ring', RING, ...(trigger ? ['--trigger', trigger] : []), '--json', '-q'];
  const rec = startRecorder(c, [...args, '--', c.workload, 'getppid-rate', String(CALLS_PER_S), String(secs)]);
  const r = await rec.done;
  rmSync(dir, { recursive: true, force: true });
  const wl = jsonLine<{ elapsed_ns: number }>(r.stdout, 'elapsed_ns');
  const res = jsonLine<{ events_total: number; lost: number; duration_ns: number }>(r.stdout, 'events_total');
  const ss = rec.samples;
  const ok = r.code === 0 && !!wl && !!res && ss.length >= 2;
  const events = res?.events_total ?? NaN;
  const rate = events / ((wl?.elapsed_ns ?? NaN) / 1e9);
  // steady: from warm s to the workload's end (it starts ~1 s after the recorder: BPF load, snapshot)
  const warm = Math.min(10, secs / 4);
  const steady = ss.filter((s) => s.t >= warm && s.t <= secs + 0.5);
  const a = steady[0],
    b = steady.at(-1);
  const cpuNs = a && b && b !== a ? b.cpuNs - a.cpuNs : NaN;
  const dt = a && b ? b.t - a.t : NaN;
  const half = steady.filter((s) => s.t >= secs / 2);
  const mb = (s: Sample | null) => (s ? s.rssKb / 1024 : null);
  return {
    trigger,
    secs,
    ok,
    error: ok ? undefined : (r.stderr || r.stdout).slice(-600),
    events,
    lost: res?.lost ?? NaN,
    eventsPerS: rate,
    rssMb: {
      at10s: mb(at(ss, 10)),
      at1min: mb(at(ss, 60)),
      middle: mb(at(ss, secs / 2)) ?? NaN,
      end: mb(b ?? null) ?? NaN,
      max: Math.max(...ss.map((s) => s.rssKb)) / 1024,
    },
    rssSlopeMbPerMin: slope(
      half.map((s) => s.t / 60),
      half.map((s) => s.rssKb / 1024),
    ),
    cpuPct: (100 * cpuNs) / (dt * 1e9),
    cpuNsPerEvent: cpuNs / (dt * rate),
    totalCpuNsPerEvent: (ss.at(-1)?.cpuNs ?? NaN) / events,
    samples: ss,
  };
}

export interface DumpTiming {
  trigger: string;
  /** boottime ns from the trigger to the dump's manifest in place */
  ns: number[];
  errors: string[];
}

/** Wait for DIR/dump-NNNN/manifest.json; the boottime at which it was renamed into place (the dump dir's mtime). */
async function dumpDone(root: string, n: number, offsetNs: bigint, timeoutMs = 30000): Promise<{ dir: string; doneNs: bigint; m: any } | null> {
  const dir = join(root, `dump-${String(n).padStart(4, '0')}`);
  for (const t0 = Date.now(); Date.now() - t0 < timeoutMs; await sleep(5)) {
    if (!existsSync(join(dir, 'manifest.json'))) continue;
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    return { dir, doneNs: statSync(dir, { bigint: true }).mtimeNs - offsetNs, m };
  }
  return null;
}

/** The end (boottime ns) of the workload's `n`th slow syscall (counting from 0), once it has printed it. */
async function slowEnd(rec: Recorder, n: number, timeoutMs = 10000): Promise<bigint | null> {
  for (const t0 = Date.now(); Date.now() - t0 < timeoutMs; await sleep(5)) {
    const ends = rec
      .out()
      .split('\n')
      .filter((l) => l.includes('"boot_sleep_end_ns"'))
      .map((l) => BigInt(JSON.parse(l).boot_sleep_end_ns));
    if (ends.length > n) return ends[n];
  }
  return null;
}

export interface DumpBench {
  ring: string;
  /** s of recording before the first trigger (the window filling) */
  fillS: number;
  timings: DumpTiming[];
  ok: boolean;
  error?: string;
}

/** Time dump `n` from `fromNs` (boottime); check it was the trigger expected; remove it (it holds the window's links). */
async function timeDump(root: string, n: number, fromNs: bigint, offsetNs: bigint, into: DumpTiming): Promise<void> {
  const d = await dumpDone(root, n, offsetNs);
  if (!d) into.errors.push(`dump ${n}: none after 30 s`);
  else if (d.m.window?.trigger !== into.trigger) into.errors.push(`dump ${n}: trigger ${d.m.window?.trigger}, expected ${into.trigger}`);
  else into.ns.push(Number(d.doneNs - fromNs));
  if (d) rmSync(d.dir, { recursive: true, force: true });
}

/**
 * A ring recording of the storm with a slow-syscall trigger; once the window has filled, `k` times: SIGUSR1,
 * then (a line on the command's stdin) one slow clock_nanosleep. The command is a shell that runs the storm in
 * the background and a slow-syscall per line it reads (its read() and wait4() are not clock_nanosleep).
 */
async function benchDumps(c: Ctx, k: number, fillS: number): Promise<DumpBench> {
  const root = join(c.workdir, 'flight-dumps');
  rmSync(root, { recursive: true, force: true });
  const GAP_MS = 1000;
  const stormS = fillS + k * 10 + 30; // longer than needed: ended when stdin closes
  const script = `"$0" getppid-rate ${CALLS_PER_S} ${stormS} >/dev/null & s=$!; while read _; do "$0" slow-syscall 0 ${SLOW_MS} 0; done; kill $s; wait`;
  const args = ['-o', root, '--events', 'syscall', '--ring', RING, '--trigger', SLOW_TRIGGER, '--json', '-q'];
  const rec = startRecorder(c, [...args, '--', 'sh', '-c', script, c.workload]);
  const clocks = readClocks();
  const offset = clocks.realtime - clocks.boottime;
  const sig: DumpTiming = { trigger: 'SIGUSR1', ns: [], errors: [] },
    sys: DumpTiming = { trigger: SLOW_TRIGGER, ns: [], errors: [] };
  for (const t0 = Date.now(); !existsSync(join(root, '.ring-0001', 'manifest.json')) && Date.now() - t0 < 30000; ) await sleep(20);
  await sleep(fillS * 1000);
  let n = 0;
  for (let i = 0; i < k; i++) {
    const sent = readClocks().boottime;
    process.kill(rec.pid, 'SIGUSR1');
    await timeDump(root, ++n, sent, offset, sig);
    await sleep(GAP_MS);
    rec.stdin.write('\n');
    const end = await slowEnd(rec, i);
    if (end === null) {
      sys.errors.push(`slow syscall ${i + 1}: the workload printed nothing`);
      break;
    }
    await timeDump(root, ++n, end, offset, sys);
    await sleep(GAP_MS);
  }
  rec.stdin.end();
  const r = await rec.done;
  rmSync(root, { recursive: true, force: true });
  const ok = r.code === 0 && !sig.errors.length && !sys.errors.length;
  return { ring: RING, fillS, timings: [sig, sys], ok, error: ok ? undefined : [...sig.errors, ...sys.errors, r.stderr.slice(-400)].join('; ') };
}

export interface TriggerCost {
  trigger: string | null;
  runs: number;
  /** median recorder CPU per event in the steady part, ns */
  cpuNsPerEvent: number;
  eventsPerS: number;
  errors: string[];
}

/** The same ring recording without and with each trigger, interleaved, `reps` times. */
async function benchTriggerCost(c: Ctx, reps: number, secs: number): Promise<TriggerCost[]> {
  const runs: RingRun[][] = COST_TRIGGERS.map(() => []);
  for (let rep = 0; rep < reps; rep++) for (const [i, t] of COST_TRIGGERS.entries()) runs[i].push(await ringRun(c, secs, t));
  return COST_TRIGGERS.map((trigger, i) => ({
    trigger,
    runs: runs[i].filter((r) => r.ok).length,
    cpuNsPerEvent: median(runs[i].filter((r) => r.ok).map((r) => r.cpuNsPerEvent)),
    eventsPerS: median(runs[i].filter((r) => r.ok).map((r) => r.eventsPerS)),
    errors: runs[i].filter((r) => !r.ok).map((r) => r.error ?? 'failed'),
  }));
}

export interface FlightBenchResult {
  ring: string;
  target_events_per_s: number;
  steady: RingRun;
  dumps: DumpBench;
  trigger_cost: TriggerCost[];
  /** where --trigger conditions are evaluated */
  triggers_evaluated: string;
  text: string;
}

const TRIGGERS_WHERE = 'in the recorder (record/triggers.ts), on the decoded rows of the watched tables after each drain; nothing in BPF';

export async function benchFlight(o: FlightBenchOptions): Promise<FlightBenchResult> {
  const c: Ctx = { workdir: o.workdir, cli: pkgPath('dist/cli/main.js'), workload: pkgPath('build/ktape-workload') };
  const costSecs = o.quick ? 10 : 30,
    costReps = o.quick ? 1 : Math.min(3, o.reps);
  o.log(`  steady: ktape record --ring ${RING} of getppid-rate ${CALLS_PER_S} (${fint(2 * CALLS_PER_S)} events/s) for ${o.secs} s`);
  const steady = await ringRun(c, o.secs, null);
  o.log(`  trigger to dump: SIGUSR1 and ${SLOW_TRIGGER}, ${o.quick ? 3 : 5} times each`);
  const dumps = await benchDumps(c, o.quick ? 3 : 5, o.quick ? 5 : 30);
  o.log(`  trigger cost: ${costReps} × ${COST_TRIGGERS.length} ring recordings of ${costSecs} s, interleaved`);
  const cost = await benchTriggerCost(c, costReps, costSecs);
  const r = { ring: RING, target_events_per_s: 2 * CALLS_PER_S, steady, dumps, trigger_cost: cost, triggers_evaluated: TRIGGERS_WHERE, text: '' };
  r.text = formatFlightBench(r);
  return r;
}

const ms = (ns: number) => fx(ns / 1e6, 1);
const mbOr = (x: number | null) => (x === null ? '-' : fx(x, 1));

export function formatFlightBench(r: FlightBenchResult): string {
  const s = r.steady;
  const out = [
    `steady: ktape record --events syscall --ring ${r.ring}, ${s.secs} s of getppid-rate at ${fint(r.target_events_per_s)} events/s`,
    `  achieved ${fint(s.eventsPerS)} events/s (the recorder's event count / the workload's time), ${fint(s.events)} events, ${fint(s.lost)} lost`,
    `  recorder CPU (steady part): ${fx(s.cpuPct, 1)} % of one CPU, ${fx(s.cpuNsPerEvent, 0)} ns/event; whole run ${fx(s.totalCpuNsPerEvent, 0)} ns/event`,
  ];
  if (!s.ok) out.push(`  FAILED: ${s.error?.trim().split('\n').slice(-2).join(' | ')}`);
  if (s.eventsPerS < 0.9 * r.target_events_per_s)
    out.push(
      `  (below ${fint(r.target_events_per_s)}/s: the traced workload did not issue calls that fast; a busy machine, not the recorder, if nothing was lost)`,
    );
  out.push(
    table([
      ['RSS MB', '10 s', '1 min', 'middle', 'end', 'max', '2nd half MB/min'],
      ['recorder', mbOr(s.rssMb.at10s), mbOr(s.rssMb.at1min), mbOr(s.rssMb.middle), mbOr(s.rssMb.end), fx(s.rssMb.max, 1), fx(s.rssSlopeMbPerMin, 2)],
    ]),
    '',
    table(
      [
        ['trigger to finished dump', 'n', 'median ms', 'max ms'],
        ...r.dumps.timings.map((t) => [
          `${t.trigger} (${t.trigger === 'SIGUSR1' ? 'from the signal sent' : "from the syscall's end"})`,
          String(t.ns.length),
          ms(median(t.ns)),
          ms(Math.max(...t.ns)),
        ]),
      ],
      `trigger to dump: --ring ${r.dumps.ring} of the same storm, ${r.dumps.fillS} s in; to the dump's manifest in place (directory mtime, 4 ms ticks)`,
    ),
  );
  if (!r.dumps.ok) out.push(`  errors: ${r.dumps.error}`);
  const none = r.trigger_cost.find((x) => x.trigger === null)?.cpuNsPerEvent ?? NaN;
  out.push(
    '',
    table(
      [
        ['--trigger', 'runs', 'recorder ns/event', 'vs none', 'events/s'],
        ...r.trigger_cost.map((x) => [
          x.trigger ?? '(none)',
          String(x.runs),
          fx(x.cpuNsPerEvent, 0),
          x.trigger ? fx(x.cpuNsPerEvent - none, 0) : '-',
          fint(x.eventsPerS),
        ]),
      ],
      `trigger cost: triggers are evaluated ${r.triggers_evaluated}`,
    ),
  );
  for (const x of r.trigger_cost) for (const e of x.errors) out.push(`  ${x.trigger ?? '(none)'} FAILED: ${e.trim().split('\n').slice(-2).join(' | ')}`);
  return out.join('\n');
}
