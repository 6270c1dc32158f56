/**
 * `--trigger syscall>DURATION` pairing, on rows as the recorder's scans hand them over (record/triggers.ts): each
 * scan gives the syscall_enter watcher its new rows, then the syscall_exit watcher its new rows. x86_64 numbers:
 * 35 nanosleep, 39 getpid, 56 clone, 231 exit_group. Times in ms.
 */
import { describe, expect, it } from 'vitest';
import type { DecodedRows, TriggerHit } from '../../family.js';
import { OpenSyscalls, syscallTrigger } from '../trigger.js';

type Row = [ms: number, tid: number, nr: number];
const MS = 1e6;

function rows(rs: Row[]): DecodedRows {
  const ts = new Uint32Array(2 * rs.length);
  rs.forEach(([ms], i) => {
    const ns = ms * MS;
    ts[2 * i] = ns % 4294967296;
    ts[2 * i + 1] = Math.floor(ns / 4294967296);
  });
  const cols = { tid: Int32Array.from(rs.map((r) => r[1])), nr: Int32Array.from(rs.map((r) => r[2])) };
  return { builder: { w32: { ts }, cols } as unknown as DecodedRows['builder'], side: {}, from: 0, to: rs.length };
}

/** The hits of `trigger` over `scans` (each: its new entries, its new returns). */
function hits(trigger: string, scans: [Row[], Row[]][]): string[] {
  const [, arg, value] = /^syscall(?::(\w+))?>(.+)$/.exec(trigger)!;
  const out: TriggerHit[] = [];
  const w = syscallTrigger.make({ text: trigger, name: 'syscall', arg: arg ?? null, op: '>', value, comm: null }, { machine: 'x86_64' }, (h) => {
    out.push(h);
    return false;
  });
  for (const [enter, exit] of scans) {
    if (enter.length) w.syscall_enter(rows(enter));
    if (exit.length) w.syscall_exit(rows(exit));
  }
  return out.map((h) => `${Number(h.ts) / MS} ${h.what}`);
}

describe('syscall trigger', () => {
  it('pairs each return with its own entry when a scan holds several calls of a thread', () => {
    const enter: Row[] = [
      [0, 7, 39],
      [2, 7, 35],
      [600, 7, 39],
      [1, 8, 39],
    ];
    const exit: Row[] = [
      [1, 7, 39],
      [500, 7, 35],
      [601, 7, 39],
      [900, 8, 39],
    ];
    expect(hits('syscall>200ms', [[enter, exit]])).toEqual(['2 nanosleep (tid 7) took 498ms', '1 getpid (tid 8) took 899ms']);
    expect(hits('syscall:nanosleep>200ms', [[enter, exit]])).toEqual(['2 nanosleep (tid 7) took 498ms']);
    expect(hits('syscall>500ms', [[enter, exit]])).toEqual(['1 getpid (tid 8) took 899ms']);
  });

  it('pairs across scans: an entry in one scan, its return in a later one', () => {
    const scans: [Row[], Row[]][] = [
      [
        [
          [0, 7, 39],
          [1, 7, 35],
        ],
        [[0.5, 7, 39]],
      ],
      [[[2, 9, 39]], []],
      [[], [[3, 9, 39]]],
      [
        [[4, 9, 39]],
        [
          [300, 7, 35],
          [5, 9, 39],
        ],
      ],
    ];
    expect(hits('syscall>200ms', scans)).toEqual(['1 nanosleep (tid 7) took 299ms']);
  });

  it('a missed return, an unreturned exit_group and a reused tid make no false hit', () => {
    const scans: [Row[], Row[]][] = [
      // tid 7: nanosleep's return is lost; tid 8 exits (exit_group never returns)
      [
        [
          [0, 7, 35],
          [0, 8, 231],
        ],
        [],
      ],
      // tid 7's next call pairs with its own entry; tid 8 is reused: the new thread's first row is clone's return
      [
        [[1000, 7, 39]],
        [
          [1001, 7, 39],
          [2000, 8, 56],
        ],
      ],
      // nor does an exit of another number pair with the lost one's entry
      [[[3000, 7, 35]], [[3900, 7, 39]]],
    ];
    expect(hits('syscall>200ms', scans)).toEqual([]);
  });

  it('a return with number -1 (after a signal handler) pairs with any entry', () => {
    expect(hits('syscall>200ms', [[[[0, 7, 35]], [[400, 7, -1]]]])).toEqual(['0 nanosleep (tid 7) took 400ms']);
  });

  it('keeps per-tid state bounded by the largest tid, not by the calls or threads seen', () => {
    const o = new OpenSyscalls();
    for (let scan = 0; scan < 50; scan++) {
      o.fold();
      for (let tid = 1; tid < 3000; tid++) o.enter(tid, scan * 1e6 + tid, 39);
      for (let tid = 1; tid < 3000; tid += 2) expect(o.exit(tid, scan * 1e6 + tid + 1)).toBe(scan * 1e6 + tid);
    }
    expect(o.slots).toBe(4096);
    // tid 2's 50 unreturned entries were carried as one: a return pairs with the latest
    o.fold();
    expect(o.exit(2, 60e6)).toBe(49e6 + 2);
    expect(o.exit(2, 61e6)).toBe(-1);
  });
});
