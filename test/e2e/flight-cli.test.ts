/**
 * `ktape record --ring/--trigger/--rotate` flag errors, through the built CLI: one line naming the flag, exit 2,
 * before anything touches the kernel (so they hold unprivileged too). The recordings themselves are in
 * test/privileged/flight.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, tmp } from '../helpers.js';

const BAD: [string[], RegExp][] = [
  [['--ring', '5s', '--trigger', 'syscall>>2'], /^ktape: --trigger syscall>>2: expected syscall\[:NAME\]>DURATION/],
  [['--ring', '5s', '--trigger', 'syscall 200ms'], /^ktape: --trigger syscall 200ms: expected NAME\[:ARG\]/],
  [['--ring', '5s', '--trigger', 'nosuch>1s'], /^ktape: --trigger nosuch>1s: unknown condition nosuch \(one of exit, runq, syscall, oom\)/],
  [['--ring', '5s', '--trigger', 'syscall>fast'], /^ktape: --trigger syscall>fast: expected syscall\[:NAME\]>DURATION/],
  [['--ring', '5s', '--trigger', 'syscall:nosuchcall>1s'], /^ktape: --trigger syscall:nosuchcall>1s: no syscall named nosuchcall/],
  [['--ring', '5s', '--trigger', 'runq:x>1ms'], /^ktape: --trigger runq:x>1ms: expected runq>DURATION/],
  [['--ring', '5s', '--trigger', 'exit>1'], /^ktape: --trigger exit>1: expected exit!=0, exit:signal or exit:SIGNAME/],
  [['--ring', '5s', '--trigger', 'exit:SIGNOPE'], /^ktape: --trigger exit:SIGNOPE: expected exit!=0/],
  [['--ring', '5s', '--trigger', 'oom>1'], /^ktape: --trigger oom>1: expected oom/],
  [['--ring', '5s', '--trigger', 'exit!=0,comm=waytoolongforacomm'], /^ktape: --trigger exit!=0,comm=waytoolongforacomm: expected NAME/],
  [['--ring', '5x'], /^ktape: --ring 5x: expected a duration like 30s or 10m, or a size like 512MB or 2GB/],
  [['--ring', '10ms'], /^ktape: --ring 10ms: at least 0.5s/],
  [['--ring', '100KB'], /^ktape: --ring 100KB: at least 1MB/],
  [['--trigger', 'oom'], /^ktape: --trigger: only with --ring/],
  [['--trigger-after', '1s'], /^ktape: --trigger-after: only with --ring/],
  [['--ring', '5s', '--trigger-after', 'soon'], /^ktape: --trigger-after soon: expected a duration/],
  [['--keep', '3'], /^ktape: --keep: only with --rotate/],
  [['--rotate', '1m', '--keep', '0'], /^ktape: --keep 0: /],
  [['--ring', '5s', '--rotate', '1m'], /^ktape: --ring and --rotate: choose one/],
  [['--rotate', '1m', '--max-size', '100'], /^ktape: --max-size: not with --ring or --rotate/],
];

describe('record --ring/--trigger/--rotate: bad flags', () => {
  for (const [args, re] of BAD)
    it(`${args.join(' ')}`, () => {
      const out = join(tmp(), 'cap');
      const r = ktape(['record', '-o', out, ...args, '--duration', '1']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n').length).toBe(1);
      expect(existsSync(out)).toBe(false);
    });

  it('--help lists the trigger conditions of every family, flight recorder examples and the dump at the stop', () => {
    const r = ktape(['record', '--help']);
    expect(r.status).toBe(0);
    for (const s of [
      'syscall[:NAME]>DURATION',
      'runq>DURATION',
      'exit!=0',
      'exit:signal',
      'oom',
      '--ring 30s --trigger',
      '--rotate 1h --keep',
      'when recording stops',
      'when it exits or on Ctrl-C',
    ])
      expect(r.stdout).toContain(s);
  });
});
