/**
 * Diff tests: the capture window and report windows cut slices and states.
 *
 * sched_slices begins the slice running when the capture started at capture.start_ts and ends the one
 * running at the end at capture.end_ts (clipped). A report window (--since/--until, offsets from the
 * capture start) counts only the part of each slice inside it.
 */
import { describe } from 'vitest';
import { diffTest, sw } from '../../../test/diff/harness.js';

describe('slices cut by the capture window', () => {
  // capture [1000, 9000]. CPU 0: 10 runs from before the start, 20 from 2000 to 6000, 30 until after
  // the end. CPU 1: idle from before the start, then 40 until after the end.
  const tables = { sched_switch: [sw(2000, 0, 10, 20, 256), sw(6000, 0, 20, 30, 1), sw(3000, 1, 0, 40, 0)] };
  const manifest = { start_ts: 1000, end_ts: 9000 };

  diffTest('sched_slices: first slice from start_ts, last to end_ts, both clipped', {
    manifest,
    tables,
    via: 'cli',
    query: 'SELECT cpu, ts, dur, end_ts, tid, end_state, clipped FROM sched_slices ORDER BY cpu, ts',
    csv: `
      cpu,ts,dur,end_ts,tid,end_state,clipped
      0,1000,1000,2000,10,R+,true
      0,2000,4000,6000,20,S,false
      0,6000,3000,9000,30,,true
      1,1000,2000,3000,0,R,true
      1,3000,6000,9000,40,,true`,
  });

  diffTest('cpu report over the whole capture: clipped slices count inside the window only (slices = task slices)', {
    manifest,
    tables,
    analyze: ['cpu'],
    section: 'cpus',
    columns: ['cpu', 'busy_ns', 'idle_ns', 'slices'],
    csv: `
      cpu,busy_ns,idle_ns,slices
      0,8000,,3
      1,6000,2000,1`,
  });

  diffTest('thread_state: the last state of each thread lasts until end_ts', {
    manifest,
    tables,
    query: 'SELECT tid, ts, dur, state, clipped FROM thread_state WHERE tid IN (20, 30) ORDER BY tid, ts',
    csv: `
      tid,ts,dur,state,clipped
      20,2000,4000,Running,false
      20,6000,3000,S,true
      30,6000,3000,Running,true`,
  });

  // sched_slices says 10 ran on CPU 0 from the capture start to 2000, and its switch-out proves it;
  // thread_state gives it the same Running row (the task a CPU's first switch switches out ran from start_ts).
  diffTest('thread_state Running time equals sched_slices for a task on CPU at the capture start', {
    manifest,
    tables,
    query: "SELECT tid, sum(dur) AS running_ns FROM thread_state WHERE state = 'Running' GROUP BY tid ORDER BY tid",
    csv: `
      tid,running_ns
      10,1000
      20,4000
      30,3000
      40,6000`,
  });
});

describe('a report window that starts mid-slice', () => {
  // capture [0, 10000], CPU 0: idle, 10 from 1000 to 5000 (preempted), 20 from 5000 to 8000 (sleeps), idle.
  const tables = { sched_switch: [sw(1000, 0, 0, 10, 0), sw(5000, 0, 10, 20, 256), sw(8000, 0, 20, 0, 1)] };
  const manifest = { start_ts: 0, end_ts: 10_000 };

  diffTest('cpu --since 3000ns counts only 3000..5000 of the slice of 10', {
    manifest,
    tables,
    analyze: ['cpu', '--since', '3000ns'],
    section: 'tasks',
    columns: ['tid', 'cpu_ns', 'slices', 'voluntary_switches', 'involuntary_switches'],
    csv: `
      tid,cpu_ns,slices,voluntary_switches,involuntary_switches
      20,3000,1,1,0
      10,2000,1,0,1`,
  });

  diffTest('cpu --since 3000ns: busy and idle per CPU inside the window', {
    manifest,
    tables,
    analyze: ['cpu', '--since', '3000ns'],
    section: 'cpus',
    columns: ['cpu', 'busy_ns', 'idle_ns', 'busy_pct'],
    csv: `
      cpu,busy_ns,idle_ns,busy_pct
      0,5000,2000,71.42857142857143`,
  });

  diffTest('cpu --since 3us --until 6us: both ends mid-slice', {
    manifest,
    tables,
    analyze: ['cpu', '--since', '3us', '--until', '6us'],
    section: 'tasks',
    columns: ['tid', 'cpu_ns', 'cpu_pct'],
    csv: `
      tid,cpu_ns,cpu_pct
      10,2000,66.66666666666667
      20,1000,33.333333333333336`,
  });

  diffTest('cpu without a window: whole slices', {
    manifest,
    tables,
    analyze: ['cpu'],
    section: 'tasks',
    columns: ['tid', 'cpu_ns'],
    csv: `
      tid,cpu_ns
      10,4000
      20,3000`,
  });
});
