/**
 * The faults report on the fault fixture (fixtures/README.md), unprivileged: a golden JSON (review every change;
 * rewrite with UPDATE_GOLDEN=1 npx vitest run families/fault/test/golden.test.ts), held to the kernel's own
 * accounting as the workload printed it (fixtures/fault.workload.json: the child's wait4 rusage, its
 * /proc/self/stat around each phase); and the one-line note on a capture that has no fault events.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, fixtureWorkload, ktape, tmp, expectGolden, analyzeOk, expectNoEventsNote } from '../../../test/helpers.js';

const EXPECTED = join(ROOT, 'families/fault/test/expected/analyze-faults.fault.json');
const NOTE = 'this capture has no fault events: record with --events fault';

describe('faults report on the fault fixture', () => {
  const wl = fixtureWorkload('fault');
  const run = (...args: string[]) => analyzeOk(join(FIXTURES, 'fault'), 'faults', ...args);

  it('--json matches the golden file', () => {
    const got = JSON.parse(run('--json'));
    expectGolden(EXPECTED, got);
  });

  it("agrees with the child's wait4 rusage and its /proc/self/stat readings", () => {
    const j = JSON.parse(run('--json'));
    expect(j.by_process.find((r: any) => r.tgid === wl.child)).toMatchObject({ minor: wl.ru_minflt, major: wl.ru_majflt, unknown: 0 });
    for (const ph of [wl.anon, wl.file]) {
      const q = ktape([
        'query',
        join(FIXTURES, 'fault'),
        `SELECT count(*) FILTER (WHERE class = 'minor') AS minor, count(*) FILTER (WHERE class = 'major') AS major
         FROM faults WHERE tgid = ${wl.child} AND ts BETWEEN ${ph.boot_start_ns} AND ${ph.boot_end_ns}`,
        '--json',
      ]);
      expect(JSON.parse(q.stdout)[0]).toEqual({ minor: ph.minflt, major: ph.majflt });
    }
    const name = wl.path.split('/').pop();
    expect(j.by_file.find((r: any) => r.file.endsWith(`/${name}`))).toMatchObject({ major: wl.file_pages, pages: wl.file_pages });
  });

  it('--pid keeps only that process; --csv has the sections', () => {
    const j = JSON.parse(run('--json', '--pid', String(wl.child)));
    expect(j.by_process.map((r: any) => r.tgid)).toEqual([wl.child]);
    expect(run('--csv')).toContain(`\n${wl.child},ktape-workload,${wl.ru_minflt},${wl.ru_majflt},`);
  });

  it('exports: Chrome carries the per-process fault counters; Perfetto writes', () => {
    const out = join(tmp(), 'fault.json');
    expect(ktape(['export', join(FIXTURES, 'fault'), '--chrome', out]).status).toBe(0);
    const last = JSON.parse(readFileSync(out, 'utf8'))
      .traceEvents.filter((e: any) => e.cat === 'fault' && e.pid === wl.child)
      .pop();
    expect(last.args).toEqual({ minor: wl.ru_minflt, major: wl.ru_majflt });
    expect(ktape(['export', join(FIXTURES, 'fault'), '--perfetto', join(tmp(), 'fault.pftrace')]).status).toBe(0);
  });

  it('a capture without fault events (format 1.0, io fixture of 1.5): the one-line note, exit 0', () => {
    for (const fx of ['demo', 'io']) {
      expectNoEventsNote(join(FIXTURES, fx), 'faults', NOTE);
    }
  });

  it('older captures load the fault tables empty (the faults view has no rows)', () => {
    const q = ktape(['query', join(FIXTURES, 'demo'), 'SELECT count(*) AS n FROM faults', '--json']);
    expect(q.stderr).toBe('');
    expect(JSON.parse(q.stdout)).toEqual([{ n: 0 }]);
  });
});
