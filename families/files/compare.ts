/** files' compare metrics: opens and their errors per group of threads, and per path prefix (the first two components, as '[path /usr/lib]'). */
import type { CompareDef } from '../family.js';
import { num, numOrNull } from '../values.js';

export const filesCompare: CompareDef = {
  metrics: {
    files_opens: { unit: 'count', kind: 'flow', doc: 'open, openat, openat2 and creat calls (a path prefix: every process)' },
    files_open_errors: { unit: 'count', kind: 'flow', doc: 'of those, the failed ones (ENOENT, EACCES, ...)' },
    files_path_calls: { unit: 'count', kind: 'flow', activity: true, doc: 'syscalls that take a path (files family), all names' },
    files_open_p99_ns: { unit: 'ns', kind: 'dist', q: 0.99, doc: 'open latency, 99th percentile' },
  },
  help: ['files_opens  files_open_errors  files_path_calls  files_open_p99_ns (per group, and per path prefix as [path /a/b])'],
  async collect(x) {
    for (const name of ['process', 'prefix']) {
      for (const r of await x.query(name)) {
        const n = num(r.calls);
        x.put(r.grp, 'files_path_calls', n, n);
        x.put(r.grp, 'files_opens', num(r.opens), n);
        x.put(r.grp, 'files_open_errors', num(r.open_errors), num(r.opens));
        x.put(r.grp, 'files_open_p99_ns', numOrNull(r.open_p99), num(r.timed_opens));
      }
    }
  },
};
