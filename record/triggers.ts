/**
 * `ktape record --trigger`: conditions that dump the flight recorder's window (--ring). Each family defines its
 * conditions (Family.triggers); the recorder evaluates them on the decoded rows of the tables they watch, in one
 * pass after every drain and before any batch of those tables is written (so no row is missed when a batch fills
 * mid-drain). Nothing runs in BPF: the cost is a loop over the new rows of the watched tables only, and none
 * without --trigger (figures: `npm run bench -- --only flight`, bench/flight.ts).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../formats/errors.js';
import { FAMILIES } from '../families/index.js';
import type { DecodedRows, TriggerCond, TriggerDef, TriggerHit } from '../families/family.js';
import type { TableWriter } from './writer.js';

const SYNTAX = /^([a-z_]+)(?::([A-Za-z0-9_]+))?(?:(>|!=)([^,\s]+))?(?:,comm=([^,]{1,15}))?$/;

/** condition name → its family and definition */
function definitions(): Map<string, { family: string; def: TriggerDef }> {
  const out = new Map<string, { family: string; def: TriggerDef }>();
  for (const f of FAMILIES) for (const [name, def] of Object.entries(f.triggers ?? {})) out.set(name, { family: f.name, def });
  return out;
}

/** The --help lines of every condition. */
export function triggerHelp(): string[] {
  return [...definitions().values()].flatMap((d) => d.def.help);
}

/** Parse one --trigger text (syntax only; make() checks the values). */
export function parseTrigger(text: string): TriggerCond {
  const names = [...definitions().keys()].join(', ');
  const m = SYNTAX.exec(text);
  if (!m) throw new UsageError(`--trigger ${text}: expected NAME[:ARG][>VALUE or !=VALUE][,comm=COMM], NAME one of ${names} (e.g. syscall>200ms)`);
  if (!definitions().has(m[1])) throw new UsageError(`--trigger ${text}: unknown condition ${m[1]} (one of ${names})`);
  return { text, name: m[1], arg: m[2] ?? null, op: (m[3] as TriggerCond['op']) ?? null, value: m[4] ?? null, comm: m[5] ?? null };
}

function commOf(tid: number): string | null {
  try {
    return readFileSync(`/proc/${tid}/comm`, 'utf8').trimEnd();
  } catch {
    return null; // gone since
  }
}

/** A trigger that fired: what matched, and which --trigger. */
export interface Fired extends TriggerHit {
  trigger: string;
}

/** The conditions of one recording, watching the writers of their tables. */
export class Triggers {
  /** the first hit since armed, if any */
  fired: Fired | null = null;
  private armed = true;
  private readonly watchers: { w: TableWriter; fn: (r: DecodedRows) => void; batch: number; row: number }[] = [];

  constructor(conds: TriggerCond[], machine: string, events: readonly string[], writers: Record<string, TableWriter>) {
    const defs = definitions();
    for (const c of conds) {
      const { family, def } = defs.get(c.name)!;
      if (!events.includes(family)) throw new UsageError(`--trigger ${c.text}: needs the ${family} family recorded (--events ${family},...)`);
      for (const [table, fn] of Object.entries(def.make(c, { machine }, (h) => this.accept(c, h)))) {
        const w = writers[table];
        w.beforeTake = () => this.scan();
        this.watchers.push({ w, fn, batch: 0, row: 0 });
      }
    }
  }

  private accept(c: TriggerCond, h: TriggerHit): boolean {
    if (!this.armed) return true;
    if (c.comm !== null && (h.comm ?? commOf(h.tid)) !== c.comm) return false;
    this.fired = { ...h, trigger: c.text };
    this.armed = false;
    return true;
  }

  /** Take the hit and watch for the next one. */
  rearm(): void {
    this.fired = null;
    this.armed = true;
  }

  /** Run every watcher over the rows its table got since it last looked. */
  scan(): void {
    for (const s of this.watchers) {
      const b = s.w.builder;
      const from = s.batch === b.batches ? s.row : 0;
      if (b.length > from) s.fn({ builder: b, side: {}, from, to: b.length });
      s.batch = b.batches;
      s.row = b.length;
    }
  }
}

/** Parse and check one --trigger (its values too), for the command line: a UsageError names the flag. */
export function checkTrigger(text: string, machine: string): TriggerCond {
  const c = parseTrigger(text);
  definitions()
    .get(c.name)!
    .def.make(c, { machine }, () => false);
  return c;
}
