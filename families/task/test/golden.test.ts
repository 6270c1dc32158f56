/**
 * The tasks report's exit accounting on the exit-acct fixture (fixtures/README.md), unprivileged: a golden
 * JSON (review every change; rewrite with UPDATE_GOLDEN=1 npx vitest run families/task/test/golden.test.ts),
 * held to each child's wait4 rusage as the workload printed it (fixtures/exit-acct.workload.json; the bounds
 * in ./rusage.ts). Older captures (the demo fixture, format 1.0; io, format 1.5) still load: their exits
 * have the accounting columns null, and the report says so in one note.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, ROOT, fixtureWorkload, ktape, expectGolden, analyzeOk } from '../../../test/helpers.js';
import { expectRusage } from './rusage.js';

const EXPECTED = join(ROOT, 'families/task/test/expected/analyze-exit-acct.tasks.json');

const run = (fixture: string, ...args: string[]) => analyzeOk(join(FIXTURES, fixture), 'tasks', ...args);

describe('tasks report: exit accounting on the exit-acct fixture', () => {
  const wl = fixtureWorkload('exit-acct');

  it('--json matches the golden file (the workload and its children: the capture has every exit on the machine)', () => {
    const got = JSON.parse(run('exit-acct', '--json', '--comm', '^kt-acct$'));
    expectGolden(EXPECTED, got);
  });

  it("each child's row agrees with its wait4 rusage", () => {
    const procs = JSON.parse(run('exit-acct', '--json', '--comm', '^kt-acct$')).process_accounting;
    for (const c of wl.children)
      expectRusage(
        c,
        procs.find((p: any) => p.tgid === c.pid),
      );
  });

  it('the human table shows nice, policy and the switches of the SCHED_BATCH child', () => {
    const c = wl.children[1];
    const out = run('exit-acct', '--pid', String(c.pid));
    expect(out).toContain('Processes at their last thread');
    expect(out).toMatch(new RegExp(`\\n\\s*${c.pid}\\s+kt-acct\\s+1\\s+120\\s+0\\s+batch\\s+`));
  });
});

describe('tasks report on captures older than format 1.7', () => {
  for (const [fixture, version] of [
    ['demo', '1.0'],
    ['io', '1.5'],
  ]) {
    it(`${fixture} (format ${version}): exits load with the accounting null; one note, no accounting section`, () => {
      const q = ktape([
        'query',
        join(FIXTURES, fixture),
        'SELECT count(*) AS exits, count(nvcsw) AS with_acct, count(vm_pages) AS with_vm FROM _task_exit',
        '--json',
      ]);
      expect(q.stderr).toBe('');
      const [r] = JSON.parse(q.stdout);
      expect(r.exits).toBeGreaterThan(0);
      expect([r.with_acct, r.with_vm]).toEqual([0, 0]);
      const j = JSON.parse(run(fixture, '--json'));
      expect(j.notes).toEqual([
        `this capture (format ${version}) has no exit accounting (prio, nice, policy, switches, faults, times, RSS): it needs format 1.7; record it again`,
      ]);
      expect(j.process_accounting).toBeUndefined();
      expect(run(fixture, '--csv')).not.toContain('process_accounting');
    });
  }
});
