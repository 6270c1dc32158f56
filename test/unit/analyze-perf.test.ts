/**
 * The performance paths of the analyzer give the same answers as the plain
 * views: the _runnable shortcut (sched-latency) equals thread_state's R/R+
 * rows, and a --db database (stored thread_state, sched_slices with _migrated,
 * _runnable table) gives the same reports as an in-memory load.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, ROOT, tmp } from '../helpers.js';

const api = () => import(join(ROOT, 'dist/analyze/db.js'));
const reports = () => import(join(ROOT, 'dist/analyze/reports/index.js'));
// demo, leak and cmp-* are format 1.0 captures (_runnable derived from the raw events); waits is 1.2
// (_runnable = the waits paired in the kernel, sched_wait)
const CAPTURES = ['demo', 'leak', 'cmp-base', 'cmp-new', 'waits'];

const RUNNABLE_FROM_STATES = `SELECT ts, dur, end_ts, tid, tgid, state = 'R' AND waker_tid IS NOT NULL AS wake
  FROM thread_state WHERE state IN ('R', 'R+') AND NOT clipped`;

async function diffCount(cap: any, a: string, b: string): Promise<number[]> {
  const [x] = await cap.query(`SELECT count(*) AS n FROM (${a} EXCEPT ALL ${b})`);
  const [y] = await cap.query(`SELECT count(*) AS n FROM (${b} EXCEPT ALL ${a})`);
  return [Number(x.n), Number(y.n)];
}

describe('analyze performance paths', () => {
  it('waits: the recorder pairs every wait the raw events show (same start, end and kind) and flags every migration', async () => {
    const { openCapture } = await api();
    const { hasPairedWaits } = await import(join(ROOT, 'dist/families/sched/paired.js'));
    const cap = await openCapture(join(FIXTURES, 'waits'));
    try {
      expect(hasPairedWaits(cap.manifest)).toBe(true);
      const [{ n }] = await cap.query('SELECT count(*) AS n FROM _sched_wait');
      expect(Number(n)).toBeGreaterThan(1000);
      const cols = 'SELECT ts, dur, end_ts, tid, wake FROM';
      expect(await diffCount(cap, `${cols} _runnable_paired`, `${cols} _runnable_derived`)).toEqual([0, 0]);
      // migrations flagged by the recorder = CPU changes between a thread's slices (for the threads that
      // never resumed at a switch the kernel did not report: the recorder did not see those runs; idle, tid 0,
      // is one task per CPU)
      const mig = `SELECT cpu, ts, tid, _migrated FROM % WHERE tid <> 0 AND tid NOT IN (SELECT tid FROM sched_slices WHERE inferred)`;
      expect(await diffCount(cap, mig.replace('%', '_sched_slices_mig_paired'), mig.replace('%', '_sched_slices_mig_derived'))).toEqual([0, 0]);
      const [{ m }] = await cap.query('SELECT count(*) AS m FROM _sched_slices_mig_paired WHERE _migrated');
      expect(Number(m)).toBeGreaterThan(0);
    } finally {
      cap.close();
    }
  });

  for (const name of CAPTURES) {
    it(`${name}: _runnable = thread_state R/R+ rows; --db reports = in-memory reports`, async () => {
      const { openCapture } = await api();
      const { runReport, reportSkips } = await reports();
      const dir = join(FIXTURES, name);
      const mem = await openCapture(dir);
      const db = await openCapture(dir, { db: join(tmp(), `${name}.duckdb`) });
      try {
        for (const cap of [mem, db]) {
          const [{ n }] = await cap.query('SELECT count(*) AS n FROM _runnable');
          expect(Number(n)).toBeGreaterThan(0);
          expect(await diffCount(cap, 'SELECT ts, dur, end_ts, tid, tgid, wake FROM _runnable', RUNNABLE_FROM_STATES)).toEqual([0, 0]);
        }
        // the plain view on the in-memory database against the stored table
        const v = (await mem.query('SELECT * FROM _runnable ORDER BY ts, tid, dur')).map((r: any) => JSON.stringify(r));
        const t = (await db.query('SELECT * FROM _runnable ORDER BY ts, tid, dur')).map((r: any) => JSON.stringify(r));
        expect(t).toEqual(v);
        for (const [rep, extra] of [
          ['cpu', {}],
          ['cpu', { by: 'process' }],
          ['cpu', { by: 'comm' }],
          ['sched-latency', {}],
          ['sched-latency', { comm: '.' }],
          ['offcpu', {}],
        ] as const) {
          const o = (cap: any) => ({ since: cap.startTs, until: cap.endTs, top: 1000, by: 'thread', ...extra });
          const a = await runReport(rep, mem, o(mem));
          const b = await runReport(rep, db, o(db));
          expect(JSON.stringify(b), `${rep} ${JSON.stringify(extra)}`).toEqual(JSON.stringify(a));
          // the CLI's cold load of only the tables the report reads
          const cold = await openCapture(dir, { skipTables: reportSkips(rep, mem.manifest) });
          try {
            const c = await runReport(rep, cold, o(cold));
            expect(JSON.stringify(c), `${rep} ${JSON.stringify(extra)} (tables skipped)`).toEqual(JSON.stringify(a));
          } finally {
            cold.close();
          }
        }
      } finally {
        mem.close();
        db.close();
      }
    });
  }
});
