/** task's compare metrics: threads and processes, created and exited, lifetimes, and the exits' accounting. */
import { num, numOrNull } from '../values.js';
import type { CompareDef } from '../family.js';

export const taskCompare: CompareDef = {
  metrics: {
    threads: { unit: 'count', kind: 'level', doc: 'threads seen' },
    processes: { unit: 'count', kind: 'level', doc: 'processes seen' },
    tasks_started: { unit: 'count', kind: 'flow', doc: 'threads created during the capture' },
    tasks_exited: { unit: 'count', kind: 'flow', doc: 'threads that exited during the capture' },
    task_lifetime_mean_ns: { unit: 'ns', kind: 'dist', doc: 'lifetime of threads created and exited during the capture, mean' },
    task_lifetime_max_ns: { unit: 'ns', kind: 'dist', doc: 'lifetime of threads created and exited during the capture, maximum' },
    exit_nvcsw: { unit: 'count', kind: 'flow', doc: 'voluntary context switches of the threads that exited, as the kernel counted them (format 1.7)' },
    exit_nivcsw: { unit: 'count', kind: 'flow', doc: 'involuntary context switches (preemptions) of the threads that exited (format 1.7)' },
    exit_min_flt: { unit: 'count', kind: 'flow', doc: 'minor page faults of the threads that exited (format 1.7)' },
    exit_maj_flt: { unit: 'count', kind: 'flow', doc: 'major page faults of the threads that exited (format 1.7)' },
    exit_maxrss_bytes: { unit: 'bytes', kind: 'level', doc: 'peak RSS at exit, largest (format 1.7)' },
  },
  help: [
    'threads  processes  tasks_started  tasks_exited  task_lifetime_mean_ns  task_lifetime_max_ns',
    'exit_nvcsw  exit_nivcsw  exit_min_flt  exit_maj_flt  exit_maxrss_bytes',
  ],
  async collect(x) {
    for (const r of await x.query('tasks')) {
      const threads = num(r.threads);
      x.put(r.grp, 'threads', threads, threads);
      x.put(r.grp, 'processes', num(r.processes), threads);
      x.put(r.grp, 'tasks_started', num(r.started), num(r.started));
      x.put(r.grp, 'tasks_exited', num(r.exited), num(r.exited));
      const lived = num(r.lived);
      if (lived > 0) {
        x.put(r.grp, 'task_lifetime_mean_ns', Math.round(num(r.lifetime_mean)), lived);
        x.put(r.grp, 'task_lifetime_max_ns', numOrNull(r.lifetime_max), lived);
      }
      // exits with accounting (none in captures older than format 1.7)
      const exits = num(r.acct_exits);
      if (exits > 0) {
        for (const m of ['exit_nvcsw', 'exit_nivcsw', 'exit_min_flt', 'exit_maj_flt', 'exit_maxrss_bytes']) x.put(r.grp, m, numOrNull(r[m]), exits);
      }
    }
  },
};
