/**
 * Captures stand alone: every table file of every fixture reads in a second Arrow implementation,
 * Polars (Rust, through nodejs-polars), independent of apache-arrow's JS reader and of ktape's own
 * (formats/ipc.ts), with the same row counts as ktape's reader and the manifest's. The privileged
 * suite checks a fresh recording the same way (test/privileged/second-reader.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers.js';
import { readBoth } from '../second-reader.js';

const fixtures = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);

describe('a second Arrow implementation (Polars) reads every fixture', () => {
  for (const fx of fixtures) {
    it(fx, () => {
      const { manifest, files } = readBoth(join(FIXTURES, fx));
      expect(files.length).toBeGreaterThan(10);
      for (const f of files) {
        expect(f.polars, f.file).toBe(f.ktape);
        const table = f.file.replace(/\.\d{4}\.arrows$/, '');
        const want = manifest.tables?.[table]?.rows;
        if (want >= 0 && manifest.tables[table].files.length === 1) expect(f.polars, f.file).toBe(want);
        expect(f.columns.length, f.file).toBeGreaterThan(1);
      }
    });
  }
});
