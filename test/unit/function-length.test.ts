/**
 * House style: short functions. No function in the recorder, the analyzer,
 * the exporters or the families is longer than 80 lines (measured with the
 * TypeScript parser by scripts/fn-lengths.mjs).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

describe('function length', () => {
  it('no function over 80 lines in record/, analyze/, export/ or families/', () => {
    const out = execFileSync(process.execPath, [join(ROOT, 'scripts/fn-lengths.mjs'), '--max', '80', '--json', 'record', 'analyze', 'export', 'families'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual([]);
  });
});
