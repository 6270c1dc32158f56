/**
 * Diff tests: the files family's calls (file_calls) and the syscalls view's path column, at the edges of the
 * join. A call's file_exits row is its entry tid's first one at or after its path rows and before that thread's
 * next path entry (format 1.8: the exit row no longer carries the entry time); the syscall family's syscall_enter row of the call is the thread's next one after the path rows, when
 * it has the same number and comes before the thread's next exit. x86_64 numbers: 257 openat, 59 execve,
 * 316 renameat2.
 */
import { describe } from 'vitest';
import { diffTest } from '../../../test/diff/harness.js';

const path = (ts: number, tid: number, nr: number, p: string, more: Record<string, unknown> = {}) => ({
  ts,
  cpu: 0,
  tid,
  tgid: tid,
  nr,
  arg: 1,
  path: p,
  len: Buffer.from(p).length,
  ...more,
});
/** the exit at ts of the call that entered at _entryTs (syscall _nr): the row keeps neither (format 1.8) */
const exit = (ts: number, tid: number, _nr: number, ret: number, _entryTs: number, entry_tid = tid) => ({
  ts,
  cpu: 0,
  tid,
  ret,
  entry_tid,
});
const enter = (ts: number, tid: number, nr: number) => ({ ts, cpu: 0, tid, nr });
const sysExit = (ts: number, tid: number, nr: number, ret: number) => ({ ts, cpu: 0, tid, nr, ret });
const manifest = { start_ts: 0, end_ts: 10_000 };

describe('file_calls', () => {
  diffTest('a call with no exit seen has no result; a failed read of the path is kept as its errno', {
    manifest,
    tables: {
      file_paths: [path(1000, 10, 257, '/etc/passwd'), path(2000, 10, 257, '', { read_error: -14 }), path(3000, 10, 257, '/nope')],
      file_exits: [exit(1100, 10, 257, 3, 1000), exit(2100, 10, 257, -14, 2000)],
    },
    via: 'cli',
    query: 'SELECT ts, end_ts, dur, name, path, path_error, ret, failed, error FROM file_calls ORDER BY ts',
    csv: `
      ts,end_ts,dur,name,path,path_error,ret,failed,error
      1000,1100,100,openat,/etc/passwd,0,3,false,
      2000,2100,100,openat,,-14,-14,true,EFAULT
      3000,,,openat,/nope,0,,,`,
  });

  // tid 50 dies inside a call (no exit); the tid is reused by a new task, whose call at 5000 returns. The exit
  // comes after the thread's next entry, so it cannot end the dead task's call.
  diffTest("tid reuse: an exit after the thread's next entry does not end the dead task's call", {
    manifest,
    tables: {
      file_paths: [path(1000, 50, 257, '/old'), path(5000, 50, 257, '/new')],
      file_exits: [exit(5200, 50, 257, -2, 5000)],
      task_free: [{ ts: 2000, cpu: 0, tid: 50, comm: 'old' }],
    },
    query: 'SELECT ts, end_ts, path, ret, error FROM file_calls ORDER BY ts',
    csv: `
      ts,end_ts,path,ret,error
      1000,,/old,,
      5000,5200,/new,-2,ENOENT`,
  });

  // the exit of the call at 2000 was lost: the thread's next exit (3100) comes after its next entry, so it is
  // the call at 3000's, not that one's
  diffTest('an exit lost in the middle: that call has no result, the next one keeps its own', {
    manifest,
    tables: {
      file_paths: [path(1000, 10, 257, '/a'), path(2000, 10, 257, '/b'), path(3000, 10, 257, '/c')],
      file_exits: [exit(1100, 10, 257, 3, 1000), exit(3100, 10, 257, -2, 3000)],
    },
    query: 'SELECT ts, end_ts, path, ret FROM file_calls ORDER BY ts',
    csv: `
      ts,end_ts,path,ret
      1000,1100,/a,3
      2000,,/b,
      3000,3100,/c,-2`,
  });

  diffTest('rename: both paths; a non-leader thread execve returns under the leader tid', {
    manifest,
    tables: {
      file_paths: [
        path(1000, 20, 316, '/a', { arg: 1 }),
        path(1000, 20, 316, '/b', { arg: 3, cut: 1 }),
        { ...path(3000, 301, 59, '/bin/new', { arg: 0 }), tgid: 300 },
      ],
      file_exits: [exit(1200, 20, 316, 0, 1000), exit(3500, 300, 59, 0, 3000, 301)],
      file_argv: [
        { ts: 3000, cpu: 0, tid: 301, tgid: 300, nr: 59, idx: 0, arg: 'new' },
        { ts: 3000, cpu: 0, tid: 301, tgid: 300, nr: 59, idx: 1, arg: 'x y' },
      ],
    },
    query: 'SELECT ts, end_ts, tid, name, path, path2, path2_cut, argv, ret FROM file_calls ORDER BY ts',
    csv: `
      ts,end_ts,tid,name,path,path2,path2_cut,argv,ret
      1000,1200,20,renameat2,/a,/b,true,,0
      3000,3500,301,execve,/bin/new,,,new;x y,0`,
  });
});

