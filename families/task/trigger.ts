/**
 * `--trigger 'exit!=0'`, `exit:signal`, `exit:SIGNAME`: a process (its last thread, group_dead) that exited with a
 * non-zero status or on a signal; on a signal only; on that signal. task_exit rows are few: the pass costs nothing.
 */
import { constants } from 'node:os';
import { UsageError } from '../../formats/errors.js';
import type { DecodedRows, TriggerDef } from '../family.js';

const SIGNALS = constants.signals as Record<string, number>;

/** which wait(2) statuses match, or null for a bad condition */
function matcher(c: { arg: string | null; op: string | null; value: string | null }): ((status: number) => boolean) | null {
  if (c.arg === null) return c.op === '!=' && c.value === '0' ? (s) => s !== 0 : null;
  if (c.op !== null) return null;
  if (c.arg === 'signal') return (s) => (s & 0x7f) !== 0;
  const sig = SIGNALS[c.arg.toUpperCase()] ?? SIGNALS[`SIG${c.arg.toUpperCase()}`];
  return sig ? (s) => (s & 0x7f) === sig : null;
}

export const exitTrigger: TriggerDef = {
  help: [
    'exit!=0                   a process that exited with a non-zero status or on a signal',
    'exit:signal, exit:SIGSEGV a process killed by a signal (by that signal)',
  ],
  make(c, _host, accept) {
    const match = matcher(c);
    if (!match) throw new UsageError(`--trigger ${c.text}: expected exit!=0, exit:signal or exit:SIGNAME (e.g. exit:SIGSEGV)`);
    return {
      task_exit: (r: DecodedRows) => {
        const b = r.builder;
        const code = b.cols.exit_code as Int32Array;
        const dead = b.cols.group_dead as Uint8Array;
        const tid = b.cols.tid as Int32Array;
        for (let i = r.from; i < r.to; i++) {
          if (!dead[i] || !match(code[i])) continue;
          const comm = b.textAt('comm', i);
          const s = code[i];
          const what = `${comm} (tgid ${(b.cols.tgid as Int32Array)[i]}) ${s & 0x7f ? `was killed by signal ${s & 0x7f}` : `exited with status ${(s >> 8) & 0xff}`}`;
          if (accept({ ts: b.cols.ts[i] as bigint, tid: tid[i], comm, what })) return;
        }
      },
    };
  },
};
