/** Read capture files with a second Arrow implementation, Polars (Rust, through nodejs-polars). */
import { expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { iterStreamFile } from '../dist/formats/reader.js';

/** rows per file as Polars and as ktape read them, and the manifest's rows per table */
export function readBoth(dir: string) {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const out: { file: string; polars: number; ktape: number; columns: string[] }[] = [];
  for (const f of readdirSync(dir)
    .filter((x) => x.endsWith('.arrows'))
    .sort()) {
    const df = pl.readIPCStream(readFileSync(join(dir, f)));
    let rows = 0;
    const st = { value: false };
    for (const b of iterStreamFile(join(dir, f), st)) rows += b.numRows;
    expect(st.value, `${f}: ktape's reader calls it damaged`).toBe(false);
    out.push({ file: f, polars: df.height, ktape: rows, columns: df.columns });
  }
  return { manifest, files: out };
}
