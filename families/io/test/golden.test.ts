/**
 * The io report on the io fixture (fixtures/README.md), unprivileged: a golden JSON (review every change;
 * rewrite with UPDATE_GOLDEN=1 npx vitest run families/io/test/golden.test.ts), held to the workload's own
 * counts and /proc/PID/io as it printed them (fixtures/io.workload.json); and the one-line note on a capture
 * that has no io events.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, fixtureWorkload, ktape, tmp, expectGolden, analyzeOk, expectNoEventsNote } from '../../../test/helpers.js';

const EXPECTED = join(ROOT, 'families/io/test/expected/analyze-io.io.json');
const NOTE = 'this capture has no io events: record with --events io';

describe('io report on the io fixture', () => {
  const wl = fixtureWorkload('io');
  const run = (...args: string[]) => analyzeOk(join(FIXTURES, 'io'), 'io', ...args);

  it('--json matches the golden file', () => {
    const got = JSON.parse(run('--json'));
    expectGolden(EXPECTED, got);
  });

  it("agrees with the workload's counts and the kernel's /proc/PID/io", () => {
    const p = JSON.parse(run('--json')).by_process.find((r: any) => r.tgid === wl.pid);
    // what /proc/PID/io counted between the workload's first and last I/O, against the requests it submitted in between
    const q = ktape([
      'query',
      join(FIXTURES, 'io'),
      `SELECT sum(bytes) AS b FROM io_requests WHERE tgid = ${wl.pid} AND kind = 'read'
      AND start_ts BETWEEN ${wl.boot_start_ns} AND ${wl.boot_end_ns}`,
      '--json',
    ]);
    expect(JSON.parse(q.stdout)[0].b).toBe(wl.proc_read_bytes);
    expect(p.read_bytes).toBeGreaterThanOrEqual(wl.proc_read_bytes);
    expect(p.write_bytes - p.meta_bytes).toBe(wl.direct_write_bytes + wl.buffered_write_bytes);
    expect(p.flush_ops).toBe(3);
  });

  it('--pid keeps only that process; --csv has the sections', () => {
    const j = JSON.parse(run('--json', '--pid', '1'));
    expect(j.by_process).toEqual([]);
    expect(j.largest).toEqual([]);
    expect(run('--csv')).toContain(`\n${wl.pid},ktape-workload,${wl.direct_read_ops},${wl.direct_read_bytes},`);
  });

  it('exports: Perfetto and Chrome write the requests', () => {
    const out = join(tmp(), 'io.json');
    expect(ktape(['export', join(FIXTURES, 'io'), '--chrome', out]).status).toBe(0);
    const evs = JSON.parse(readFileSync(out, 'utf8')).traceEvents.filter((e: any) => e.cat === 'io' && e.ph === 'X');
    expect(evs.length).toBe(JSON.parse(run('--json')).by_device.reduce((a: number, d: any) => a + d.requests, 0));
    expect(ktape(['export', join(FIXTURES, 'io'), '--perfetto', join(tmp(), 'io.pftrace')]).status).toBe(0);
  });

  it('a capture without io events (format 1.0, io not recorded): the one-line note, exit 0', () => {
    expectNoEventsNote(join(FIXTURES, 'demo'), 'io', NOTE);
  });
});
