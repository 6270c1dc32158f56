/** sched's compare metrics: CPU time, switches, and wakeup → running latency per group. */
import { num, numOrNull } from '../values.js';
import type { CompareDef } from '../family.js';

export const schedCompare: CompareDef = {
  metrics: {
    cpu_ns: { unit: 'ns', kind: 'flow', activity: true, doc: 'time on CPU (sum of sched slices)' },
    switches: { unit: 'count', kind: 'flow', activity: true, doc: 'times switched out' },
    voluntary_switches: { unit: 'count', kind: 'flow', doc: 'switched out blocking (S, D, ...)' },
    involuntary_switches: { unit: 'count', kind: 'flow', doc: 'switched out still runnable (preempted: R, R+)' },
    sched_wakeups: { unit: 'count', kind: 'flow', activity: true, doc: 'wakeups that ended a sleep (the latency samples)' },
    sched_latency_p50_ns: { unit: 'ns', kind: 'dist', q: 0.5, doc: 'wakeup → running, median' },
    sched_latency_p95_ns: { unit: 'ns', kind: 'dist', q: 0.95, doc: 'wakeup → running, 95th percentile' },
    sched_latency_p99_ns: { unit: 'ns', kind: 'dist', q: 0.99, doc: 'wakeup → running, 99th percentile' },
    sched_latency_max_ns: { unit: 'ns', kind: 'dist', q: 1, doc: 'wakeup → running, maximum' },
  },
  help: [
    'cpu_ns  switches  voluntary_switches  involuntary_switches',
    'sched_wakeups  sched_latency_p50_ns  sched_latency_p95_ns  sched_latency_p99_ns  sched_latency_max_ns',
    '    (wakeup -> running)',
  ],
  async collect(x) {
    for (const r of await x.query('cpu')) {
      const n = num(r.slices);
      x.put(r.grp, 'cpu_ns', num(r.cpu_ns), n);
      x.put(r.grp, 'switches', num(r.switches), num(r.switches));
      x.put(r.grp, 'voluntary_switches', num(r.voluntary_switches), num(r.voluntary_switches));
      x.put(r.grp, 'involuntary_switches', num(r.involuntary_switches), num(r.involuntary_switches));
    }
    for (const r of await x.query('sched_latency')) {
      const n = num(r.n);
      x.put(r.grp, 'sched_wakeups', n, n);
      x.put(r.grp, 'sched_latency_p50_ns', numOrNull(r.p50), n);
      x.put(r.grp, 'sched_latency_p95_ns', numOrNull(r.p95), n);
      x.put(r.grp, 'sched_latency_p99_ns', numOrNull(r.p99), n);
      x.put(r.grp, 'sched_latency_max_ns', numOrNull(r.mx), n);
    }
  },
};
