/**
 * record/outdir.ts writevAll: every chunk lands in order, empty chunks (a batch's absent validity buffer, an empty
 * body) are skipped, and a write of nothing is no write rather than a false "no space left" (writev returns 0 for it).
 */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const mod = () => import(join(ROOT, 'dist/record/outdir.js'));
const dir = mkdtempSync(join(tmpdir(), 'ktape-writev-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function written(name: string, write: (fd: number) => void): number[] {
  const path = join(dir, name);
  const fd = openSync(path, 'wx', 0o600);
  try {
    write(fd);
  } finally {
    closeSync(fd);
  }
  return [...readFileSync(path)];
}

describe('writevAll', () => {
  it('writes the chunks in order, skipping empty ones anywhere', async () => {
    const { writevAll } = await mod();
    const e = new Uint8Array(0);
    const got = written('mixed', (fd) => writevAll(fd, [e, Uint8Array.of(1, 2), e, e, Uint8Array.of(3), e]));
    expect(got).toEqual([1, 2, 3]);
  });

  it('a list of nothing but empty chunks, or no chunk at all, writes nothing and does not fail', async () => {
    const { writevAll, writeAll } = await mod();
    const e = new Uint8Array(0);
    expect(written('empty', (fd) => writevAll(fd, [e, e]))).toEqual([]);
    expect(written('none', (fd) => writevAll(fd, []))).toEqual([]);
    expect(written('one-empty', (fd) => writeAll(fd, e))).toEqual([]);
  });

  it('more chunks than one writev takes (IOV_MAX) all land', async () => {
    const { writevAll } = await mod();
    const chunks = Array.from({ length: 2500 }, (_, i) => Uint8Array.of(i & 0xff));
    const got = written('many', (fd) => writevAll(fd, chunks));
    expect(got.length).toBe(2500);
    expect(got.every((b, i) => b === (i & 0xff))).toBe(true);
  });
});
