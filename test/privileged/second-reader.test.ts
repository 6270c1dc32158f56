/**
 * A fresh recording reads in a second Arrow implementation (Polars), every table file, with the row
 * counts of ktape's reader and of the manifest: the capture format stands alone.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD } from '../helpers.js';
import { readBoth } from '../second-reader.js';

// skips only outside CI, saying why; under CI=true privilegedSkipReason() fails instead
const skipOutsideCI = privilegedSkipReason();

describe.skipIf(skipOutsideCI !== null)('a fresh recording reads in Polars', () => {
  it('every table file, same rows as ktape and the manifest', () => {
    const dir = join(tmp(), 'cap');
    const r = ktape(
      [
        'record',
        '-q',
        '-o',
        dir,
        '--kallsyms',
        'used',
        '--',
        WORKLOAD,
        'demo',
        '--ms',
        '50',
        '--children',
        '2',
        '--syscalls',
        '500',
        '--pingpong',
        '300',
        '--pipes',
        '20',
        '--workers',
        '1',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    expect(r.status, r.stderr).toBe(0);
    const { manifest, files } = readBoth(dir);
    expect(files.length).toBeGreaterThan(15);
    let events = 0;
    for (const f of files) {
      expect(f.polars, f.file).toBe(f.ktape);
      const table = f.file.replace(/\.\d{4}\.arrows$/, '');
      const want = manifest.tables[table].rows;
      if (want >= 0) {
        expect(f.polars, f.file).toBe(want);
        events += want;
      }
    }
    expect(events).toBeGreaterThan(1000);
  });
});
