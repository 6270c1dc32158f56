/**
 * Compressed captures read exactly as uncompressed ones (issue 10, goal 4), and a damaged compressed
 * buffer is untrusted input like any other: the fixtures' table files are rewritten with each codec by
 * the recorder's own StreamFile, then every reading command runs through the built CLI.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, ktape, tmp } from '../helpers.js';
import { bodyCodecs } from '../second-reader.js';
import type * as WriterModule from '../../record/writer.js';
import type * as ReaderModule from '../../formats/reader.js';

const W = (await import(join(ROOT, 'dist/record/writer.js'))) as typeof WriterModule;
const R = (await import(join(ROOT, 'dist/formats/reader.js'))) as typeof ReaderModule;

/** A copy of a fixture whose every table file is rewritten, batch for batch, with `codec`. */
function recompressed(fixture: string, codec: 'zstd' | 'lz4'): string {
  const dir = join(tmp('ktape-compressed-'), 'cap');
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  const sink = new W.CaptureSink(dir, codec);
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.arrows'))) {
    const path = join(dir, f);
    const batches = [...R.iterStreamFile(path)];
    const schema = batches[0]?.schema;
    if (!schema) continue; // a table without batches keeps its file
    rmSync(path);
    const out = new W.StreamFile(path, schema, sink);
    for (const b of batches) out.write(b);
    out.close(false);
  }
  return dir;
}

const REPORTS = [['analyze', '--json'], ['analyze', 'syscalls', '--json'], ['analyze', 'sched-latency', '--json'], ['tables']];
const run = (dir: string, args: string[]) => {
  const r = ktape([args[0], dir, ...args.slice(1)], { timeout: 120_000 });
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout.split(dir).join('<dir>');
};

describe('compressed captures', () => {
  for (const codec of ['zstd', 'lz4'] as const) {
    it(`the demo fixture rewritten with ${codec}: smaller files, the same answers as the original`, () => {
      const dir = recompressed('demo', codec);
      expect(bodyCodecs(join(dir, 'sched_switch.0000.arrows'))).toEqual(new Set([codec]));
      const size = (d: string, f: string) => readFileSync(join(d, f)).length;
      expect(size(dir, 'sched_switch.0000.arrows')).toBeLessThan(size(join(FIXTURES, 'demo'), 'sched_switch.0000.arrows') / 2);
      for (const args of REPORTS) expect(run(dir, args), args.join(' ')).toBe(run(join(FIXTURES, 'demo'), args));
    });
  }

  /** the first compressed buffer of the first batch of a file: [prefix offset, frame length] */
  function firstBuffer(file: string): { prefix: number; frame: number } {
    const b = readFileSync(file);
    const schemaEnd = 8 + b.readInt32LE(4);
    const meta = 8 + b.readInt32LE(schemaEnd + 4);
    // the body starts after the batch's metadata; its first non-empty buffer (ts values) begins there
    return { prefix: schemaEnd + meta, frame: Number(b.readBigInt64LE(schemaEnd + meta)) };
  }

  const damage: [string, (b: Buffer, at: number) => void][] = [
    ['a declared length far past what the rows need', (b, at) => b.writeBigInt64LE(1n << 40n, at)],
    ['a declared length one byte short', (b, at) => b.writeBigInt64LE(b.readBigInt64LE(at) - 1n, at)],
    ['a flipped byte inside the frame', (b, at) => (b[at + 20] ^= 0xff)],
    ['a destroyed frame header', (b, at) => b.fill(0xaa, at + 8, at + 16)],
  ];
  for (const codec of ['zstd', 'lz4'] as const) {
    for (const [what, hurt] of damage) {
      it(`${codec}, ${what}: every reading command ends 0 or 2, names the file, no crash`, () => {
        const dir = recompressed('tiny', codec);
        const file = join(dir, 'sched_switch.0000.arrows');
        const b = readFileSync(file);
        hurt(b, firstBuffer(file).prefix);
        writeFileSync(file, b);
        for (const args of [['analyze'], ['query', 'SELECT count(*) FROM sched_slices'], ['export', '--perfetto', join(tmp(), 't.pftrace')]]) {
          const r = ktape([args[0], dir, ...args.slice(1)], { timeout: 60_000 });
          expect([0, 2], `${args[0]}: ${r.stderr}`).toContain(r.status);
          expect(r.stderr).toMatch(/sched_switch\.0000\.arrows/);
          expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
        }
        // the damaged batch's rows are counted as missing, not silently dropped
        const q = ktape(['query', dir, "SELECT count FROM losses WHERE kind = 'sched_switch' AND reason = 'truncated'", '--json']);
        expect(JSON.parse(q.stdout)[0]?.count, q.stderr).toBeGreaterThan(0);
      });
    }
  }
});
