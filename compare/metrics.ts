/**
 * Metrics of one capture, per group (comm, process name or exec file).
 *
 * Every metric has a unit (ns, bytes, count) and a kind:
 *  - flow:  accumulates over time (cpu_ns, counts, bytes allocated): divided
 *           by the capture duration when comparing normalized;
 *  - level: a state (outstanding bytes at the end, number of threads);
 *  - dist:  a statistic of a distribution (percentiles, max, mean).
 * Only flow metrics are normalized.
 */
import { CaptureError, KtapeError } from '../formats/errors.js';
import { isDataError, type CaptureDb } from '../analyze/db.js';
import { SYSCALL_NAMES } from '../analyze/gen/syscalls.gen.js';
import * as Q from './queries.js';

export type Unit = 'ns' | 'bytes' | 'count';
export type Kind = 'flow' | 'level' | 'dist';
export type GroupBy = 'comm' | 'process' | 'exec';
/** event group a metric needs (manifest options.events) */
export type Needs = 'sched' | 'syscall' | 'kmem' | 'task';

export interface MetricDef {
  unit: Unit;
  kind: Kind;
  needs: Needs;
  /** quantile of a percentile metric (needs about 1/(1-q) samples) */
  q?: number;
  doc: string;
}

/** Fixed metrics. Per-syscall metrics (syscall.<name>.<stat>) come from syscallMetric(). */
export const METRICS: Record<string, MetricDef> = {
  cpu_ns: { unit: 'ns', kind: 'flow', needs: 'sched', doc: 'time on CPU (sum of sched slices)' },
  switches: { unit: 'count', kind: 'flow', needs: 'sched', doc: 'times switched out' },
  voluntary_switches: { unit: 'count', kind: 'flow', needs: 'sched', doc: 'switched out blocking (S, D, ...)' },
  involuntary_switches: { unit: 'count', kind: 'flow', needs: 'sched', doc: 'switched out still runnable (preempted: R, R+)' },
  sched_wakeups: { unit: 'count', kind: 'flow', needs: 'sched', doc: 'wakeups that ended a sleep (the latency samples)' },
  sched_latency_p50_ns: { unit: 'ns', kind: 'dist', needs: 'sched', q: 0.5, doc: 'wakeup → running, median' },
  sched_latency_p95_ns: { unit: 'ns', kind: 'dist', needs: 'sched', q: 0.95, doc: 'wakeup → running, 95th percentile' },
  sched_latency_p99_ns: { unit: 'ns', kind: 'dist', needs: 'sched', q: 0.99, doc: 'wakeup → running, 99th percentile' },
  sched_latency_max_ns: { unit: 'ns', kind: 'dist', needs: 'sched', q: 1, doc: 'wakeup → running, maximum' },
  syscall_count: { unit: 'count', kind: 'flow', needs: 'syscall', doc: 'system calls, all names' },
  syscall_errors: { unit: 'count', kind: 'flow', needs: 'syscall', doc: 'failed system calls (ret in -4095..-1)' },
  syscall_total_ns: { unit: 'ns', kind: 'flow', needs: 'syscall', doc: 'time inside system calls' },
  kmalloc_count: { unit: 'count', kind: 'flow', needs: 'kmem', doc: 'kmalloc allocations' },
  kmalloc_bytes: { unit: 'bytes', kind: 'flow', needs: 'kmem', doc: 'kmalloc bytes allocated' },
  kmalloc_outstanding_bytes: { unit: 'bytes', kind: 'level', needs: 'kmem', doc: 'kmalloc bytes still allocated at the end' },
  kmem_cache_count: { unit: 'count', kind: 'flow', needs: 'kmem', doc: 'kmem_cache_alloc allocations' },
  kmem_cache_bytes: { unit: 'bytes', kind: 'flow', needs: 'kmem', doc: 'kmem_cache_alloc bytes allocated' },
  kmem_cache_outstanding_bytes: { unit: 'bytes', kind: 'level', needs: 'kmem', doc: 'kmem_cache bytes still allocated at the end' },
  threads: { unit: 'count', kind: 'level', needs: 'task', doc: 'threads seen' },
  processes: { unit: 'count', kind: 'level', needs: 'task', doc: 'processes seen' },
  tasks_started: { unit: 'count', kind: 'flow', needs: 'task', doc: 'threads created during the capture' },
  tasks_exited: { unit: 'count', kind: 'flow', needs: 'task', doc: 'threads that exited during the capture' },
  task_lifetime_mean_ns: { unit: 'ns', kind: 'dist', needs: 'task', doc: 'lifetime of threads created and exited during the capture, mean' },
  task_lifetime_max_ns: { unit: 'ns', kind: 'dist', needs: 'task', doc: 'lifetime of threads created and exited during the capture, maximum' },
};

