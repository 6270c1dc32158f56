/** Read capture files with a second Arrow implementation, Polars (Rust, through nodejs-polars). */
import { expect } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { iterStreamFile } from '../dist/formats/reader.js';
import { Header, parseMessage } from '../dist/formats/ipc.js';

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

/** The body codecs of a stream file's batches, read from each message's BodyCompression ('none': uncompressed). */
export function bodyCodecs(path: string): Set<string> {
  const b = readFileSync(path);
  const out = new Set<string>();
  for (let pos = 0; pos + 8 <= b.length; ) {
    const len = b.readInt32LE(pos + 4);
    if (len === 0) break;
    const m = parseMessage(b.subarray(pos + 8, pos + 8 + len));
    if (m.header === Header.RecordBatch) {
      const c = m.fb.table(m.table, 3);
      out.add(c ? ['lz4', 'zstd'][m.fb.scalar(c, 0, m.fb.u8, 0)] : 'none');
    }
    pos += 8 + len + m.bodyLength;
  }
  return out;
}
