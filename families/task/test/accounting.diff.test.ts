/**
 * Diff tests: task exit accounting (families/task/sql/accounting.sql) and the tasks report's sections.
 *
 * Process 500: threads 500 (leader) and 501; 501 exits first (group_dead 0), then the leader, the last
 * thread (group_dead 1). The process row is the threads' sums, as wait4 sums them; its times are the
 * sums' tick split scaled to the runtime (cputime_adjust). Process 600 exits twice in the capture (its
 * tgid reused): two process rows, each with its own threads and its own fork's VM size. Pages of 4096
 * bytes (the manifest's host.page_size).
 */
import { describe } from 'vitest';
import { diffTest } from '../../../test/diff/harness.js';

const MS = 1_000_000;
const acct = (o: Record<string, number>) => ({
  prio: 120,
  nice: 0,
  policy: 0,
  rt_priority: 0,
  nvcsw: 0,
  nivcsw: 0,
  min_flt: 0,
  maj_flt: 0,
  utime_ns: 0,
  stime_ns: 0,
  runtime_ns: 0,
  vm_pages: 0,
  maxrss_pages: 0,
  ...o,
});
const fork = (ts: number, parent: number, tid: number, tgid: number, vm_pages: number) => ({
  ts,
  cpu: 0,
  parent_tid: parent,
  parent_tgid: parent,
  child_tid: tid,
  child_tgid: tgid,
  clone_flags: tid === tgid ? 17 : 0x3d0f00,
  comm: 'w',
  vm_pages,
});
const exit = (ts: number, tid: number, tgid: number, group_dead: number, a: Record<string, number>) => ({
  ts,
  cpu: 0,
  tid,
  tgid,
  exit_code: 0,
  group_dead,
  comm: 'w',
  ...acct(a),
});

const tables = {
  task_newtask: [fork(100, 1, 500, 500, 100), fork(200, 500, 501, 500, 300), fork(300, 1, 600, 600, 50), fork(5000, 1, 600, 600, 70)],
  task_exit: [
    // thread 501: nice 5 set for itself, SCHED_BATCH; user 8 ms and system 4 ms sampled, 10 ms of runtime
    exit(1000, 501, 500, 0, {
      nice: 5,
      prio: 125,
      policy: 3,
      nvcsw: 3,
      nivcsw: 2,
      min_flt: 10,
      utime_ns: 8 * MS,
      stime_ns: 4 * MS,
      runtime_ns: 10 * MS,
      vm_pages: 400,
      maxrss_pages: 30,
    }),
    exit(2000, 500, 500, 1, {
      nvcsw: 7,
      nivcsw: 1,
      min_flt: 20,
      maj_flt: 2,
      utime_ns: 4 * MS,
      stime_ns: 0,
      runtime_ns: 5 * MS,
      vm_pages: 350,
      maxrss_pages: 40,
    }),
    // process 600, first instance: no system tick (all runtime is user time); second: no user tick
    exit(3000, 600, 600, 1, { nvcsw: 1, utime_ns: 0, stime_ns: 0, runtime_ns: 3 * MS, vm_pages: 60, maxrss_pages: 5 }),
    exit(6000, 600, 600, 1, { nvcsw: 2, utime_ns: 0, stime_ns: 4 * MS, runtime_ns: 7 * MS, vm_pages: 80, maxrss_pages: 6 }),
  ],
};
const manifest = { start_ts: 0, end_ts: 10_000 };

describe('task exit accounting', () => {
  diffTest('task_accounting: each thread as the kernel accounted it, times split as getrusage(RUSAGE_THREAD)', {
    manifest,
    tables,
    query: `SELECT tid, tgid, group_dead, is_leader, nice, policy_name, nvcsw, utime_adj_ns, stime_adj_ns, vm_fork_bytes, vm_bytes, maxrss_bytes
      FROM task_accounting ORDER BY ts`,
    csv: `
      tid,tgid,group_dead,is_leader,nice,policy_name,nvcsw,utime_adj_ns,stime_adj_ns,vm_fork_bytes,vm_bytes,maxrss_bytes
      501,500,false,false,5,batch,3,6666667,3333333,1228800,1638400,122880
      500,500,true,true,0,other,7,5000000,0,409600,1433600,163840
      600,600,true,true,0,other,1,3000000,0,204800,245760,20480
      600,600,true,true,0,other,2,0,7000000,286720,327680,24576`,
  });

  diffTest('process_accounting: the threads summed (wait4), the leader sets nice and policy, a reused tgid twice', {
    manifest,
    tables,
    via: 'cli',
    query: `SELECT tgid, end_ts, threads, nice, policy_name, nvcsw, nivcsw, min_flt, maj_flt, utime_ns, stime_ns, runtime_ns,
      utime_adj_ns, stime_adj_ns, vm_fork_bytes, vm_bytes, maxrss_bytes FROM process_accounting ORDER BY end_ts`,
    csv: `
      tgid,end_ts,threads,nice,policy_name,nvcsw,nivcsw,min_flt,maj_flt,utime_ns,stime_ns,runtime_ns,utime_adj_ns,stime_adj_ns,vm_fork_bytes,vm_bytes,maxrss_bytes
      500,2000,2,0,other,10,3,30,2,12000000,4000000,15000000,11250000,3750000,409600,1433600,163840
      600,3000,1,0,other,1,0,0,0,0,0,3000000,3000000,0,204800,245760,20480
      600,6000,1,0,other,2,0,0,0,0,4000000,7000000,0,7000000,286720,327680,24576`,
  });

  diffTest('analyze tasks: the per-process section, --top by CPU time', {
    manifest,
    tables,
    analyze: ['tasks', '--top', '2'],
    section: 'process_accounting',
    columns: ['tgid', 'threads', 'nice', 'policy_name', 'nvcsw', 'runtime_ns', 'maxrss_bytes'],
    csv: `
      tgid,threads,nice,policy_name,nvcsw,runtime_ns,maxrss_bytes
      500,2,0,other,10,15000000,163840
      600,1,0,other,2,7000000,24576`,
  });

  diffTest('analyze tasks --pid 501: the thread only in the per-thread section', {
    manifest,
    tables,
    analyze: ['tasks', '--pid', '501'],
    section: 'exit_accounting',
    columns: ['tid', 'tgid', 'nice', 'prio', 'policy_name', 'min_flt'],
    csv: `
      tid,tgid,nice,prio,policy_name,min_flt
      501,500,5,125,batch,10`,
  });
});

describe('an exit without accounting (a capture before format 1.7)', () => {
  const old = {
    format: '1.6' as const,
    manifest,
    tables: { task_exit: [{ ts: 1000, cpu: 0, tid: 700, tgid: 700, exit_code: 256, group_dead: 1, comm: 'old' }] },
  };
  diffTest('the exit is a task event; the accounting views are empty', {
    ...old,
    query: `SELECT (SELECT count(*) FROM task_events WHERE event = 'exit') AS exits, (SELECT count(*) FROM task_accounting) AS threads,
      (SELECT count(*) FROM process_accounting) AS processes, (SELECT count(*) FROM _task_exit WHERE nvcsw IS NULL) AS null_rows`,
    csv: `
      exits,threads,processes,null_rows
      1,0,0,1`,
  });
  diffTest('analyze tasks: the exit in the events, no accounting section', {
    ...old,
    analyze: ['tasks'],
    section: 'events',
    columns: ['event', 'tid', 'exit_status'],
    csv: `
      event,tid,exit_status
      exit,700,1`,
  });
});
