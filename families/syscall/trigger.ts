/**
 * `--trigger 'syscall[:NAME]>DURATION'`: a syscall (of that name) that took longer than DURATION, from its entry to
 * its return on the same thread. Evaluated on the decoded rows: each entry's time is kept per thread until its
 * return (a Map lookup per row, only while a syscall trigger is set).
 */
import { SYSCALL_NAMES } from '../../analyze/gen/syscalls.gen.js';
import { UsageError } from '../../formats/errors.js';
import { DURATION_UNITS, fmtNs, parseQuantity } from '../../formats/units.js';
import type { DecodedRows, TriggerDef } from '../family.js';

/** boottime ns of row i (exact to the ns for 104 days of uptime; enough to compare durations) */
const tsOf = (w: Uint32Array, i: number) => w[2 * i] + w[2 * i + 1] * 4294967296;

function syscallNr(text: string, name: string, machine: string): number {
  const table = SYSCALL_NAMES[machine] ?? {};
  const e = Object.entries(table).find(([, n]) => n === name);
  if (!e) throw new UsageError(`--trigger ${text}: no syscall named ${name} on ${machine || 'this machine'}`);
  return Number(e[0]);
}

export const syscallTrigger: TriggerDef = {
  help: ['syscall[:NAME]>DURATION   a syscall (named NAME) that took longer than DURATION (e.g. syscall:nanosleep>200ms)'],
  make(c, host, accept) {
    const over = c.op === '>' && c.value !== null ? parseQuantity(c.value, DURATION_UNITS) : null;
    if (over === null) throw new UsageError(`--trigger ${c.text}: expected syscall[:NAME]>DURATION, e.g. syscall>200ms or syscall:nanosleep>1s`);
    const nr = c.arg === null ? -1 : syscallNr(c.text, c.arg, host.machine);
    /** per tid: the entry times not yet paired with a return, oldest first (usually one) */
    const open = new Map<number, number[]>();
    return {
      syscall_enter: (r: DecodedRows) => {
        const ts = r.builder.w32.ts;
        const tid = r.builder.cols.tid as Int32Array;
        const nrs = r.builder.cols.nr as Int32Array;
        for (let i = r.from; i < r.to; i++) {
          if (nr >= 0 && nrs[i] !== nr) continue;
          const q = open.get(tid[i]);
          if (q) q.push(tsOf(ts, i));
          else open.set(tid[i], [tsOf(ts, i)]);
        }
      },
      syscall_exit: (r: DecodedRows) => {
        const ts = r.builder.w32.ts;
        const tid = r.builder.cols.tid as Int32Array;
        for (let i = r.from; i < r.to; i++) {
          const q = open.get(tid[i]);
          if (!q) continue;
          const end = tsOf(ts, i);
          let start = -1;
          while (q.length && q[0] <= end) start = q.shift()!;
          if (!q.length) open.delete(tid[i]);
          const d = end - start;
          if (start < 0 || d <= over) continue;
          const n = (r.builder.cols.nr as Int32Array)[i];
          const name = c.arg ?? SYSCALL_NAMES[host.machine]?.[n] ?? `syscall ${n}`;
          // the hit is when the syscall began: the window reaches a ring before that
          if (accept({ ts: BigInt(start), tid: tid[i], comm: null, what: `${name} (tid ${tid[i]}) took ${fmtNs(d)}` })) return;
        }
      },
    };
  },
};
