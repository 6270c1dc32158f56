/** `--trigger oom`: a task the OOM killer chose (oom_victim rows, recorded whatever the process filter). */
import { UsageError } from '../../formats/errors.js';
import type { DecodedRows, TriggerDef } from '../family.js';

export const oomTrigger: TriggerDef = {
  help: ['oom                       a task chosen by the OOM killer'],
  make(c, _host, accept) {
    if (c.arg !== null || c.op !== null) throw new UsageError(`--trigger ${c.text}: expected oom (optionally oom,comm=NAME)`);
    return {
      oom_victim: (r: DecodedRows) => {
        const b = r.builder;
        for (let i = r.from; i < r.to; i++) {
          const comm = b.textAt('comm', i);
          const tid = (b.cols.tid as Int32Array)[i];
          if (accept({ ts: b.cols.ts[i] as bigint, tid, comm, what: `the OOM killer chose ${comm} (tid ${tid})` })) return;
        }
      },
    };
  },
};
