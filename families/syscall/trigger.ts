/**
 * `--trigger 'syscall[:NAME]>DURATION'`: a syscall (of that name) that took longer than DURATION, from its entry to
 * its return on the same thread. Evaluated on the decoded rows, with the pairing rule of the syscalls module
 * (sql/): a return pairs with its thread's latest entry before it when that is of the same syscall number (or the
 * return's number is -1, as after a signal handler). The open entries are kept per tid in typed arrays indexed by
 * tid (OpenSyscalls): no allocation and no Map per row, a few array reads per row (bench/flight.ts, trigger cost).
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

/** `a` in a zeroed array of `n` (pages past a's end stay untouched until used) */
const grown = <T extends Float64Array | Int32Array>(a: T, n: number): T => {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
};

/**
 * The syscall entries not yet paired with a return, per thread. Rows come in ring order per thread (one ring
 * buffer), but a scan of the rows decoded since the last one sees all its entries before all its returns, so a
 * thread may have several entries open within a scan: they are a list (linked through `next`) in this scan's
 * scratch arrays; a return takes every entry at or before it and pairs with the latest. At the next scan
 * (fold()), a thread's unpaired entries shrink to its latest (`carry`): a return after them is later than all of
 * them. The per-tid arrays grow to the largest tid seen (< pid_max; 20 bytes a tid, only the pages of tids in use
 * touched), so memory is bounded whatever the tid churn,
 * and a dead thread's entry (exit_group) is taken by the first return of the next thread with its tid, whose
 * number (clone's) does not match it: no false hit.
 */
export class OpenSyscalls {
  /** per tid: the entry carried from an earlier scan, its ts (0: none) and number */
  private carryTs = new Float64Array(1024);
  private carryNr = new Int32Array(1024);
  /** per tid: this scan's first and last open entry, as index + 1 into ets (0: none: new pages stay untouched) */
  private head = new Int32Array(1024);
  private tail = new Int32Array(1024);
  /** this scan's entries: ts, number, the next open entry of the same tid (index + 1; 0: none) */
  private ets = new Float64Array(1024);
  private enr = new Int32Array(1024);
  private next = new Int32Array(1024);
  private n = 0;
  /** the tids with entries in this scan */
  private touched = new Int32Array(1024);
  private nt = 0;
  /** the number of the entry the last exit() paired with */
  nr = -1;

  /** tid slots (for tests: bounded by the largest tid seen) */
  get slots(): number {
    return this.carryTs.length;
  }

  /** A new scan's entries begin: the earlier scans' open entries are carried, the latest per thread. */
  fold(): void {
    for (let i = 0; i < this.nt; i++) {
      const t = this.touched[i];
      if (this.head[t]) {
        this.carryTs[t] = this.ets[this.tail[t] - 1];
        this.carryNr[t] = this.enr[this.tail[t] - 1];
      }
      this.head[t] = 0;
      this.tail[t] = 0;
    }
    this.n = 0;
    this.nt = 0;
  }

  enter(tid: number, ts: number, nr: number): void {
    if (tid >= this.carryTs.length) this.growTids(tid);
    if (this.n === this.ets.length) this.growScan();
    const k = this.n++;
    this.ets[k] = ts;
    this.enr[k] = nr;
    this.next[k] = 0;
    if (!this.head[tid]) {
      this.head[tid] = k + 1;
      this.touched[this.nt++] = tid;
    } else this.next[this.tail[tid] - 1] = k + 1;
    this.tail[tid] = k + 1;
  }

  /** A return at `ts`: the ts of the latest open entry at or before it (this.nr its number), or -1; takes them. */
  exit(tid: number, ts: number): number {
    if (tid >= this.carryTs.length) return -1;
    let start = -1;
    const c = this.carryTs[tid];
    if (c !== 0 && c <= ts) {
      start = c;
      this.nr = this.carryNr[tid];
      this.carryTs[tid] = 0;
    }
    let h = this.head[tid];
    while (h && this.ets[h - 1] <= ts) {
      start = this.ets[h - 1];
      this.nr = this.enr[h - 1];
      h = this.next[h - 1];
    }
    this.head[tid] = h;
    return start;
  }

  private growTids(tid: number): void {
    let n = this.carryTs.length;
    while (n <= tid) n *= 2;
    this.carryTs = grown(this.carryTs, n);
    this.carryNr = grown(this.carryNr, n);
    this.head = grown(this.head, n);
    this.tail = grown(this.tail, n);
  }

  private growScan(): void {
    const n = 2 * this.ets.length;
    this.ets = grown(this.ets, n);
    this.enr = grown(this.enr, n);
    this.next = grown(this.next, n);
    this.touched = grown(this.touched, n);
  }
}

export const syscallTrigger: TriggerDef = {
  help: ['syscall[:NAME]>DURATION   a syscall (named NAME) that took longer than DURATION (e.g. syscall:nanosleep>200ms)'],
  make(c, host, accept) {
    const over = c.op === '>' && c.value !== null ? parseQuantity(c.value, DURATION_UNITS) : null;
    if (over === null) throw new UsageError(`--trigger ${c.text}: expected syscall[:NAME]>DURATION, e.g. syscall>200ms or syscall:nanosleep>1s`);
    const nr = c.arg === null ? -1 : syscallNr(c.text, c.arg, host.machine);
    const open = new OpenSyscalls();
    return {
      syscall_enter: (r: DecodedRows) => {
        const ts = r.builder.w32.ts;
        const tid = r.builder.cols.tid as Int32Array;
        const nrs = r.builder.cols.nr as Int32Array;
        open.fold();
        for (let i = r.from; i < r.to; i++) if (nr < 0 || nrs[i] === nr) open.enter(tid[i], tsOf(ts, i), nrs[i]);
      },
      syscall_exit: (r: DecodedRows) => {
        const ts = r.builder.w32.ts;
        const tid = r.builder.cols.tid as Int32Array;
        const nrs = r.builder.cols.nr as Int32Array;
        let done = false;
        for (let i = r.from; i < r.to; i++) {
          const end = tsOf(ts, i);
          const start = open.exit(tid[i], end);
          // every return takes its entries (done or not), so a later return pairs with its own entry
          if (done || start < 0 || end - start <= over || (nrs[i] !== -1 && nrs[i] !== open.nr)) continue;
          const name = c.arg ?? SYSCALL_NAMES[host.machine]?.[open.nr] ?? `syscall ${open.nr}`;
          // the hit is when the syscall began: the window reaches a ring before that
          done = accept({ ts: BigInt(start), tid: tid[i], comm: null, what: `${name} (tid ${tid[i]}) took ${fmtNs(end - start)}` });
        }
      },
    };
  },
};
