/**
 * Golden tests: fixture + report → expected JSON (test/golden/expected/).
 * Review every change of an expected file. Rewrite them with
 *   UPDATE_GOLDEN=1 npx vitest run test/golden/analyze.test.ts
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, ktape } from '../helpers.js';

const EXPECTED = join(ROOT, 'test/golden/expected');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const CASES: [string, string[]][] = [
  ['demo', ['summary']],
  ['demo', ['cpu']],
  ['demo', ['cpu', '--by', 'process']],
  ['demo', ['cpu', '--by', 'comm', '--top', '5']],
  ['demo', ['sched-latency']],
  ['demo', ['syscalls', '--hist', '--top', '5']],
  ['demo', ['syscalls', '--comm', '^kt-', '--since', '40ms', '--until', '100ms']],
  ['demo', ['tasks']],
  ['demo', ['offcpu', '--top', '10']],
  ['demo', ['switches', '--top', '10']],
  ['demo', ['leaks', '--top', '5']],
  ['leak', ['leaks', '--top', '5']],
  ['leak', ['leaks', '--min-age', '900ms', '--top', '3']],
  ['leak', ['summary']],
  ['cmp-base', ['cpu', '--pid', '0', '--top', '3']],
];

/** Machine-specific bits (absolute fixture path) are normalized away. */
function normalize(text: string): unknown {
  return JSON.parse(text.split(FIXTURES).join('<FIXTURES>'));
}

describe('golden: ktape analyze --json on fixtures', () => {
  for (const [fixture, args] of CASES) {
    const name = `analyze-${fixture}.${args.join('_').replace(/[^a-zA-Z0-9_.-]+/g, '')}.json`;
    it(`${fixture}: ${args.join(' ')}`, () => {
      const r = ktape(['analyze', join(FIXTURES, fixture), ...args, '--json']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const got = normalize(r.stdout);
      const file = join(EXPECTED, name);
      if (UPDATE || !existsSync(file)) {
        if (!UPDATE) throw new Error(`${file} missing: run with UPDATE_GOLDEN=1 and review it`);
        writeFileSync(file, `${JSON.stringify(got, null, 2)}\n`);
      }
      expect(got).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});

describe('golden: views on the demo fixture', () => {
  const q = (sql: string) => {
    const r = ktape(['query', join(FIXTURES, 'demo'), sql, '--json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout);
  };
  const VIEWS: [string, string][] = [
    ['threads', 'SELECT * FROM threads WHERE NOT from_snapshot ORDER BY tid'],
    ['processes', 'SELECT * FROM processes WHERE NOT from_snapshot ORDER BY tgid'],
    [
      'sched_slices',
      'SELECT cpu, tid, tgid, count(*) AS n, sum(dur) AS dur, list(DISTINCT end_state ORDER BY end_state) AS states FROM sched_slices GROUP BY ALL ORDER BY cpu, tid',
    ],
    [
      'thread_state',
      'SELECT tid, state, count(*) AS n, sum(dur) AS dur FROM thread_state WHERE tgid = (SELECT workload_tgid FROM capture) GROUP BY ALL ORDER BY tid, state',
    ],
    [
      'syscalls',
      'SELECT tid, name, count(*) AS n, count(ts) AS with_entry, count(end_ts) AS with_exit, sum(dur) AS dur, count(*) FILTER (WHERE failed) AS errors FROM syscalls GROUP BY ALL ORDER BY tid, name',
    ],
    [
      'allocations',
      'SELECT kind, call_site_symbol, count(*) AS n, sum(bytes) AS bytes, count(*) FILTER (WHERE outstanding) AS outstanding, count(free_ts) AS freed FROM allocations GROUP BY ALL ORDER BY kind, call_site_symbol',
    ],
    ['stacks', 'SELECT stack_id, depth, folded FROM stacks ORDER BY stack_id LIMIT 40'],
    ['losses', 'SELECT * FROM losses ORDER BY ts_start, cpu'],
    ['task_events', 'SELECT * FROM task_events ORDER BY ts, tid, event'],
    ['wakeups', 'SELECT tid, waker_tid, count(*) AS n FROM wakeups WHERE tgid = (SELECT workload_tgid FROM capture) GROUP BY ALL ORDER BY tid, waker_tid'],
  ];
  for (const [name, sql] of VIEWS) {
    it(`view ${name}`, () => {
      const got = q(sql);
      const file = join(EXPECTED, `analyze-demo.view.${name}.json`);
      if (UPDATE) writeFileSync(file, `${JSON.stringify(got, null, 2)}\n`);
      expect(got).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    });
  }
});
