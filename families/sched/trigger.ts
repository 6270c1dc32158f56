/** `--trigger 'runq>DURATION'`: a task that waited runnable longer than DURATION (sched_wait rows, paired in the kernel). */
import { UsageError } from '../../formats/errors.js';
import { DURATION_UNITS, fmtNs, parseQuantity } from '../../formats/units.js';
import type { DecodedRows, TriggerDef } from '../family.js';

export const runqTrigger: TriggerDef = {
  help: ['runq>DURATION             a task that waited runnable (run queue) longer than DURATION (needs the sched wait pairing, on by default)'],
  make(c, _host, accept) {
    const over = c.op === '>' && c.value !== null && c.arg === null ? parseQuantity(c.value, DURATION_UNITS) : null;
    if (over === null) throw new UsageError(`--trigger ${c.text}: expected runq>DURATION, e.g. runq>50ms`);
    return {
      sched_wait: (r: DecodedRows) => {
        const w = r.builder.w32.wait_ns;
        const tid = r.builder.cols.tid as Int32Array;
        for (let i = r.from; i < r.to; i++) {
          const d = w[2 * i] + w[2 * i + 1] * 4294967296;
          if (d > over && accept({ ts: r.builder.cols.ts[i] as bigint, tid: tid[i], comm: null, what: `tid ${tid[i]} waited ${fmtNs(d)} runnable` })) return;
        }
      },
    };
  },
};
