/**
 * The net report on the net fixture (fixtures/README.md), unprivileged: a golden JSON (review every change;
 * rewrite with UPDATE_GOLDEN=1 npx vitest run families/net/test/golden.test.ts), held to the veths' own
 * counters over the recording (fixtures/net.sysfs.json: /sys/class/net/DEV/statistics before and after); and the
 * note on a capture without net.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, ktape, tmp, expectGolden, analyzeOk } from '../../../test/helpers.js';

const EXPECTED = join(ROOT, 'families/net/test/expected/analyze-net.net.json');
const NOTE = 'this capture has no net events: record with --events net';

describe('net report on the net fixture', () => {
  const sysfs = JSON.parse(readFileSync(join(FIXTURES, 'net.sysfs.json'), 'utf8'));
  const run = (...args: string[]) => analyzeOk(join(FIXTURES, 'net'), 'net', ...args);

  it('--json matches the golden file', () => {
    const got = JSON.parse(run('--json'));
    expectGolden(EXPECTED, got);
  });

  it("per device: packets and bytes are the deltas of the veths' own counters", () => {
    const j = JSON.parse(run('--json'));
    for (const dev of ['ktv0', 'ktv1']) {
      const row = j.by_device.find((r: any) => r.device === dev);
      for (const k of ['tx_packets', 'tx_bytes', 'rx_packets', 'rx_bytes']) expect(row[k], `${dev} ${k}`).toBe(sysfs.after[dev][k] - sysfs.before[dev][k]);
      expect(row.timed).toBe(row.tx_packets);
    }
  });

  it('--csv has the sections; exports write the counters', () => {
    expect(run('--csv')).toMatch(/^# by_device\n/);
    const out = join(tmp(), 'net.json');
    expect(ktape(['export', join(FIXTURES, 'net'), '--chrome', out]).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8')).traceEvents.some((e: any) => e.cat === 'net' && e.ph === 'C')).toBe(true);
    expect(ktape(['export', join(FIXTURES, 'net'), '--perfetto', join(tmp(), 'net.pftrace')]).status).toBe(0);
  });

  it('a capture without net events (format 1.0): the one-line note, exit 0', () => {
    const r = ktape(['analyze', join(FIXTURES, 'demo'), 'net']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(NOTE);
  });
});
