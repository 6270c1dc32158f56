/**
 * Diff tests: context switches the kernel did not report (losses, reason 'kernel_gap').
 *
 * One CPU, capture [0, 10000] ns. Task 10 is switched in at 1000 and never switched out; task 20 is
 * switched out at 5000. The switch 10 -> 20 in between was not reported. From format 1.1 the recorder
 * knows when it happened (losses.resume_ts: task 20's arrival on the CPU, here 3000) and from 1.2 who
 * resumed (resume_tid) and since when that one waited (resume_wait_from): the interval is split there
 * (sched/switches.sql). Without resume_ts (format 1.0, or unknown) the hidden task's run is folded into
 * the next one: the inferred switch is at ts_start + 1.
 */
import { describe } from 'vitest';
import { diffTest, gap, sw } from '../../../test/diff/harness.js';

const switches = [sw(1000, 0, 0, 10, 0), sw(5000, 0, 20, 0, 1)];
const window = { start_ts: 0, end_ts: 10_000 };

describe('kernel gap with resume_ts (format 1.2)', () => {
  const tables = { sched_switch: switches, losses: [gap(0, 1000, 5000, { resume_ts: 3000, resume_tid: 20 })] };

  diffTest('sched_slices split the gap at resume_ts', {
    manifest: window,
    tables,
    via: 'cli',
    query: 'SELECT cpu, ts, dur, tid, end_state, clipped, inferred FROM sched_slices ORDER BY cpu, ts',
    csv: `
      cpu,ts,dur,tid,end_state,clipped,inferred
      0,0,1000,0,R,true,false
      0,1000,2000,10,,false,false
      0,3000,2000,20,S,false,true
      0,5000,5000,0,,true,false`,
  });

  diffTest('thread_state: the hidden task is Running until resume_ts, then unknown', {
    manifest: window,
    tables,
    query: 'SELECT tid, ts, dur, state, cpu, clipped FROM thread_state ORDER BY tid, ts',
    csv: `
      tid,ts,dur,state,cpu,clipped
      10,1000,2000,Running,0,false
      10,3000,7000,,0,true
      20,3000,2000,Running,0,false
      20,5000,5000,S,0,true`,
  });

  diffTest('cpu report splits the CPU time at resume_ts', {
    manifest: window,
    tables,
    analyze: ['cpu'],
    section: 'tasks',
    columns: ['tid', 'cpu_ns', 'slices', 'voluntary_switches', 'involuntary_switches'],
    csv: `
      tid,cpu_ns,slices,voluntary_switches,involuntary_switches
      10,2000,1,0,0
      20,2000,1,1,0`,
  });

  diffTest('losses view shows the gap and its resume_ts', {
    manifest: window,
    tables,
    via: 'cli',
    query: 'SELECT cpu, kind, count, ts_start, ts_end, dur, reason, resume_ts FROM losses',
    csv: `
      cpu,kind,count,ts_start,ts_end,dur,reason,resume_ts
      0,sched_switch,1,1000,5000,4000,kernel_gap,3000`,
  });

  diffTest('sched-latency: the resumed task waited from resume_wait_from to resume_ts', {
    manifest: window,
    tables: {
      sched_switch: switches,
      sched_waking: [{ ts: 2500, cpu: 0, tid: 20, target_cpu: 0, prio: 120, waker_tid: 0 }],
      losses: [gap(0, 1000, 5000, { resume_ts: 3000, resume_tid: 20, resume_wait_from: 2500, resume_woken: 1 })],
    },
    analyze: ['sched-latency'],
    section: 'tasks',
    columns: ['tid', 'wakeups', 'max_ns', 'preemptions', 'run_delay_ns'],
    csv: `
      tid,wakeups,max_ns,preemptions,run_delay_ns
      20,1,500,0,500`,
  });
});

describe('kernel gap without resume_ts', () => {
  const expectSlices = `
    cpu,ts,dur,tid,end_state,clipped,inferred
    0,0,1000,0,R,true,false
    0,1000,1,10,,false,false
    0,1001,3999,20,S,false,true
    0,5000,5000,0,,true,false`;
  const q = 'SELECT cpu, ts, dur, tid, end_state, clipped, inferred FROM sched_slices ORDER BY cpu, ts';

  diffTest('format 1.0 (no resume_* columns): the hidden run is folded into the next task', {
    format: '1.0',
    manifest: window,
    tables: { sched_switch: switches, losses: [gap(0, 1000, 5000)] },
    via: 'cli',
    query: q,
    csv: expectSlices,
  });

  diffTest('format 1.2 with resume_ts unknown (NULL): the same rule', {
    manifest: window,
    tables: { sched_switch: switches, losses: [gap(0, 1000, 5000, { resume_tid: 20 })] },
    query: q,
    csv: expectSlices,
  });

  diffTest('format 1.0: cpu report gives the hidden task 1 ns', {
    format: '1.0',
    manifest: window,
    tables: { sched_switch: switches, losses: [gap(0, 1000, 5000)] },
    analyze: ['cpu'],
    section: 'tasks',
    columns: ['tid', 'cpu_ns', 'slices'],
    csv: `
      tid,cpu_ns,slices
      20,3999,1
      10,1,1`,
  });

  diffTest('format 1.0: losses view has resume_ts NULL', {
    format: '1.0',
    manifest: window,
    tables: { sched_switch: switches, losses: [gap(0, 1000, 5000)] },
    query: 'SELECT reason, ts_start, ts_end, resume_ts FROM losses',
    csv: `
      reason,ts_start,ts_end,resume_ts
      kernel_gap,1000,5000,`,
  });
});

describe('after a kernel gap', () => {
  // Task 10 left the CPU at the unreported switch (3000) in an unknown state; at 4000 task 20 wakes it
  // and it runs again at 6000 on CPU 1. sched_waking fires only for a task that is not running (its
  // state matched the wakeup), so from 4000 on task 10 is runnable (R, woken by 20) until it runs;
  // only 3000..4000 is unknown.
  diffTest('a wakeup of the hidden task ends its unknown state (R until it runs)', {
    manifest: window,
    tables: {
      sched_switch: [...switches, sw(6000, 1, 0, 10, 0), sw(7000, 1, 10, 0, 1)],
      sched_waking: [{ ts: 4000, cpu: 0, tid: 10, target_cpu: 1, prio: 120, waker_tid: 20 }],
      losses: [gap(0, 1000, 5000, { resume_ts: 3000, resume_tid: 20 })],
    },
    query: 'SELECT ts, dur, state, cpu, waker_tid FROM thread_state WHERE tid = 10 ORDER BY ts',
    csv: `
      ts,dur,state,cpu,waker_tid
      1000,2000,Running,0,
      3000,1000,,0,
      4000,2000,R,1,20
      6000,1000,Running,1,
      7000,3000,S,1,`,
  });
});

describe('summary losses: equal counts are ordered by kind, then cpu', () => {
  // the same capture must print the same summary every time: DuckDB's GROUP BY has no order of its own
  const two = [sw(1000, 0, 0, 10, 0), sw(5000, 0, 20, 0, 1), sw(1000, 1, 0, 30, 0), sw(5000, 1, 40, 0, 1)];
  diffTest('two CPUs with one gap each', {
    manifest: window,
    tables: { sched_switch: two, losses: [gap(1, 1000, 5000), gap(0, 1000, 5000)] },
    analyze: ['summary'],
    section: 'losses',
    columns: ['kind', 'cpu', 'events_lost', 'windows'],
    csv: `
      kind,cpu,events_lost,windows
      sched_switch,0,1,1
      sched_switch,1,1,1`,
  });
});