export const SYSCALL_STATS: Record<string, MetricDef> = {
  count: { unit: 'count', kind: 'flow', needs: 'syscall', doc: 'calls' },
  errors: { unit: 'count', kind: 'flow', needs: 'syscall', doc: 'failed calls' },
  total_ns: { unit: 'ns', kind: 'flow', needs: 'syscall', doc: 'time inside the call' },
  p99_ns: { unit: 'ns', kind: 'dist', needs: 'syscall', q: 0.99, doc: '99th percentile latency' },
};

const KNOWN_SYSCALLS = new Set(Object.values(SYSCALL_NAMES).flatMap((t) => Object.values(t)));

/** Definition of a metric name, or null when it is not one. */
export function metricDef(name: string): MetricDef | null {
  if (Object.hasOwn(METRICS, name)) return METRICS[name];
  const m = /^syscall\.([a-z0-9_]+)\.([a-z0-9_]+)$/.exec(name);
  if (m && (KNOWN_SYSCALLS.has(m[1]) || /^syscall_\d+$/.test(m[1])) && Object.hasOwn(SYSCALL_STATS, m[2])) return SYSCALL_STATS[m[2]];
  return null;
}

/** Why a metric name is not known (for error messages). */
export function unknownMetricHint(name: string): string {
  const m = /^syscall\.([^.]*)\.([^.]*)$/.exec(name);
  if (m) {
    if (!KNOWN_SYSCALLS.has(m[1]) && !/^syscall_\d+$/.test(m[1])) return `'${m[1]}' is not a system call name (e.g. read, getppid, or syscall_<nr>)`;
    return `'${m[2]}' is not a syscall statistic (choose from ${Object.keys(SYSCALL_STATS).join(', ')})`;
  }
  return `choose from ${Object.keys(METRICS).join(', ')}, or syscall.<name>.{${Object.keys(SYSCALL_STATS).join(',')}}`;
}

export interface Sample {
  /** value in the metric's unit (raw, not normalized); null = no samples */
  value: number | null;
  /** number of underlying events (slices, calls, allocations, wakeups, threads) */
  samples: number;
}

export interface CaptureInfo {
  dir: string;
  format_version: string;
  hostname: string | null;
  kernel_release: string | null;
  machine: string | null;
  complete: boolean;
  start_ts: number;
  end_ts: number;
  duration_ns: number;
  events: Needs[];
  losses: { reason: string; kind: string; count: number }[];
}

export interface CaptureMetrics {
  info: CaptureInfo;
  groups: Map<string, Map<string, Sample>>;
  /** group → folded stack (root first, without the group) → allocations */
  stacks: Map<string, Map<string, number>>;
}

type R = Record<string, any>;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Leaf frames added by ktape's own probes (BPF program, trampoline): dropped from allocation stacks. */
const PROBE_FRAME = /^(bpf_prog_[0-9a-f]+_kt_\w+|bpf_trace_run\d+|__bpf_trace_\w+)$/;

export function cleanFolded(folded: string | null): string {
  if (!folded) return '[no stack]';
  const frames = folded.split(';');
  while (frames.length > 1 && PROBE_FRAME.test(frames[frames.length - 1])) frames.pop();
  return frames.map((f) => f.replace(/[\s;]/g, '_')).join(';');
}

