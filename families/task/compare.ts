/** task's compare metrics: threads and processes, created and exited, lifetimes. */
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
  },
  help: ['threads  processes  tasks_started  tasks_exited  task_lifetime_mean_ns  task_lifetime_max_ns'],
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
    }
  },
};
