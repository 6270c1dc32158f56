/** Command-line validation of `ktape record` (no privileges needed: rejected before touching the kernel). */
import { describe, expect, it } from 'vitest';
import { ktape } from '../helpers.js';

describe('ktape record: bad flags', () => {
  const cases: [string[], RegExp][] = [
    [['record', '--events', 'sched,bogus'], /--events sched,bogus: unknown family 'bogus'/],
    [['record', '--buffer-mb', 'x'], /--buffer-mb x: expected an integer/],
    [['record', '--duration', '-3'], /--duration -3: expected a number/],
    [['record', '--comm', 'a-name-that-is-far-too-long'], /--comm .*: must be 1 to 15 bytes/],
    [['record', '-a'], /-a\/--system-wide: only meaningful with a COMMAND/],
    [['record', '-p', '0'], /--pid 0: expected an integer/],
  ];
  for (const [args, re] of cases) {
    it(args.join(' '), () => {
      const r = ktape(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
  it('--help lists every subcommand with examples', () => {
    const r = ktape(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/record/);
    expect(r.stdout).toMatch(/Examples:/);
  });
});

describe('captures stay private', () => {
  it('convert --parquet, --db and exported traces are written 0600', async () => {
    const { statSync, readdirSync, writeFileSync, chmodSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmp, FIXTURES } = await import('../helpers.js');
    const d = tmp();
    const pq = join(d, 'pq');
    expect(ktape(['convert', join(FIXTURES, 'demo'), '--parquet', pq]).status).toBe(0);
    expect(statSync(pq).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(pq)) expect(statSync(join(pq, f)).mode & 0o777, f).toBe(0o600);
    const db = join(d, 'cap.duckdb');
    expect(ktape(['analyze', join(FIXTURES, 'demo'), 'cpu', '--db', db, '--top', '1']).status).toBe(0);
    expect(statSync(db).mode & 0o777).toBe(0o600);
    const trace = join(d, 'old.pftrace');
    writeFileSync(trace, 'x');
    chmodSync(trace, 0o644);
    expect(ktape(['export', join(FIXTURES, 'leak'), '--perfetto', trace, '-q']).status).toBe(0);
    expect(statSync(trace).mode & 0o777).toBe(0o600);
  });
});
