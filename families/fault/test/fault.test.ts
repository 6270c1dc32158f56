/**
 * The fault family against the live kernel, through the built CLI. Ground truth: the kernel's own fault
 * accounting. build/ktape-workload faults writes a file on the disk holding the checkout (build/, never a
 * tmpfs), drops it from the page cache (fadvise and drop_caches: the test runs as root), then forks a child
 * that touches N fresh anonymous pages (minor faults) and reads one byte of each of the file's M pages
 * through a MADV_RANDOM mapping (major faults: no readahead, one read per page). The parent reports the
 * child's wait4 rusage (ru_minflt, ru_majflt: every fault of its life, which the capture sees whole, since the
 * child is in the filter from its fork) and the child's /proc/self/stat minflt/majflt around each phase, at
 * CLOCK_BOOTTIME instants (ktape's clock). Both must match the recorded classification exactly: the child
 * makes no get_user_pages() faults (the one case where the counters move without a fault event).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, ROOT, tmp, WORKLOAD, workloadLine } from '../../../test/helpers.js';
import { decodeTrace } from '../../../test/e2e/export.helpers.js';

const skipOutsideCI = privilegedSkipReason();
type Row = Record<string, any>;

/** record the faults workload (N anonymous pages, M file pages) under --events task,fault */
function record(n: number, m: number): { dir: string; wl: Row } {
  const dir = join(tmp(), `cap-${n}-${m}`);
  const data = mkdtempSync(join(ROOT, 'build', 'fault-test-'));
  try {
    const r = ktape(['record', '-o', dir, '--json', '--events', 'task,fault', '--', WORKLOAD, 'faults', data, String(n), String(m)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return { dir, wl: workloadLine(r.stdout, 'faults') };
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

describe.skipIf(skipOutsideCI)('fault family: minor and major faults against the kernel counters', () => {
  const N = 512,
    M = 64;
  let dir: string;
  let wl: Row;
  let report: Row;
  const query = (sql: string): Row[] => {
    const r = ktape(['query', dir, sql, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  };
  /** the child's faults by class between the instants of one phase */
  const phase = (ph: Row) =>
    query(`SELECT count(*) FILTER (WHERE class = 'minor') AS minor, count(*) FILTER (WHERE class = 'major') AS major,
      count(*) FILTER (WHERE class NOT IN ('minor', 'major')) AS other
      FROM faults WHERE tgid = ${wl.child} AND ts BETWEEN ${ph.boot_start_ns} AND ${ph.boot_end_ns}`)[0];

  beforeAll(() => {
    ({ dir, wl } = record(N, M));
    const a = ktape(['analyze', dir, 'faults', '--json', '--top', '100']);
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    report = JSON.parse(a.stdout);
  });

  it('the workload did what it says (the kernel counted N minor, then M major faults)', () => {
    expect(wl.child_status).toBe(0);
    expect(wl.drop_caches).toBe(1);
    expect(wl.anon).toMatchObject({ minflt: N, majflt: 0 });
    expect(wl.file).toMatchObject({ minflt: 0, majflt: M });
  });

  it("per process: the child's minor and major totals are exactly its wait4 rusage", () => {
    const p = report.by_process.find((r: Row) => r.tgid === wl.child);
    expect(p).toBeTruthy();
    expect(p.minor).toBe(wl.ru_minflt);
    expect(p.major).toBe(wl.ru_majflt);
    expect(p.unknown).toBe(0);
    // its last fault is closed by its exit (fault_exit): the counters' own moves are the same totals
    expect(p.counted_min).toBe(wl.ru_minflt);
    expect(p.counted_maj).toBe(wl.ru_majflt);
    expect(p.minor_per_s).toBeGreaterThan(0);
  });

  it('per phase: the faults between the instants are what /proc/self/stat counted in between', () => {
    expect(phase(wl.anon)).toEqual({ minor: wl.anon.minflt, major: wl.anon.majflt, other: 0 });
    expect(phase(wl.file)).toEqual({ minor: wl.file.minflt, major: wl.file.majflt, other: 0 });
  });

  it("the file's major faults are tied to the file, one page each; the anonymous ones to none", () => {
    const name = wl.path.split('/').pop();
    const f = report.by_file.find((r: Row) => r.file.endsWith(`/${name}`));
    expect(f).toMatchObject({ faults: M, major: M, minor: 0, pages: M, processes: 1 });
    const anon = query(`SELECT count(*) AS n FROM faults WHERE tgid = ${wl.child} AND file IS NULL
      AND ts BETWEEN ${wl.anon.boot_start_ns} AND ${wl.anon.boot_end_ns}`)[0];
    expect(anon.n).toBe(N);
  });

  it('the top code addresses: the touching loop, N minor faults at one user ip; kernel ips are symbolized', () => {
    expect(report.by_ip.some((r: Row) => r.minor === N && r.faults === N && r.symbol === null)).toBe(true);
    expect(report.by_ip.some((r: Row) => r.major === M && r.faults === M)).toBe(true);
    const kern = query(`SELECT count(*) AS n, count(symbol) AS named FROM faults WHERE NOT user`)[0];
    expect(kern.n).toBeGreaterThan(0);
    expect(kern.named).toBe(kern.n);
  });

  it('--csv has the sections; exports carry the per-process counters', () => {
    const c = ktape(['analyze', dir, 'faults', '--csv']);
    expect(c.status).toBe(0);
    expect(c.stdout).toContain(`\n${wl.child},ktape-workload,${wl.ru_minflt},${wl.ru_majflt},`);
    const out = join(tmp(), 'f.json');
    expect(ktape(['export', dir, '--chrome', out]).status).toBe(0);
    const last = JSON.parse(readFileSync(out, 'utf8'))
      .traceEvents.filter((e: Row) => e.cat === 'fault' && e.pid === wl.child)
      .pop();
    expect(last.args).toEqual({ minor: wl.ru_minflt, major: wl.ru_majflt });
    const pf = join(tmp(), 'f.pftrace');
    expect(ktape(['export', dir, '--perfetto', pf]).status).toBe(0);
    const tracks = new Map<bigint, Row>();
    const counters: Row[] = [];
    for (const p of decodeTrace(pf).packet) {
      if (p.data.case === 'trackDescriptor') tracks.set(p.data.value.uuid, p.data.value);
      if (p.data.case === 'trackEvent' && p.data.value.type === 4) counters.push(p.data.value);
    }
    const mine = (name: string) =>
      counters.filter((c) => {
        const t = tracks.get(c.trackUuid);
        return t?.staticOrDynamicName?.value === name && tracks.get(t.parentUuid)?.staticOrDynamicName?.value === `process ${wl.child}`;
      });
    expect(Number(mine('minor page faults').at(-1)!.counterValueField.value)).toBe(wl.ru_minflt);
    expect(Number(mine('major page faults').at(-1)!.counterValueField.value)).toBe(wl.ru_majflt);
  });

  it('compare: faults_minor and faults_major are the per-group totals of each capture', () => {
    const other = record(N / 4, M / 4);
    const r = ktape(['compare', dir, other.dir, '--json', '--no-normalize', '--min-count', '1']);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).rows as Row[];
    const totals = (d: string, w: Row) =>
      JSON.parse(
        ktape([
          'query',
          d,
          `SELECT count(*) FILTER (WHERE class = 'minor') AS minor, count(*) FILTER (WHERE class = 'major') AS major FROM faults WHERE tgid IN (${w.pid}, ${w.child})`,
          '--json',
        ]).stdout,
      )[0];
    const [b, n] = [totals(dir, wl), totals(other.dir, other.wl)];
    const row = (metric: string) => rows.find((x) => x.group === 'ktape-workload' && x.metric === metric);
    expect(row('faults_minor')).toMatchObject({ base: b.minor, new: n.minor });
    expect(row('faults_major')).toMatchObject({ base: b.major, new: n.major });
    // each holds its child's M file faults (and the exec's, which vary with what the page cache still holds)
    expect(b.major).toBeGreaterThanOrEqual(M);
    expect(n.major).toBeGreaterThanOrEqual(M / 4);
  });
});
