/**
 * Diff tests: exec from a thread that is not the thread group leader (task_exec.old_tid != tid).
 *
 * Capture [0, 10000], process 300 with threads 300 (leader, on CPU 0 from 500) and 301 (on CPU 1 from
 * 1000). 301 calls execve at 1100; the kernel kills the leader (exit at 1400, switched out dead at 1500),
 * then 301 takes the leader's tid: from the exec (2000) on it is tid 300, and the old leader's
 * task_struct is freed as tid 301 (2500). The exec'd thread leaves CPU 1 at 3000, as tid 300, and
 * sleeps until the end. execve returns in tid 300 (sys_exit at 2100).
 */
import { describe } from 'vitest';
import { diffTest, sw } from '../../../test/diff/harness.js';

const execTables = {
  process_snapshot: [
    { ts: 0, tid: 300, tgid: 300, ppid: 1, comm: 'old', cmdline: 'old', start_ts: 0, uid: 1000 },
    { ts: 0, tid: 301, tgid: 300, ppid: 1, comm: 'old', cmdline: 'old', start_ts: 0, uid: 1000 },
  ],
  sched_switch: [sw(500, 0, 0, 300, 0), sw(1500, 0, 300, 0, 16), sw(1000, 1, 0, 301, 0), sw(3000, 1, 300, 0, 1)],
  task_exit: [{ ts: 1400, cpu: 0, tid: 300, tgid: 300, exit_code: 9, group_dead: 0, comm: 'old' }],
  task_exec: [{ ts: 2000, cpu: 1, tid: 300, tgid: 300, old_tid: 301, comm: 'new', filename: '/bin/new' }],
  task_free: [{ ts: 2500, cpu: 0, tid: 301, tgid: 300, comm: 'old' }],
  syscall_enter: [{ ts: 1100, cpu: 1, tid: 301, nr: 59 }],
  syscall_exit: [{ ts: 2100, cpu: 1, tid: 300, nr: 59, ret: 0 }],
};
const manifest = { start_ts: 0, end_ts: 10_000 };
const tables = execTables;

describe('exec from a non-leader thread', () => {
  diffTest('task_events: the exec names the new tid and the old one', {
    manifest,
    tables,
    via: 'cli',
    query: "SELECT ts, event, tid, tgid, old_tid, comm, filename FROM task_events WHERE event = 'exec'",
    csv: `
      ts,event,tid,tgid,old_tid,comm,filename
      2000,exec,300,300,301,new,/bin/new`,
  });

  diffTest('processes: process 300 runs the new program and did not exit', {
    manifest,
    tables,
    query: 'SELECT tgid, comm, exec_filename, end_ts, exit_code, threads FROM processes',
    csv: `
      tgid,comm,exec_filename,end_ts,exit_code,threads
      300,new,/bin/new,,,2`,
  });

  diffTest("cpu --by process: both threads' CPU time in process 300", {
    manifest,
    tables,
    analyze: ['cpu', '--by', 'process'],
    section: 'tasks',
    columns: ['tgid', 'comm', 'cpu_ns', 'threads'],
    csv: `
      tgid,comm,cpu_ns,threads
      300,new,3000,2`,
  });

  // The exit at 1400 was the old leader's; tid 300 is the exec'd thread from 2000 on, alive at the end.
  diffTest('threads: tid 300 after the exec is alive at the end', {
    manifest,
    tables,
    via: 'cli',
    query: 'SELECT tid, tgid, comm, exec_ts, exec_filename, end_ts, exit_code, is_leader FROM threads WHERE tid = 300',
    csv: `
      tid,tgid,comm,exec_ts,exec_filename,end_ts,exit_code,is_leader
      300,300,new,2000,/bin/new,,,true`,
  });

  // sched_slices: CPU 1 ran the exec'ing thread 1000..3000 and was idle after. thread_state must agree
  // per CPU although the switch-out at 3000 names tid 300: the exec (old_tid 301 -> tid 300) ends tid 301's
  // Running state at 2000 and starts tid 300's on CPU 1.
  diffTest('thread_state: Running per CPU matches sched_slices across the tid change', {
    manifest,
    tables,
    query: "SELECT cpu, sum(dur) AS running_ns, max(end_ts) AS last_end FROM thread_state WHERE state = 'Running' GROUP BY cpu ORDER BY cpu",
    csv: `
      cpu,running_ns,last_end
      0,1000,1500
      1,2000,3000`,
  });

  // Per tid: the old leader runs, dies (X) and its tid is taken at the exec (2000); the exec'ing thread is
  // Running as 301 until the exec and as 300 after it, on CPU 1, then sleeps as 300 until the end.
  diffTest('thread_state: the exec moves the running thread from tid 301 to tid 300', {
    manifest,
    tables,
    query: 'SELECT tid, ts, dur, tgid, state, cpu, clipped FROM thread_state ORDER BY tid, ts',
    csv: `
      tid,ts,dur,tgid,state,cpu,clipped
      300,500,1000,300,Running,0,false
      300,1500,500,300,X,0,false
      300,2000,1000,300,Running,1,false
      300,3000,7000,300,S,1,true
      301,1000,1000,300,Running,1,false`,
  });

  // The tid changes inside execve, before task_exec is emitted: here the exec'ing thread blocks (D) at 1800,
  // already reported as tid 300, is woken at 1900 and runs again at 1950 before the exec event (2000).
  // tid 301's Running state ends at that switch-out, and tid 300's own events carry on.
  diffTest('thread_state: a switch-out under the new tid before the exec event ends the old tid', {
    manifest,
    tables: {
      ...execTables,
      sched_switch: [
        sw(500, 0, 0, 300, 0),
        sw(1500, 0, 300, 0, 16),
        sw(1000, 1, 0, 301, 0),
        sw(1800, 1, 300, 0, 2),
        sw(1950, 1, 0, 300, 0),
        sw(3000, 1, 300, 0, 1),
      ],
      sched_waking: [{ ts: 1900, cpu: 0, tid: 300, target_cpu: 1, prio: 120, waker_tid: 0 }],
    },
    query: 'SELECT tid, ts, dur, state, cpu, waker_tid FROM thread_state ORDER BY tid, ts',
    csv: `
      tid,ts,dur,state,cpu,waker_tid
      300,500,1000,Running,0,
      300,1500,300,X,0,
      300,1800,100,D,1,0
      300,1900,50,R,1,0
      300,1950,1050,Running,1,
      300,3000,7000,S,1,
      301,1000,800,Running,1,`,
  });

  diffTest('sched_slices: CPU 1 busy 1000..3000 under the tid it was switched in with', {
    manifest,
    tables,
    query: 'SELECT cpu, ts, dur, tid, tgid, end_state FROM sched_slices WHERE tid <> 0 ORDER BY cpu, ts',
    csv: `
      cpu,ts,dur,tid,tgid,end_state
      0,500,1000,300,300,X
      1,1000,2000,301,300,S`,
  });
});
