/** `--trigger 'runq>DURATION'`: a task that waited runnable longer than DURATION (the waits paired in the kernel, on the sched_switch rows). */
import { UsageError } from '../../formats/errors.js';
import * as W from '../../formats/gen/events.gen.js';
import { DURATION_UNITS, fmtNs, parseQuantity } from '../../formats/units.js';
import type { DecodedRows, TriggerDef } from '../family.js';

export const runqTrigger: TriggerDef = {
  help: ['runq>DURATION             a task that waited runnable (run queue) longer than DURATION (needs the sched wait pairing, on by default)'],
  make(c, _host, accept) {
    const over = c.op === '>' && c.value !== null && c.arg === null ? parseQuantity(c.value, DURATION_UNITS) : null;
    if (over === null) throw new UsageError(`--trigger ${c.text}: expected runq>DURATION, e.g. runq>50ms`);
    return {
      sched_switch: (r: DecodedRows) => {
        const w = r.builder.w32.next_wait_ns;
        const tid = r.builder.cols.next_tid as Int32Array;
        const flags = r.builder.cols.next_flags as Uint8Array;
        for (let i = r.from; i < r.to; i++) {
          if (!(flags[i] & W.KT_NEXT_WAIT)) continue;
          const d = w[2 * i] + w[2 * i + 1] * 4294967296;
          if (d > over && accept({ ts: r.builder.cols.ts[i] as bigint, tid: tid[i], comm: null, what: `tid ${tid[i]} waited ${fmtNs(d)} runnable` })) return;
        }
      },
    };
  },
};
