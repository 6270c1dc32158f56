/**
 * Diff tests: minor/major classification and file attribution (families/fault/sql/faults.sql).
 *
 * Each fault row carries the task's min_flt/maj_flt at its entry; the class is what moved by the task's next
 * observation (its next fault, fault_exit, or fault_end). Tasks 10 and 11 are threads of process 10; capture
 * [0, 100000]. Kernel text: fn_a at 0xffffffff81000000, fn_b at 0xffffffff81001000.
 */
import { describe } from 'vitest';
import { diffTest } from '../../../test/diff/harness.js';

const USER_IP = 0x401000n,
  FN_A = 0xffffffff81000000n,
  FN_B = 0xffffffff81001000n;
/** a fault of tid at ts with the counters at its entry; user mode unless a kernel ip is given */
const f = (ts: number, tid: number, min: number, maj: number, ip = USER_IP) => ({
  ts,
  cpu: 0,
  tid,
  tgid: 10,
  user: ip === USER_IP ? 1 : 0,
  address: 0x7f0000000000n + BigInt(ts),
  ip,
  error_code: ip === USER_IP ? 6 : 2,
  min_flt: BigInt(min),
  maj_flt: BigInt(maj),
});
const exit = (ts: number, tid: number, min: number, maj: number) => ({ ts, cpu: 0, tid, tgid: 10, min_flt: BigInt(min), maj_flt: BigInt(maj) });
const end = (tid: number, min: number, maj: number) => ({ ts: 100_500, tid, tgid: 10, min_flt: BigInt(min), maj_flt: BigInt(maj) });
const DEV = (254 << 20) | 1;
const file = (ts: number, tid: number, min: number, maj: number, page: number, event = 0) => ({
  ts,
  cpu: 0,
  tid,
  tgid: 10,
  event,
  dev: DEV,
  ino: 77n,
  first: BigInt(page),
  last: BigInt(event ? page + 15 : page),
  min_flt: BigInt(min),
  maj_flt: BigInt(maj),
});
const manifest = { start_ts: 0, end_ts: 100_000 };
const COLS = 'ts, tid, class, d_min, d_maj';

describe('fault classification by the task counters', () => {
  diffTest('the next fault and the exit tell minor and major; the last fault is closed by the exit', {
    manifest,
    tables: { fault: [f(1000, 10, 5, 0), f(2000, 10, 6, 0), f(3000, 10, 6, 1)], fault_exit: [exit(9000, 10, 7, 1)] },
    query: `SELECT ${COLS} FROM faults ORDER BY ts`,
    csv: `
      ts,tid,class,d_min,d_maj
      1000,10,minor,1,0
      2000,10,major,0,1
      3000,10,minor,1,0`,
  });

  diffTest("a fault the kernel did not count (nothing moved: it failed or was spurious) is 'none'", {
    manifest,
    tables: { fault: [f(1000, 10, 5, 0), f(2000, 10, 5, 0)], fault_exit: [exit(9000, 10, 5, 0)] },
    query: `SELECT ${COLS} FROM faults ORDER BY ts`,
    csv: `
      ts,tid,class,d_min,d_maj
      1000,10,none,0,0
      2000,10,none,0,0`,
  });

  diffTest("counters that moved by more than one (get_user_pages between two faults) make the fault 'unknown', the count kept", {
    manifest,
    tables: { fault: [f(1000, 10, 5, 0), f(2000, 10, 8, 0), f(3000, 10, 9, 0)], fault_exit: [exit(9000, 10, 9, 2)] },
    query: `SELECT ${COLS} FROM faults ORDER BY ts`,
    csv: `
      ts,tid,class,d_min,d_maj
      1000,10,unknown,3,0
      2000,10,minor,1,0
      3000,10,unknown,0,2`,
  });

  diffTest("the last fault of a task alive at the end: the end-of-recording read closes it; without one it is 'unknown'", {
    manifest,
    tables: { fault: [f(1000, 10, 5, 0), f(2000, 11, 0, 0)], fault_end: [end(10, 5, 1)] },
    query: 'SELECT ts, tid, class, d_min, d_maj, next_ts FROM faults ORDER BY ts',
    csv: `
      ts,tid,class,d_min,d_maj,next_ts
      1000,10,major,0,1,100500
      2000,11,unknown,,,`,
  });

  diffTest('threads are counted apart: interleaved faults of two tids each take their own next observation', {
    manifest,
    tables: {
      fault: [f(1000, 10, 5, 0), f(1500, 11, 40, 2), f(2000, 10, 6, 0), f(2500, 11, 40, 3)],
      fault_exit: [exit(9000, 10, 6, 1), exit(9100, 11, 41, 3)],
    },
    query: `SELECT ${COLS} FROM faults ORDER BY ts`,
    csv: `
      ts,tid,class,d_min,d_maj
      1000,10,minor,1,0
      1500,11,major,0,1
      2000,10,major,0,1
      2500,11,minor,1,0`,
  });

  diffTest("a tid reused after an exit: the new task's counters start again, its faults are classified on their own", {
    manifest,
    tables: { fault: [f(1000, 10, 50, 3), f(5000, 10, 0, 0)], fault_exit: [exit(2000, 10, 51, 3), exit(9000, 10, 1, 0)] },
    query: `SELECT ${COLS} FROM faults ORDER BY ts`,
    csv: `
      ts,tid,class,d_min,d_maj
      1000,10,minor,1,0
      5000,10,minor,1,0`,
  });

  diffTest("an exit that was not recorded before the tid's reuse: the counters go back, the old task's last fault is 'unknown'", {
    manifest,
    tables: { fault: [f(1000, 10, 50, 3), f(5000, 10, 0, 0)], fault_exit: [exit(9000, 10, 1, 0)] },
    query: `SELECT ${COLS} FROM faults ORDER BY ts`,
    csv: `
      ts,tid,class,d_min,d_maj
      1000,10,unknown,-50,-3
      5000,10,minor,1,0`,
  });

  diffTest("counters out of range (a damaged capture): the difference is NULL and the fault 'unknown', no error", {
    manifest,
    tables: { fault: [{ ...f(1000, 10, 0, 0), min_flt: 0xffffffffffffffffn }], fault_exit: [exit(9000, 10, 1, 0)] },
    query: `SELECT ${COLS} FROM faults`,
    csv: `
      ts,tid,class,d_min,d_maj
      1000,10,unknown,,0`,
  });

  diffTest('kernel-mode faults are symbolized with the capture kallsyms; user ips are not', {
    manifest,
    tables: {
      kallsyms: [
        { addr: FN_A, type: 'T', name: 'fn_a' },
        { addr: FN_B, type: 'T', name: 'fn_b' },
      ],
      fault: [f(1000, 10, 5, 0, FN_B + 0x40n), f(2000, 10, 6, 0), f(3000, 10, 7, 0, FN_A + 8n)],
      fault_exit: [exit(9000, 10, 8, 0)],
    },
    query: 'SELECT ts, user, symbol, class FROM faults ORDER BY ts',
    csv: `
      ts,user,symbol,class
      1000,false,fn_b,minor
      2000,true,,minor
      3000,false,fn_a,minor`,
  });
});

