/**
 * Leak check against the live kernel: N pipes created while recording and
 * held open past its end must show up in `ktape analyze leaks` as >= N
 * allocations under a stack through the pipe-creation path; closing them
 * before the end must leave none from that stack.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD } from '../helpers.js';

const skipOutsideCI = privilegedSkipReason();
const N = 200;
const PIPE_FRAMES = /^(create_pipe_files|do_pipe2|__do_pipe_flags)$/;

function pipeStacks(dir: string, pid: number) {
  const r = ktape(['analyze', dir, 'leaks', '--json', '--top', '1000', '--pid', String(pid)]);
  expect(r.status, r.stderr).toBe(0);
  const rep = JSON.parse(r.stdout);
  // the pipe's own allocations: made by alloc_pipe_info (pipe_inode_info and its buffer array), under pipe2()
  return rep.stacks.filter((s: any) => s.call_site_symbol === 'alloc_pipe_info' && s.frames.some((f: string) => PIPE_FRAMES.test(f)));
}

function record(durationS: number, holdMs: number) {
  const dir = join(tmp('ktape-leak-'), 'cap');
  const r = ktape([
    'record',
    '-q',
    '-o',
    dir,
    '--events',
    'kmem,task,sched',
    '--duration',
    String(durationS),
    '--',
    WORKLOAD,
    'hold-pipes',
    String(N),
    String(holdMs),
  ]);
  expect(r.status, r.stderr).toBe(0);
  const wl = JSON.parse(
    r.stdout
      .trim()
      .split('\n')
      .find((l) => l.includes('hold-pipes'))!,
  );
  return { dir, pid: wl.pid as number };
}

describe.skipIf(skipOutsideCI)('analyze leaks: live pipes', () => {
  it(`${N} pipes held open across the end of the recording are outstanding under alloc_pipe_info`, () => {
    const { dir, pid } = record(1, 2500);
    const stacks = pipeStacks(dir, pid);
    const count = stacks.reduce((a: number, s: any) => a + s.count, 0);
    expect(count).toBeGreaterThanOrEqual(N);
    const folded = ktape(['analyze', dir, 'leaks', '--folded', '--pid', String(pid)]).stdout;
    expect(folded).toMatch(/create_pipe_files;alloc_pipe_info/);
  });
  it('the same pipes closed before the end leave none from that stack', () => {
    const { dir, pid } = record(3, 200);
    expect(pipeStacks(dir, pid)).toEqual([]);
    // and the allocations were seen (the test would pass vacuously otherwise)
    const r = ktape([
      'query',
      dir,
      "SELECT count(*) AS n FROM allocations WHERE tgid = $1 AND call_site_symbol = 'alloc_pipe_info'".replace('$1', String(pid)),
      '--json',
    ]);
    expect(JSON.parse(r.stdout)[0].n).toBeGreaterThanOrEqual(N);
  });
});
