/**
 * Diff tests: a tid reused within one capture.
 *
 * Capture [0, 10000]. Process 100 creates thread 101 at 1000; 101 runs 1500..1800 on CPU 0, exits
 * at 1700 and is freed at 2500 (task_free: the tid may be reused from then on). At 3000 process 200
 * forks a new process whose tid is 101 again (tgid 101); it runs 4000..5000 on CPU 1. Every event
 * of the first instance belongs to process 100, every event of the second to process 101.
 */
import { describe } from 'vitest';
import { diffTest, sw } from '../../../test/diff/harness.js';

const CLONE_THREAD = 0x10000,
  SIGCHLD = 17;
const tables = {
  process_snapshot: [
    { ts: 0, tid: 100, tgid: 100, ppid: 1, comm: 'a', cmdline: 'a', start_ts: 0, uid: 1000 },
    { ts: 0, tid: 200, tgid: 200, ppid: 1, comm: 'b', cmdline: 'b', start_ts: 0, uid: 1000 },
  ],
  task_newtask: [
    { ts: 1000, cpu: 0, parent_tid: 100, parent_tgid: 100, child_tid: 101, child_tgid: 100, clone_flags: CLONE_THREAD, comm: 'a' },
    { ts: 3000, cpu: 1, parent_tid: 200, parent_tgid: 200, child_tid: 101, child_tgid: 101, clone_flags: SIGCHLD, comm: 'b' },
  ],
  task_ids: [
    { ts: 1000, tid: 101, tgid: 100 },
    { ts: 3000, tid: 101, tgid: 101 },
  ],
  task_exit: [{ ts: 1700, cpu: 0, tid: 101, tgid: 100, exit_code: 0, group_dead: 0, comm: 'a' }],
  task_free: [{ ts: 2500, cpu: 0, tid: 101, tgid: 100, comm: 'a' }],
  sched_waking: [{ ts: 3000, cpu: 1, tid: 101, target_cpu: 1, prio: 120, wakeup_new: 1, waker_tid: 200 }],
  sched_switch: [sw(1500, 0, 0, 101, 0), sw(1800, 0, 101, 0, 16), sw(4000, 1, 0, 101, 0), sw(5000, 1, 101, 0, 1)],
};
const manifest = { start_ts: 0, end_ts: 10_000 };

describe('tid reuse: task_free, then a new task with the same tid in another process', () => {
  diffTest('task_events: both lifecycles of tid 101, each with its tgid', {
    manifest,
    tables,
    via: 'cli',
    query: 'SELECT ts, event, tid, tgid, comm, parent_tgid FROM task_events WHERE tid = 101 ORDER BY ts',
    csv: `
      ts,event,tid,tgid,comm,parent_tgid
      1000,fork,101,100,a,100
      1700,exit,101,100,a,
      2500,free,101,100,a,
      3000,fork,101,101,b,200`,
  });

  diffTest('sched_slices: each run of tid 101 in its own process', {
    manifest,
    tables,
    via: 'cli',
    query: 'SELECT cpu, ts, dur, tid, tgid FROM sched_slices WHERE tid = 101 ORDER BY ts',
    csv: `
      cpu,ts,dur,tid,tgid
      0,1500,300,101,100
      1,4000,1000,101,101`,
  });

  diffTest('cpu --by process: CPU time goes to the process of each instance', {
    manifest,
    tables,
    analyze: ['cpu', '--by', 'process'],
    section: 'tasks',
    columns: ['tgid', 'comm', 'cpu_ns', 'threads'],
    csv: `
      tgid,comm,cpu_ns,threads
      101,b,1000,1
      100,a,300,1`,
  });

  diffTest('thread_state: the old instance dead (X) until the new one is woken', {
    manifest,
    tables,
    query: 'SELECT ts, dur, tgid, state, waker_tid FROM thread_state WHERE tid = 101 ORDER BY ts',
    csv: `
      ts,dur,tgid,state,waker_tid
      1500,300,100,Running,
      1800,1200,100,X,200
      3000,1000,101,R,200
      4000,1000,101,Running,
      5000,5000,101,S,`,
  });

  diffTest('processes: the new process 101 and its parent', {
    manifest,
    tables,
    query: 'SELECT tgid, comm, parent_tgid, start_ts, end_ts, from_snapshot FROM processes WHERE tgid = 101',
    csv: `
      tgid,comm,parent_tgid,start_ts,end_ts,from_snapshot
      101,b,200,3000,,false`,
  });

  // threads shows the latest instance of a tid (documented), with that instance's end only: the exit
  // at 1700 was the earlier instance's (before the fork at 3000); the new task 101 is alive at the end.
  diffTest('threads: the latest instance of tid 101 has not exited', {
    manifest,
    tables,
    via: 'cli',
    query: 'SELECT tid, tgid, comm, parent_tid, start_ts, end_ts, lifetime, exit_code FROM threads WHERE tid = 101',
    csv: `
      tid,tgid,comm,parent_tid,start_ts,end_ts,lifetime,exit_code
      101,101,b,200,3000,,,`,
  });

  // processes.threads is "the number of threads (tids) seen in it": process 100 had 100 and 101.
  diffTest('processes: process 100 counts its thread 101 too', {
    manifest,
    tables,
    query: 'SELECT tgid, threads FROM processes ORDER BY tgid',
    csv: `
      tgid,threads
      100,2
      101,1
      200,1`,
  });
});
