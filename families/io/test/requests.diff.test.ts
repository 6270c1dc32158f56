/**
 * Diff tests: block request pairing and attribution (families/io/sql/requests.sql).
 *
 * Task 100 (process 100, comm "app") submits; kworker 50 runs the queue; completions run in interrupts over
 * whatever task was current (tid 0, idle, or 77). Capture [0, 100000]. Device 254:0 is named vda.
 */
import { describe } from 'vitest';
import { diffTest } from '../../../test/diff/harness.js';

const START = 0,
  INSERT = 1,
  ISSUE = 2,
  COMPLETE = 3;
const DEV = (254 << 20) | 0;
const SYNC = 1,
  PREFLUSH = 8;

interface Ev {
  cur?: [number, number];
  sub?: [number, number, string] | null;
  bytes?: number;
  op?: number;
  flags?: number;
  done?: number;
  sector?: bigint;
}
/** one block_rq row: `cur` is the task the event fired in, `sub` the submitter the recorder remembered */
const ev = (ts: number, event: number, rq: bigint, o: Ev = {}) => {
  const sub = o.sub === undefined ? ([100, 100, 'app'] as const) : o.sub;
  const cur = o.cur ?? (event === START ? [100, 100] : event === COMPLETE ? [0, 0] : [50, 50]);
  return {
    ts,
    cpu: event === COMPLETE ? 1 : 0,
    event,
    tid: cur[0],
    tgid: cur[1],
    rq,
    dev: DEV,
    sector: o.sector ?? 2048n,
    bytes: o.bytes ?? 65536,
    op: o.op ?? 1,
    flags: o.flags ?? SYNC,
    status: 0,
    done: event === COMPLETE ? (o.done ?? 1) : 0,
    sub_tid: sub ? sub[0] : 0,
    sub_tgid: sub ? sub[1] : 0,
    sub_comm: sub ? sub[2] : '',
  };
};
const RQ = 0xffff888001230000n,
  RQ2 = 0xffff888001240000n;
const manifest = { start_ts: 0, end_ts: 100_000 };
const io_devices = [{ dev: DEV, major: 254, minor: 0, name: 'vda' }];
const COLS = 'tid, tgid, comm, device, kind, rwbs, bytes, queue_ns, service_ns, total_ns, completed';

