/** syscall's compare metrics: calls, failures and time per group, in total and per syscall name. */
import { SYSCALL_NAMES } from '../../analyze/gen/syscalls.gen.js';
import { num, numOrNull } from '../values.js';
import type { CompareDef, CompareMetricDef } from '../family.js';

/** the statistics of syscall.<name>.<stat> */
export const SYSCALL_STATS: Record<string, CompareMetricDef> = {
  count: { unit: 'count', kind: 'flow', doc: 'calls' },
  errors: { unit: 'count', kind: 'flow', doc: 'failed calls' },
  total_ns: { unit: 'ns', kind: 'flow', doc: 'time inside the call' },
  p99_ns: { unit: 'ns', kind: 'dist', q: 0.99, doc: '99th percentile latency' },
};

const KNOWN_SYSCALLS = new Set(Object.values(SYSCALL_NAMES).flatMap((t) => Object.values(t)));
const PER_NAME = /^syscall\.([^.]*)\.([^.]*)$/;
// syscall_<nr> for numbers the host's table does not name (-1: the kernel reported none)
const known = (name: string) => KNOWN_SYSCALLS.has(name) || /^syscall_-?\d+$/.test(name);

export const syscallCompare: CompareDef = {
  metrics: {
    syscall_count: { unit: 'count', kind: 'flow', activity: true, doc: 'system calls, all names' },
    syscall_errors: { unit: 'count', kind: 'flow', doc: 'failed system calls (ret in -4095..-1)' },
    syscall_total_ns: { unit: 'ns', kind: 'flow', doc: 'time inside system calls' },
  },
  pattern: {
    help: `syscall.<name>.{${Object.keys(SYSCALL_STATS).join(',')}}`,
    def(name) {
      const m = PER_NAME.exec(name);
      return m && /^[a-z0-9_-]+$/.test(m[1]) && known(m[1]) && Object.hasOwn(SYSCALL_STATS, m[2]) ? SYSCALL_STATS[m[2]] : null;
    },
    hint(name) {
      const m = PER_NAME.exec(name);
      if (!m) return null;
      if (!known(m[1])) return `'${m[1]}' is not a system call name (e.g. read, getppid, or syscall_<nr>)`;
      return `'${m[2]}' is not a syscall statistic (choose from ${Object.keys(SYSCALL_STATS).join(', ')})`;
    },
  },
  help: ['syscall_count  syscall_errors  syscall_total_ns', 'syscall.<name>.count  syscall.<name>.errors  syscall.<name>.total_ns  syscall.<name>.p99_ns'],
  async collect(x) {
    const tot = new Map<string, { n: number; errors: number; ns: number }>();
    for (const r of await x.query('syscalls')) {
      const n = num(r.n);
      const pre = `syscall.${r.name}.`;
      x.put(r.grp, `${pre}count`, n, n);
      x.put(r.grp, `${pre}errors`, num(r.errors), n);
      x.put(r.grp, `${pre}total_ns`, num(r.total_ns), num(r.timed));
      x.put(r.grp, `${pre}p99_ns`, numOrNull(r.p99), num(r.timed));
      const t = tot.get(r.grp) ?? { n: 0, errors: 0, ns: 0 };
      t.n += n;
      t.errors += num(r.errors);
      t.ns += num(r.total_ns);
      tot.set(r.grp, t);
    }
    for (const [grp, t] of tot) {
      x.put(grp, 'syscall_count', t.n, t.n);
      x.put(grp, 'syscall_errors', t.errors, t.n);
      x.put(grp, 'syscall_total_ns', t.ns, t.n);
    }
  },
};