/** Collect every metric of one opened capture. */
export async function collect(cap: CaptureDb, by: GroupBy, which: 'BASE' | 'NEW'): Promise<CaptureMetrics> {
  const events = (cap.manifest.options?.events ?? []) as string[];
  const [c] = await cap.query<R>(Q.CAPTURE);
  const info: CaptureInfo = {
    dir: cap.dir,
    format_version: String(c.format_version),
    hostname: c.hostname ?? null,
    kernel_release: c.kernel_release ?? null,
    machine: c.machine ?? null,
    complete: !!c.complete,
    start_ts: num(c.start_ts),
    end_ts: num(c.end_ts),
    duration_ns: num(c.dur),
    events: (['sched', 'syscall', 'kmem', 'task'] as Needs[]).filter((e) => events.includes(e)),
    losses: (await cap.query<R>(Q.LOSSES)).map((r) => ({ reason: String(r.reason), kind: String(r.kind), count: num(r.n) })),
  };
  if (!(info.duration_ns > 0))
    throw new CaptureError('E_COMPARE_EMPTY', `compare ${which} ${cap.dir}: the capture window is empty (start_ts = end_ts); record for longer`);

  const groups = new Map<string, Map<string, Sample>>();
  const put = (grp: string, metric: string, value: number | null, samples: number) => {
    let g = groups.get(grp);
    if (!g) groups.set(grp, (g = new Map()));
    g.set(metric, { value, samples });
  };
  try {
    await cap.conn.run(Q.THREAD_GROUPS, { by, recorder: cap.manifest.recorder_tgid ?? null });
  } catch (e) {
    if (isDataError(e)) throw new CaptureError('E_CAPTURE_VALUES', `compare ${which} ${cap.dir}: the capture holds values out of range, so it is damaged (${(e as Error).message.split('\n')[0].slice(0, 200)})`);
    throw new KtapeError('E_COMPARE_QUERY', `compare ${which} ${cap.dir}: grouping threads by ${by} failed: ${(e as Error).message.split('\n')[0]} (a bug in ktape compare; please report it)`, 70);
  }
  const has = (n: Needs) => info.events.includes(n);

  if (has('sched')) {
    for (const r of await cap.query<R>(Q.CPU)) {
      const n = num(r.slices);
      put(r.grp, 'cpu_ns', num(r.cpu_ns), n);
      put(r.grp, 'switches', num(r.switches), num(r.switches));
      put(r.grp, 'voluntary_switches', num(r.voluntary_switches), num(r.voluntary_switches));
      put(r.grp, 'involuntary_switches', num(r.involuntary_switches), num(r.involuntary_switches));
    }
    for (const r of await cap.query<R>(Q.SCHED_LATENCY)) {
      const n = num(r.n);
      put(r.grp, 'sched_wakeups', n, n);
      put(r.grp, 'sched_latency_p50_ns', numOrNull(r.p50), n);
      put(r.grp, 'sched_latency_p95_ns', numOrNull(r.p95), n);
      put(r.grp, 'sched_latency_p99_ns', numOrNull(r.p99), n);
      put(r.grp, 'sched_latency_max_ns', numOrNull(r.mx), n);
    }
  }
  if (has('syscall')) {
    const tot = new Map<string, { n: number; errors: number; ns: number }>();
    for (const r of await cap.query<R>(Q.SYSCALLS)) {
      const n = num(r.n);
      const pre = `syscall.${r.name}.`;
      put(r.grp, `${pre}count`, n, n);
      put(r.grp, `${pre}errors`, num(r.errors), n);
      put(r.grp, `${pre}total_ns`, num(r.total_ns), num(r.timed));
      put(r.grp, `${pre}p99_ns`, numOrNull(r.p99), num(r.timed));
      const t = tot.get(r.grp) ?? { n: 0, errors: 0, ns: 0 };
      t.n += n; t.errors += num(r.errors); t.ns += num(r.total_ns);
      tot.set(r.grp, t);
    }
    for (const [grp, t] of tot) {
      put(grp, 'syscall_count', t.n, t.n);
      put(grp, 'syscall_errors', t.errors, t.n);
      put(grp, 'syscall_total_ns', t.ns, t.n);
    }
  }
  const stacks = new Map<string, Map<string, number>>();
  if (has('kmem')) {
    for (const r of await cap.query<R>(Q.KMEM)) {
      const pre = r.kind === 'kmalloc' ? 'kmalloc' : 'kmem_cache';
      const n = num(r.n);
      put(r.grp, `${pre}_count`, n, n);
      put(r.grp, `${pre}_bytes`, num(r.bytes), n);
      put(r.grp, `${pre}_outstanding_bytes`, num(r.outstanding_bytes), num(r.outstanding_n));
    }
    for (const r of await cap.query<R>(Q.ALLOC_STACKS)) {
      let g = stacks.get(r.grp);
      if (!g) stacks.set(r.grp, (g = new Map()));
      const k = cleanFolded(r.folded ?? null);
      g.set(k, (g.get(k) ?? 0) + num(r.n));
    }
  }
  if (has('task')) {
    for (const r of await cap.query<R>(Q.TASKS)) {
      const threads = num(r.threads);
      put(r.grp, 'threads', threads, threads);
      put(r.grp, 'processes', num(r.processes), threads);
      put(r.grp, 'tasks_started', num(r.started), num(r.started));
      put(r.grp, 'tasks_exited', num(r.exited), num(r.exited));
      const lived = num(r.lived);
      if (lived > 0) {
        put(r.grp, 'task_lifetime_mean_ns', Math.round(num(r.lifetime_mean)), lived);
        put(r.grp, 'task_lifetime_max_ns', numOrNull(r.lifetime_max), lived);
      }
    }
  }
  return { info, groups, stacks };
}
