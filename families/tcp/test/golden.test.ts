/**
 * The tcp report on the tcp fixture (fixtures/README.md), unprivileged: a golden JSON (review every change;
 * rewrite with UPDATE_GOLDEN=1 npx vitest run families/tcp/test/golden.test.ts), held to the workload's own
 * timing of each connect() as it printed it (fixtures/tcp.workload.json); and the note on a capture without tcp.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, fixtureWorkload, ktape, tmp, expectGolden, analyzeOk } from '../../../test/helpers.js';

const EXPECTED = join(ROOT, 'families/tcp/test/expected/analyze-tcp.tcp.json');
const NOTE = 'this capture has no tcp events: record with --events tcp';

describe('tcp report on the tcp fixture', () => {
  const wl = fixtureWorkload('tcp');
  const run = (...args: string[]) => analyzeOk(join(FIXTURES, 'tcp'), 'tcp', ...args);

  it('--json matches the golden file', () => {
    const got = JSON.parse(run('--json'));
    expectGolden(EXPECTED, got);
  });

  it("agrees with the workload's own connect() timings: two blocked connections, ~1 s and one SYN retransmit each", () => {
    const j = JSON.parse(run('--json'));
    const active = j.connections.filter((c: any) => c.role === 'active');
    expect(active).toHaveLength(wl.conns.length);
    for (const c of wl.conns) {
      const r = active.find((x: any) => x.local.endsWith(`:${c.port}`));
      expect(r.tgid).toBe(wl.pid);
      expect(r.connect_ns).toBeLessThanOrEqual(c.end_ns - c.start_ns);
      expect(r.retransmits).toBe(c.blocked);
      if (c.blocked) expect(r.connect_ns).toBeGreaterThan(0.9e9);
    }
    const server = j.by_process.find((r: any) => r.tgid === wl.server_pid);
    expect(server).toMatchObject({ comm: 'kt-tcp-server', passive: wl.conns.length });
  });

  it('--pid keeps only that process; --csv has the sections; exports write the connections', () => {
    const p = JSON.parse(run('--json', '--pid', String(wl.server_pid)));
    expect(p.connections.every((c: any) => c.tgid === wl.server_pid)).toBe(true);
    expect(run('--csv')).toMatch(/^# connections\n/);
    const out = join(tmp(), 'tcp.json');
    expect(ktape(['export', join(FIXTURES, 'tcp'), '--chrome', out]).status).toBe(0);
    const evs = JSON.parse(readFileSync(out, 'utf8')).traceEvents.filter((e: any) => e.cat === 'tcp');
    expect(evs.filter((e: any) => e.ph === 'X')).toHaveLength(2 * wl.conns.length);
    expect(evs.filter((e: any) => e.ph === 'i')).toHaveLength(2);
    expect(ktape(['export', join(FIXTURES, 'tcp'), '--perfetto', join(tmp(), 'tcp.pftrace')]).status).toBe(0);
  });

  it('a capture without tcp events (format 1.0): the one-line note, exit 0', () => {
    const r = ktape(['analyze', join(FIXTURES, 'demo'), 'tcp']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(NOTE);
  });
});
