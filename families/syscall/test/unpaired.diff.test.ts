/**
 * Diff tests: system calls whose entry or exit is not in the capture.
 *
 * syscalls pairs each entry with the next event of the same thread when that is an exit of the same
 * syscall number (or of -1, which the kernel reports after handling a signal on the way out). A call entered before the capture started has only its exit (ts NULL); one still
 * running at the end, or that never returns (exit_group), has only its entry (end_ts NULL). x86_64 numbers: 0 read, 1 write,
 * 59 execve, 231 exit_group.
 */
import { describe } from 'vitest';
import { diffTest, sw } from '../../../test/diff/harness.js';

const enter = (ts: number, cpu: number, tid: number, nr: number, arg0 = 0) => ({ ts, cpu, tid, nr, arg0 });
const exit = (ts: number, cpu: number, tid: number, nr: number, ret: number) => ({ ts, cpu, tid, nr, ret });
const manifest = { start_ts: 0, end_ts: 10_000 };

describe('unpaired syscalls', () => {
  const tables = {
    syscall_enter: [enter(2000, 0, 10, 1, 1), enter(9000, 0, 10, 231), enter(2200, 1, 11, 0, 3), enter(8000, 1, 11, 0, 3)],
    syscall_exit: [exit(1500, 0, 10, 0, 5), exit(2500, 0, 10, 1, -9), exit(2400, 1, 11, 0, 100)],
  };

  diffTest('exit without entry, paired calls, entries without exit', {
    manifest,
    tables,
    via: 'cli',
    query: 'SELECT tid, ts, end_ts, dur, cpu, name, ret, failed, arg0 FROM syscalls ORDER BY tid, coalesce(ts, end_ts)',
    csv: `
      tid,ts,end_ts,dur,cpu,name,ret,failed,arg0
      10,,1500,,0,read,5,false,
      10,2000,2500,500,0,write,-9,true,1
      10,9000,,,0,exit_group,,,0
      11,2200,2400,200,1,read,100,false,3
      11,8000,,,1,read,,,3`,
  });

  diffTest('syscalls report: unpaired calls are counted, only paired ones timed', {
    manifest,
    tables,
    analyze: ['syscalls'],
    section: 'by_syscall',
    columns: ['name', 'nr', 'count', 'errors', 'total_ns', 'max_ns'],
    csv: `
      name,nr,count,errors,total_ns,max_ns
      write,1,1,1,500,500
      read,0,3,0,200,200
      exit_group,231,1,0,0,`,
  });

  diffTest('syscalls report --since: a call counts where it starts (its exit when the entry is missing)', {
    manifest,
    tables,
    analyze: ['syscalls', '--since', '2100ns'],
    section: 'by_syscall',
    columns: ['name', 'count', 'total_ns'],
    csv: `
      name,count,total_ns
      read,2,200
      exit_group,1,0`,
  });

  // The kernel resets the syscall number to -1 when it handles a signal on the way out (a fork's parent
  // taking SIGCHLD): that exit still ends the clone (56) it follows, as on the real fixtures.
  diffTest('an exit reported as number -1 ends the call it follows', {
    manifest,
    tables: { syscall_enter: [enter(3000, 0, 13, 56)], syscall_exit: [exit(3400, 0, 13, -1, 4242)] },
    query: 'SELECT tid, ts, end_ts, nr, name, ret FROM syscalls',
    csv: `
      tid,ts,end_ts,nr,name,ret
      13,3000,3400,56,clone,4242`,
  });

  // Events were dropped (ring buffer full) between 4000 and 5000: the exit of the read and the entry
  // of the write are missing. An exit of another syscall number cannot end the read.
  diffTest('an entry and an exit of different syscalls are not one call', {
    manifest,
    tables: {
      syscall_enter: [enter(4000, 0, 12, 0)],
      syscall_exit: [exit(5000, 0, 12, 1, 3)],
      losses: [
        { cpu: 0, kind: 'sys_exit', count: 1, ts_start: 4000, ts_end: 5000, reason: 'ringbuf_full' },
        { cpu: 0, kind: 'sys_enter', count: 1, ts_start: 4000, ts_end: 5000, reason: 'ringbuf_full' },
      ],
    },
    query: 'SELECT tid, ts, end_ts, dur, name, ret FROM syscalls ORDER BY coalesce(ts, end_ts)',
    csv: `
      tid,ts,end_ts,dur,name,ret
      12,4000,,,read,
      12,,5000,,write,3`,
  });
});

describe('rt_sigreturn', () => {
  // sh's wait4 (61) returns pid 42 with a signal pending; the handler runs and returns through
  // rt_sigreturn (15), which resets the syscall number to -1: its exit is reported as nr -1, with the
  // restored return value. It is one rt_sigreturn call.
  diffTest('an exit of number -1 ends the call it follows', {
    manifest,
    tables: {
      syscall_enter: [enter(1000, 0, 13, 61), enter(3000, 0, 13, 15)],
      syscall_exit: [exit(2000, 0, 13, 61, 42), exit(3100, 0, 13, -1, 42)],
    },
    query: 'SELECT tid, ts, end_ts, dur, nr, name, ret FROM syscalls ORDER BY ts',
    csv: `
      tid,ts,end_ts,dur,nr,name,ret
      13,1000,2000,1000,61,wait4,42
      13,3000,3100,100,15,rt_sigreturn,42`,
  });
});

describe('execve from a non-leader thread', () => {
  // Thread 301 of process 300 calls execve at 1100; the exec (2000) gives it the leader's tid, so the
  // call returns in tid 300 (2100). It is one call of 1000 ns.
  diffTest('the entry under the old tid and the exit under the new one are one execve', {
    manifest,
    tables: {
      process_snapshot: [
        { ts: 0, tid: 300, tgid: 300, ppid: 1, comm: 'old', cmdline: 'old', start_ts: 0 },
        { ts: 0, tid: 301, tgid: 300, ppid: 1, comm: 'old', cmdline: 'old', start_ts: 0 },
      ],
      sched_switch: [sw(1000, 1, 0, 301, 0), sw(3000, 1, 300, 0, 1)],
      task_exit: [{ ts: 1400, cpu: 0, tid: 300, tgid: 300, exit_code: 9, group_dead: 0, comm: 'old' }],
      task_exec: [{ ts: 2000, cpu: 1, tid: 300, tgid: 300, old_tid: 301, comm: 'new', filename: '/bin/new' }],
      syscall_enter: [enter(1100, 1, 301, 59)],
      syscall_exit: [exit(2100, 1, 300, 59, 0)],
    },
    query: "SELECT tgid, ts, end_ts, dur, name, ret FROM syscalls WHERE name = 'execve' ORDER BY coalesce(ts, end_ts)",
    csv: `
      tgid,ts,end_ts,dur,name,ret
      300,1100,2100,1000,execve,0`,
  });
});
