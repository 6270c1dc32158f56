/**
 * The io family against the live kernel, through the built CLI. Ground truth: the workload's own counts
 * (build/ktape-workload io: O_DIRECT writes and reads of known sizes, a buffered write, each with fsync) and
 * the kernel's per-process accounting, /proc/PID/io read_bytes and write_bytes, which the workload reads
 * before its first and after its last I/O, at CLOCK_BOOTTIME instants it reports (ktape's clock), so that the
 * requests it submitted in between (start_ts) are compared with what /proc counted in between. (Reads before
 * that, when the launcher loads setpriv and sh before the recorder adds the command's pid to its filter, are
 * in /proc/PID/io but not in the capture.) The files are on the disk holding the checkout (build/), never on
 * a tmpfs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, analyzeOk, queryRows, recordWorkload } from '../../../test/helpers.js';
import { decodeTrace } from '../../../test/e2e/export.helpers.js';

const skipOutsideCI = privilegedSkipReason();
const KiB = 1024;
const PAGE = 4096;

type Row = Record<string, any>;

/** record the io workload (N direct writes) under --events io,task; returns the capture and what the workload printed */
const record = (n: number): { dir: string; wl: Row } => recordWorkload('io,task', 'io', (data) => [data, String(n)]);

describe.skipIf(skipOutsideCI)('io family: recorded workload with known block I/O', () => {
  const N = 8;
  let dir: string;
  let wl: Row;
  let report: Row;
  const query = (sql: string): Row[] => queryRows(dir, sql);
  /** the workload's requests submitted between its two /proc/self/io readings */
  const mine = (cond: string) =>
    query(`SELECT count(*) AS n, coalesce(sum(bytes), 0) AS bytes FROM io_requests
      WHERE tgid = ${wl.pid} AND start_ts BETWEEN ${wl.boot_start_ns} AND ${wl.boot_end_ns} AND ${cond}`)[0];

  beforeAll(() => {
    ({ dir, wl } = record(N));
    report = JSON.parse(analyzeOk(dir, 'io', '--json', '--top', '100'));
  });

  it('the workload did what it says (its own ground truth)', () => {
    expect(wl).toMatchObject({ direct_write_ops: N, direct_write_bytes: N * 64 * KiB, direct_read_ops: 2 * N, direct_read_bytes: N * 64 * KiB });
    expect(wl.buffered_write_bytes).toBe(256 * KiB);
    expect(wl.proc_read_bytes).toBeGreaterThanOrEqual(wl.direct_read_bytes);
  });

  it('per process: read bytes are exactly /proc/PID/io read_bytes, and the direct reads are one request each', () => {
    const p = report.by_process.find((r: Row) => r.tgid === wl.pid);
    expect(p).toBeTruthy();
    expect(mine(`kind = 'read'`).bytes).toBe(wl.proc_read_bytes);
    expect(p.read_bytes).toBeGreaterThanOrEqual(wl.proc_read_bytes);
    // every O_DIRECT pread of 32 KiB is one sync read request of 32 KiB (other reads: the exec's, if not cached)
    expect(mine(`kind = 'read' AND bytes = ${32 * KiB} AND sync AND NOT meta`).n).toBe(wl.direct_read_ops);
    expect(p.read_ops).toBeGreaterThanOrEqual(wl.direct_read_ops);
  });

  it('per process: data writes are the direct and the buffered bytes; the direct writes one sync request each', () => {
    expect(mine(`kind = 'write' AND bytes = ${64 * KiB} AND sync AND NOT meta`).n).toBeGreaterThanOrEqual(wl.direct_write_ops);
    // the buffered 256 KiB are written back by the workload's own fsync, in one or more requests
    expect(mine(`kind = 'write' AND NOT meta`).bytes).toBe(wl.direct_write_bytes + wl.buffered_write_bytes);
    // /proc counts write_bytes when pages are dirtied (and direct writes at submission): the data, plus the few
    // metadata pages the task dirtied (block bitmaps, inode table), which ktape sees as meta requests when written
    const p = report.by_process.find((r: Row) => r.tgid === wl.pid);
    const data = mine(`kind = 'write' AND NOT meta`).bytes;
    expect(wl.proc_write_bytes - data).toBeGreaterThanOrEqual(0);
    expect(wl.proc_write_bytes - data).toBeLessThanOrEqual(16 * PAGE);
    // in the whole capture the workload's data writes are the same (before its first reading: fallocate's metadata)
    expect(p.write_bytes - p.meta_bytes).toBe(wl.direct_write_bytes + wl.buffered_write_bytes);
    // each fsync ends with an empty preflush write: two in the window (after the direct writes, after the buffered one), one before (after fallocate)
    expect(mine(`kind = 'flush'`).n).toBe(2);
    expect(p.flush_ops).toBe(3);
    expect(p.sync_ops + p.async_ops).toBe(p.read_ops + p.write_ops);
  });

  it('attribution: every request is the workload thread, while completions ran in other tasks', () => {
    // (before its exec the workload's process is the launcher, setpriv, whose reads of the binary count for it too)
    expect(query(`SELECT DISTINCT tid FROM io_requests WHERE tgid = ${wl.pid}`)).toEqual([{ tid: wl.tid }]);
    expect(query(`SELECT DISTINCT comm FROM io_requests WHERE tgid = ${wl.pid} AND kind = 'write'`)).toEqual([{ comm: 'ktape-workload' }]);
    // the recording followed the command: nothing of any other process
    expect(query(`SELECT count(*) AS n FROM io_requests WHERE tgid IS DISTINCT FROM ${wl.pid}`)[0].n).toBe(0);
    const [c] = query(`SELECT count(*) AS n, count(*) FILTER (WHERE tgid <> ${wl.pid}) AS elsewhere FROM _block_rq WHERE event = 3 AND sub_tgid = ${wl.pid}`);
    expect(c.n).toBeGreaterThanOrEqual(wl.direct_read_ops + wl.direct_write_ops);
    expect(c.elsewhere).toBeGreaterThan(0);
  });

  it('per device: every request completed, with queue and service percentiles and a service histogram', () => {
    const [{ device }] = query(`SELECT DISTINCT device FROM io_requests WHERE tgid = ${wl.pid} AND kind = 'read'`);
    const d = report.by_device.find((r: Row) => r.device === device);
    expect(d.in_flight).toBe(0);
    expect(d.service_p50_ns).toBeGreaterThan(0);
    expect(d.service_p50_ns).toBeLessThanOrEqual(d.service_p99_ns);
    expect(d.service_p99_ns).toBeLessThanOrEqual(d.service_max_ns);
    const h = report.histograms.find((x: Row) => x.device === device && x.time === 'service');
    expect(h.buckets.reduce((a: number, b: Row) => a + b.count, 0)).toBe(d.serviced);
    expect(report.largest[0].bytes).toBeGreaterThanOrEqual(64 * KiB);
  });

  it('--csv has the per-process rows', () => {
    const r = ktape(['analyze', dir, 'io', '--csv']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# by_process\ntgid,comm,read_ops,read_bytes,/);
    expect(r.stdout).toContain(`${wl.pid},ktape-workload,`);
  });

  it('Perfetto: a track per device with every request as a slice, and byte counters per process', () => {
    const out = join(tmp(), 'io.pftrace');
    expect(ktape(['export', dir, '--perfetto', out]).status).toBe(0);
    const tracks = new Map<bigint, Row>();
    const slices: Row[] = [],
      counters: Row[] = [];
    for (const p of decodeTrace(out).packet) {
      if (p.data.case === 'trackDescriptor') tracks.set(p.data.value.uuid, p.data.value);
      if (p.data.case === 'trackEvent' && p.data.value.type === 1) slices.push(p.data.value);
      if (p.data.case === 'trackEvent' && p.data.value.type === 4) counters.push(p.data.value);
    }
    const name = (uuid: bigint) => tracks.get(uuid)?.staticOrDynamicName?.value;
    const parent = (uuid: bigint) => name(tracks.get(uuid)?.parentUuid);
    const [{ n, device }] = query('SELECT count(*) AS n, any_value(device) AS device FROM io_requests');
    expect(slices.filter((s) => parent(s.trackUuid) === `ktape: block ${device}`)).toHaveLength(n);
    const writes = counters.filter((c) => name(c.trackUuid) === 'block write bytes');
    expect(Number(writes.at(-1)!.counterValueField.value)).toBe(report.by_process.find((r: Row) => r.tgid === wl.pid).write_bytes);
  });

  it('Chrome: the requests as complete events on the device process, counters on the workload', () => {
    const out = join(tmp(), 'io.json');
    expect(ktape(['export', dir, '--chrome', out]).status).toBe(0);
    const evs = (JSON.parse(readFileSync(out, 'utf8')).traceEvents as Row[]).filter((e) => e.cat === 'io');
    const [{ n }] = query('SELECT count(*) AS n FROM io_requests');
    expect(evs.filter((e) => e.ph === 'X' && e.args.tid === wl.tid && e.args.submitter.endsWith(`(${wl.pid})`))).toHaveLength(n);
    const c = evs.filter((e) => e.ph === 'C' && e.pid === wl.pid);
    expect(c.at(-1)!.args.read).toBe(report.by_process.find((r: Row) => r.tgid === wl.pid).read_bytes);
  });
});

describe.skipIf(skipOutsideCI)('io family: ktape compare', () => {
  it("io_read_bytes and io_write_bytes are each capture's per-process totals, which hold the workload's own reads", () => {
    const base = record(4),
      next = record(12);
    const r = ktape(['compare', base.dir, next.dir, '--json', '--no-normalize', '--min-count', '1']);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).rows as Row[];
    const row = (metric: string) => rows.find((x) => x.group === 'ktape-workload' && x.metric === metric);
    const total = (c: { dir: string; wl: Row }, kind: string) =>
      JSON.parse(ktape(['query', c.dir, `SELECT sum(bytes) AS b FROM io_requests WHERE tgid = ${c.wl.pid} AND kind = '${kind}'`, '--json']).stdout)[0].b;
    expect(row('io_read_bytes').base).toBe(total(base, 'read'));
    expect(row('io_read_bytes').new).toBe(total(next, 'read'));
    expect(row('io_write_bytes').new).toBe(total(next, 'write'));
    // and those totals hold the workload's own reads: what /proc/PID/io counted while it did its I/O
    for (const c of [base, next]) {
      const q = `SELECT sum(bytes) AS b FROM io_requests WHERE tgid = ${c.wl.pid} AND kind = 'read' AND start_ts BETWEEN ${c.wl.boot_start_ns} AND ${c.wl.boot_end_ns}`;
      expect(JSON.parse(ktape(['query', c.dir, q, '--json']).stdout)[0].b).toBe(c.wl.proc_read_bytes);
    }
    expect(row('io_write_bytes').new - row('io_write_bytes').base).toBeGreaterThan(0);
    expect(rows.some((x) => /^\[block /.test(x.group) && x.metric === 'io_read_bytes')).toBe(true);
  });
});
