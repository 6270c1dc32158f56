/** Command-line value checks shared by the subcommands. */
import { UsageError } from '../formats/errors.js';
import { KT_COMM_LEN } from '../formats/gen/events.gen.js';
import { EVENT_GROUPS, type EventGroup } from '../formats/schema.js';

/** Parser for `--events sched,task,syscall,kmem|all`; `flag` names the option in errors. */
export function eventGroupsParser(flag: string, code = 'E_USAGE') {
  return (v: string): EventGroup[] => {
    const out: EventGroup[] = [];
    for (const raw of v.split(',')) {
      const e = raw.trim();
      if (e === 'all') return [...EVENT_GROUPS];
      if (!EVENT_GROUPS.includes(e as EventGroup))
        throw new UsageError(`${flag} ${v}: unknown event group '${e}' (choose from ${EVENT_GROUPS.join(',')},all)`, code);
      if (!out.includes(e as EventGroup)) out.push(e as EventGroup);
    }
    if (out.length === 0) throw new UsageError(`${flag} ${v}: empty list (choose from ${EVENT_GROUPS.join(',')},all)`, code);
    return out;
  };
}

/** A task comm as the kernel stores it: 1 to KT_COMM_LEN - 1 bytes. */
export function isValidComm(c: string): boolean {
  return c.length > 0 && Buffer.byteLength(c) < KT_COMM_LEN;
}
