/**
 * Diff tests: the sleeps of the offcpu report (_sleeps). From format 1.9 on the recorder pairs each sleep
 * in the kernel: the wakeup that ends it carries it (sched_waking.slept_state, slept_ns); a switch-in whose
 * wakeup raced the sleeping switch-out carries it instead (next_flags 16, next_wait_ns); the last sleep of a
 * thread is clipped at the capture end. Older captures derive the same rows from thread_state. Both give
 * thread_state's sleeping rows.
 */
import { describe } from 'vitest';
import { diffTest, sw } from '../../../test/diff/harness.js';

// capture [0, 10000], tid 10 on CPU 0: runs from 1000; sleeps (S) at 2000, woken by 20 at 3000, back on the CPU at
// 3500; blocks (D) at 4000, but its wakeup (at 3990, by 30) came before that switch-out, so nothing wakes it
// after it: it is switched in at 5000; sleeps (S) at 6000 until the end.
const waking = (ts: number, waker: number, sleptState: number, sleptNs: number) => ({
  ts,
  cpu: 1,
  tid: 10,
  target_cpu: 0,
  prio: 120,
  wakeup_new: 0,
  waker_tid: waker,
  slept_state: sleptState,
  slept_ns: sleptNs,
});
const tables = {
  sched_switch: [
    sw(1000, 0, 0, 10, 0),
    sw(2000, 0, 10, 0, 1),
    sw(3500, 0, 0, 10, 0, { next_flags: 3, next_wait_ns: 500 }),
    sw(4000, 0, 10, 0, 2),
    sw(5000, 0, 0, 10, 0, { next_flags: 16, next_wait_ns: 1000 }),
    sw(6000, 0, 10, 0, 1),
  ],
  sched_waking: [waking(3000, 20, 1, 1000), waking(3990, 30, 0, 0)],
};
const manifest = { start_ts: 0, end_ts: 10_000 };
const SLEEPS = `
  ts,dur,tid,state,waker_tid,clipped
  2000,1000,10,S,20,false
  4000,1000,10,D,,false
  6000,4000,10,S,,true`;

describe('sleeps paired in the kernel (format 1.9) and derived (older formats)', () => {
  const q = 'SELECT ts, dur, tid, state, waker_tid, clipped FROM _sleeps WHERE tid = 10 ORDER BY ts';
  diffTest('_sleeps, paired: from the wakeups, a raced switch-in and the clipped last sleep', { manifest, tables, via: 'cli', query: q, csv: SLEEPS });
  diffTest('_sleeps, derived (format 1.8): the same rows from thread_state', { format: '1.8', manifest, tables, via: 'cli', query: q, csv: SLEEPS });
  diffTest('thread_state: the same sleeping rows', {
    manifest,
    tables,
    query: "SELECT ts, dur, tid, state, waker_tid, clipped FROM thread_state WHERE tid = 10 AND state NOT IN ('Running', 'R', 'R+') ORDER BY ts",
    csv: SLEEPS,
  });
  diffTest('offcpu report: S and D time, blocks and the waker', {
    manifest,
    tables,
    analyze: ['offcpu'],
    section: 'tasks',
    columns: ['tid', 'offcpu_ns', 'sleep_ns', 'blocked_io_ns', 'blocks', 'max_ns'],
    csv: `
      tid,offcpu_ns,sleep_ns,blocked_io_ns,blocks,max_ns
      10,6000,5000,1000,3,4000`,
  });
});
