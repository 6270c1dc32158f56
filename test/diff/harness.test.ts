/**
 * The diff-test harness itself: the captures it builds are valid and of the format asked for, and the
 * API and CLI paths give the same CSV.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, tmp } from '../helpers.js';
import { readBoth } from '../second-reader.js';
import { cliQueryCsv, gap, normalizeCsv, queryCsv, sw, writeCapture } from './harness.js';

const root = tmp('ktape-diff-harness-');
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const dir = () => join(root, `cap${n++}`);

const tables = {
  sched_switch: [sw(1000, 0, 0, 10, 0), sw(5000, 0, 20, 0, 1)],
  losses: [gap(0, 1000, 5000, { resume_ts: 3000, resume_tid: 20 })],
  task_newtask: [{ ts: 500, cpu: 0, parent_tid: 1, parent_tgid: 1, child_tid: 10, child_tgid: 10, clone_flags: 17, comm: 'with, "quotes"' }],
};

describe('capture builder', () => {
  it('the current format: every table file, read by Polars, holds the rows of the manifest, with every column', async () => {
    const d = dir();
    writeCapture(d, { manifest: { start_ts: 0, end_ts: 10_000 }, tables });
    const { manifest, files } = readBoth(d);
    const { FORMAT_VERSION } = await import(join(ROOT, 'dist/formats/schema.js'));
    expect(manifest.format_version).toBe(FORMAT_VERSION);
    const byFile = new Map(files.map((f) => [f.file, f]));
    for (const [t, { rows, files: fs }] of Object.entries(manifest.tables as Record<string, { rows: number; files: string[] }>)) {
      expect(fs, t).toEqual([`${t}.0000.arrows`]);
      expect(byFile.get(fs[0])!.polars, t).toBe(rows);
      expect(byFile.get(fs[0])!.ktape, t).toBe(rows);
    }
    expect(manifest.tables.sched_switch.rows).toBe(2);
    // from format 1.9 on the waits are on the switch rows and the sleeps on the wakeups: no sched_wait table
    expect(byFile.has('sched_wait.0000.arrows')).toBe(false);
    expect(manifest.options).toMatchObject({ sched_wait: false, paired_waits: true });
    expect(byFile.get('losses.0000.arrows')!.columns).toContain('resume_wait_from');
    expect(byFile.get('sched_switch.0000.arrows')!.columns).toEqual(expect.arrayContaining(['next_flags', 'next_wait_ns']));
    expect(byFile.get('sched_waking.0000.arrows')!.columns).toEqual(expect.arrayContaining(['slept_state', 'slept_ns']));
  });

  it('format 1.0: the columns and tables of 1.0 only (no resume_*, next_flags, sched_wait)', () => {
    const d = dir();
    writeCapture(d, { format: '1.0', manifest: { start_ts: 0, end_ts: 10_000 }, tables: { ...tables, losses: [gap(0, 1000, 5000)] } });
    const { manifest, files } = readBoth(d);
    expect(manifest.format_version).toBe('1.0');
    expect(manifest.options.sched_wait).toBeUndefined();
    const byFile = new Map(files.map((f) => [f.file, f]));
    expect(byFile.has('sched_wait.0000.arrows')).toBe(false);
    expect(byFile.get('losses.0000.arrows')!.columns).toEqual(['cpu', 'kind', 'count', 'ts_start', 'ts_end', 'reason']);
    expect(byFile.get('sched_switch.0000.arrows')!.columns).not.toContain('next_flags');
    expect(byFile.get('losses.0000.arrows')!.polars).toBe(1);
    // the schema says which version wrote it, as a 1.0 recorder's did
    expect(readFileSync(join(d, 'losses.0000.arrows')).includes(Buffer.from('ktape.format_version'))).toBe(true);
  });

  it('format 1.1: resume_ts but not the 1.2 columns', () => {
    const d = dir();
    writeCapture(d, { format: '1.1', tables: { losses: [gap(0, 1000, 5000, { resume_ts: 3000 })] } });
    const cols = readBoth(d).files.find((f) => f.file === 'losses.0000.arrows')!.columns;
    expect(cols).toContain('resume_ts');
    expect(cols).not.toContain('resume_tid');
  });

  it('refuses a column the table does not have, a table the format does not have, and a bad manifest', () => {
    expect(() => writeCapture(dir(), { tables: { sched_switch: [{ ts: 1, cpu: 0, next_pid: 3 }] } })).toThrow(/no column next_pid/);
    expect(() => writeCapture(dir(), { format: '1.0', tables: { sched_wait: [{ ts: 1 }] } })).toThrow(/not in format 1.0/);
    expect(() => writeCapture(dir(), { tables: { sched_wait: [{ ts: 1 }] } })).toThrow(/not in format 1.9 .*until 1.8/);
    expect(() => writeCapture(dir(), { manifest: { start_ts: 10, end_ts: 5 } })).toThrow(/end_ts/);
  });
});

describe('query paths', () => {
  it('openCapture + toCsv and `ktape query --csv` give the same CSV (nulls, booleans, quoted strings)', async () => {
    const d = dir();
    writeCapture(d, { manifest: { start_ts: 0, end_ts: 10_000 }, tables });
    const sql = 'SELECT s.ts, s.tid, s.end_state, s.inferred, t.comm FROM sched_slices s LEFT JOIN threads t USING (tid) ORDER BY s.ts';
    const api = await queryCsv(d, sql);
    expect(api).toBe(cliQueryCsv(d, sql));
    expect(normalizeCsv(api)).toBe(
      normalizeCsv(`
      ts,tid,end_state,inferred,comm
      0,0,R,false,
      1000,10,,false,"with, ""quotes"""
      3000,20,S,true,
      5000,0,,false,`),
    );
  });

  it('the CLI path fails loudly on a bad query', () => {
    const d = dir();
    writeCapture(d, { tables });
    expect(() => cliQueryCsv(d, 'SELECT nope FROM sched_slices')).toThrow(/exited 1/);
  });
});
