/**
 * signal's compare metrics, through the built CLI: two recordings of the signals workload, one sending
 * three times the SIGUSR1s of the other. Ground truth is the workload's own count of what it sent.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD } from '../../../test/helpers.js';

const skipOutsideCI = privilegedSkipReason();

function record(n: number): { dir: string; wl: any } {
  const dir = join(tmp(), `cap-${n}`);
  const r = ktape(['record', '-o', dir, '--json', '--events', 'signal,task,sched', '--', WORKLOAD, 'signals', String(n)]);
  expect(r.status, r.stderr).toBe(0);
  const wl = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((l) => l.mode === 'signals');
  return { dir, wl };
}

describe.skipIf(skipOutsideCI)('signal family: ktape compare', () => {
  let base: { dir: string; wl: any }, next: { dir: string; wl: any };
  let rows: any[];
  beforeAll(() => {
    base = record(10);
    next = record(30);
    const r = ktape(['compare', base.dir, next.dir, '--json', '--no-normalize', '--min-count', '1']);
    expect(r.status, r.stderr).toBe(0);
    rows = JSON.parse(r.stdout).rows;
  });

  it('signals sent and received by the workload grow by the SIGUSR1s it added', () => {
    const row = (metric: string) => rows.find((x) => x.group === 'kt-signals' && x.metric === metric);
    const added = next.wl.usr1_sent - base.wl.usr1_sent;
    expect(added).toBe(20);
    // every other signal of the workload is the same in both runs: the delta is exactly the added SIGUSR1s
    expect(row('signals_sent').new - row('signals_sent').base).toBe(added);
    expect(row('signals_delivered').new - row('signals_delivered').base).toBe(next.wl.usr1_received - base.wl.usr1_received);
  });

  it('a --fail-on rule on a signal metric breaches (exit 1) and names it', () => {
    const r = ktape(['compare', base.dir, next.dir, '--no-normalize', '--min-count', '1', '--fail-on', 'signals_sent[kt-signals]>+50%']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/signals_sent\[kt-signals\]>\+50%/);
  });
});
