/** The TS decoder's offsets are generated from bpf/events.h; this fails if they drift. */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../helpers.js';
import { TABLES } from '../../dist/formats/schema.js';

describe('wire format', () => {
  it('formats/gen/events.gen.ts matches bpf/events.h', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-events.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
  // 1.8 wrote 24 bytes a switch plus a 24-byte sched_wait row per wait; from 1.9 the wait rides on the switch row
  it('sched_switch rows, their paired wait included, are at most 32 bytes uncompressed', () => {
    const w: Record<string, number> = { i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8, f64: 8 };
    const t = TABLES.find((x) => x.name === 'sched_switch')!;
    const bytes = t.columns.reduce((a, c) => a + w[c.type], 0);
    expect(bytes).toBeLessThanOrEqual(32);
  });
});

describe('capture format doc', () => {
  it('formats/capture.md documents every table and column of formats/schema.ts', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/gen-capture-doc.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