describe('io request pairing and attribution', () => {
  diffTest('a request submitted by a task, queued and issued by a kworker, completed in an interrupt: the submitter owns it', {
    manifest,
    tables: {
      block_rq: [ev(1000, START, RQ), ev(1100, INSERT, RQ), ev(1500, ISSUE, RQ), ev(9500, COMPLETE, RQ, { cur: [77, 77] })],
      io_devices,
    },
    query: `SELECT ${COLS} FROM io_requests`,
    csv: `
      tid,tgid,comm,device,kind,rwbs,bytes,queue_ns,service_ns,total_ns,completed
      100,100,app,vda,write,WS,65536,400,8000,8500,true`,
  });

  diffTest('the report counts it for the submitter, not for the kworker or the interrupted task', {
    manifest,
    tables: {
      block_rq: [
        ev(1000, START, RQ),
        ev(1100, INSERT, RQ, { cur: [50, 50] }),
        ev(1500, ISSUE, RQ, { cur: [50, 50] }),
        ev(9500, COMPLETE, RQ, { cur: [77, 77] }),
        ev(2000, START, RQ2, { op: 0, bytes: 4096, flags: 0 }),
        ev(2100, ISSUE, RQ2, { op: 0, bytes: 4096, flags: 0 }),
        ev(3100, COMPLETE, RQ2, { op: 0, bytes: 4096, flags: 0, cur: [50, 50] }),
      ],
      io_devices,
    },
    analyze: ['io'],
    section: 'by_process',
    columns: ['tgid', 'comm', 'read_ops', 'read_bytes', 'write_ops', 'write_bytes', 'sync_ops', 'async_ops'],
    csv: `
      tgid,comm,read_ops,read_bytes,write_ops,write_bytes,sync_ops,async_ops
      100,app,1,4096,1,65536,2,0`,
  });

  diffTest('completed without an insert (a direct issue): no queue time, the service time and total from the start', {
    manifest,
    tables: { block_rq: [ev(1000, START, RQ), ev(1200, ISSUE, RQ), ev(4200, COMPLETE, RQ)], io_devices },
    query: `SELECT ${COLS} FROM io_requests`,
    csv: `
      tid,tgid,comm,device,kind,rwbs,bytes,queue_ns,service_ns,total_ns,completed
      100,100,app,vda,write,WS,65536,,3000,3200,true`,
  });

  diffTest('issued before the capture: only its completion, no submitter, its bytes from the completion', {
    manifest,
    tables: {
      block_rq: [ev(500, COMPLETE, RQ, { sub: null, bytes: 8192 }), ev(1000, START, RQ), ev(1200, ISSUE, RQ), ev(4200, COMPLETE, RQ)],
      io_devices,
    },
    query: `SELECT ts, ${COLS} FROM io_requests ORDER BY ts`,
    csv: `
      ts,tid,tgid,comm,device,kind,rwbs,bytes,queue_ns,service_ns,total_ns,completed
      500,,,,vda,write,WS,8192,,,,true
      1000,100,100,app,vda,write,WS,65536,,3000,3200,true`,
  });

  diffTest('an address reused: a request whose start was lost begins after the previous final completion', {
    manifest,
    tables: {
      block_rq: [
        ev(1000, START, RQ),
        ev(1200, ISSUE, RQ),
        ev(2000, COMPLETE, RQ),
        // the next request on RQ: its start lost (no row), its insert still names the submitter from the map
        ev(3000, INSERT, RQ, { bytes: 4096 }),
        ev(3100, ISSUE, RQ, { bytes: 4096 }),
        ev(3900, COMPLETE, RQ, { bytes: 4096 }),
      ],
      io_devices,
    },
    query: `SELECT ts, ${COLS} FROM io_requests ORDER BY ts`,
    csv: `
      ts,tid,tgid,comm,device,kind,rwbs,bytes,queue_ns,service_ns,total_ns,completed
      1000,100,100,app,vda,write,WS,65536,,800,1000,true
      3000,100,100,app,vda,write,WS,4096,100,800,900,true`,
  });

  diffTest('a partial completion does not end the request; a request never completed is in flight at the end', {
    manifest,
    tables: {
      block_rq: [
        ev(1000, START, RQ, { bytes: 8192 }),
        ev(1200, ISSUE, RQ, { bytes: 8192 }),
        ev(2000, COMPLETE, RQ, { bytes: 4096, done: 0 }),
        ev(2500, COMPLETE, RQ, { bytes: 4096, done: 1 }),
        ev(5000, START, RQ2, { op: 0, flags: 0 }),
        ev(5100, INSERT, RQ2, { op: 0, flags: 0 }),
        ev(5200, ISSUE, RQ2, { op: 0, flags: 0 }),
      ],
      io_devices,
    },
    query: `SELECT ts, ${COLS} FROM io_requests ORDER BY ts`,
    csv: `
      ts,tid,tgid,comm,device,kind,rwbs,bytes,queue_ns,service_ns,total_ns,completed
      1000,100,100,app,vda,write,WS,8192,,1300,1500,true
      5000,100,100,app,vda,read,R,65536,100,,,false`,
  });

  diffTest("an fsync's empty preflush write is a flush; the block layer's own flush request has no submitter; an unnamed device shows as major:minor", {
    manifest,
    tables: {
      block_rq: [
        ev(1000, START, RQ, { bytes: 0, flags: SYNC | PREFLUSH }),
        ev(1100, ISSUE, RQ2, { op: 2, bytes: 0, flags: PREFLUSH, sub: null, sector: 0n }),
        ev(3000, COMPLETE, RQ2, { op: 2, bytes: 0, flags: PREFLUSH, sub: null, sector: 0xffffffffffffffffn }),
        ev(3100, COMPLETE, RQ, { bytes: 0, flags: SYNC | PREFLUSH }),
      ],
    },
    query: `SELECT ts, ${COLS}, sector FROM io_requests ORDER BY ts`,
    csv: `
      ts,tid,tgid,comm,device,kind,rwbs,bytes,queue_ns,service_ns,total_ns,completed,sector
      1000,100,100,app,254:0,flush,FWS,0,,,2100,true,2048
      1100,,,,254:0,flush,FF,0,,1900,1900,true,0`,
  });
});