describe('syscalls.path', () => {
  // 1000: a call with both families; 3000: its syscall_enter was lost (the next enter, at 4001, is another
  // call's), so no syscalls row gets its path; 4000: joined again. 6000: files not recorded for this call.
  diffTest('the path joins the syscall entry that follows it, and only that one', {
    manifest,
    tables: {
      file_paths: [path(1000, 10, 257, '/one'), path(3000, 10, 257, '/lost'), path(4000, 10, 257, '/two')],
      file_exits: [exit(1400, 10, 257, 3, 1000), exit(3400, 10, 257, 4, 3000), exit(4400, 10, 257, 5, 4000)],
      syscall_enter: [enter(1001, 10, 257), enter(4001, 10, 257), enter(6001, 10, 257)],
      syscall_exit: [sysExit(1401, 10, 257, 3), sysExit(3401, 10, 257, 4), sysExit(4401, 10, 257, 5), sysExit(6401, 10, 257, 6)],
    },
    via: 'cli',
    query: 'SELECT ts, end_ts, name, ret, path FROM syscalls ORDER BY coalesce(ts, end_ts)',
    csv: `
      ts,end_ts,name,ret,path
      1001,1401,openat,3,/one
      ,3401,openat,4,
      4001,4401,openat,5,/two
      6001,6401,openat,6,`,
  });

  diffTest('file_calls.call_ts is the syscalls row it joins (NULL when its entry is missing)', {
    manifest,
    tables: {
      file_paths: [path(1000, 10, 257, '/one'), path(3000, 10, 257, '/lost')],
      file_exits: [exit(1400, 10, 257, 3, 1000), exit(3400, 10, 257, 4, 3000)],
      syscall_enter: [enter(1001, 10, 257), enter(4001, 10, 0)],
      syscall_exit: [sysExit(1401, 10, 257, 3), sysExit(3401, 10, 257, 4)],
    },
    query: 'SELECT ts, call_ts, path FROM file_calls ORDER BY ts',
    csv: `
      ts,call_ts,path
      1000,1001,/one
      3000,,/lost`,
  });
});

describe('files report', () => {
  const tables = {
    file_paths: [path(1000, 10, 257, '/etc/a'), path(2000, 10, 257, '/etc/a'), path(3000, 10, 257, '/etc/b'), path(4000, 10, 257, '/etc/b')],
    file_exits: [exit(1100, 10, 257, 3, 1000), exit(2300, 10, 257, -2, 2000), exit(3100, 10, 257, -13, 3000)],
  };
  diffTest('opens per process and path: count, errors by errno, latency; a call with no return is counted, not timed', {
    manifest,
    tables,
    analyze: ['files'],
    section: 'opens',
    columns: ['tgid', 'path', 'count', 'errors', 'errnos', 'p50_ns', 'max_ns'],
    csv: `
      tgid,path,count,errors,errnos,p50_ns,max_ns
      10,/etc/a,2,1,ENOENT 1,100,300
      10,/etc/b,2,1,EACCES 1,100,100`,
  });
});