describe('fault file attribution', () => {
  diffTest("a filemap event inside a fault (the counters still those of its entry) names the fault's file and page", {
    manifest,
    tables: {
      fault: [f(1000, 10, 5, 0), f(2000, 10, 5, 1)],
      fault_file: [file(1010, 10, 5, 0, 0, 1), file(1020, 10, 5, 0, 3)],
      fault_files: [{ dev: DEV, ino: 77n, name: 'data/x.bin' }],
      fault_exit: [exit(9000, 10, 6, 1)],
    },
    query: 'SELECT ts, class, ino, page, file FROM faults ORDER BY ts',
    csv: `
      ts,class,ino,page,file
      1000,major,77,3,data/x.bin
      2000,minor,,,`,
  });

  diffTest('fault-around alone (mm_filemap_map_pages): the page is the first of its window; a file without a name shows dev and inode', {
    manifest,
    tables: { fault: [f(1000, 10, 5, 0)], fault_file: [file(1010, 10, 5, 0, 32, 1)], fault_exit: [exit(9000, 10, 6, 0)] },
    query: 'SELECT ts, class, page, file FROM faults',
    csv: `
      ts,class,page,file
      1000,minor,32,dev 254:1 ino 77`,
  });

  diffTest('a filemap event after the fault was counted (a get_user_pages fault in a system call) is not the fault’s', {
    manifest,
    tables: { fault: [f(1000, 10, 5, 0), f(5000, 10, 8, 0)], fault_file: [file(3000, 10, 6, 0, 9)], fault_exit: [exit(9000, 10, 9, 0)] },
    query: 'SELECT ts, class, file FROM faults ORDER BY ts',
    csv: `
      ts,class,file
      1000,unknown,
      5000,minor,`,
  });

  diffTest('a filemap event after a fault that was not counted is not tied to it', {
    manifest,
    tables: { fault: [f(1000, 10, 5, 0)], fault_file: [file(3000, 10, 5, 0, 9)], fault_exit: [exit(9000, 10, 5, 0)] },
    query: 'SELECT ts, class, file FROM faults',
    csv: `
      ts,class,file
      1000,none,`,
  });

  diffTest('the report: per process minor and major, the counters’ own moves, and the rates over the window', {
    manifest: { ...manifest, options: { events: ['task', 'fault'] } },
    tables: {
      fault: [f(1000, 10, 5, 0), f(2000, 10, 5, 1), f(3000, 11, 0, 0)],
      fault_file: [file(2010, 10, 5, 1, 4)],
      fault_files: [{ dev: DEV, ino: 77n, name: 'data/x.bin' }],
      fault_exit: [exit(9000, 10, 5, 2), exit(9000, 11, 1, 0)],
    },
    analyze: ['faults'],
    section: 'by_process',
    columns: ['tgid', 'minor', 'major', 'not_counted', 'unknown', 'counted_min', 'counted_maj', 'minor_per_s', 'major_per_s'],
    csv: `
      tgid,minor,major,not_counted,unknown,counted_min,counted_maj,minor_per_s,major_per_s
      10,1,2,0,0,1,2,10000,20000`,
  });
});
