/**
 * openCapture / CaptureDb public API, view documentation, parameter binding,
 * the --db cache and its invalidation, CLI query/tables/convert.
 */
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, readdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ROOT, ktape, tmp } from '../helpers.js';

const api = () => import(join(ROOT, 'dist/analyze/db.js'));
const common = () => import(join(ROOT, 'dist/analyze/reports/common.js'));
const DEMO = join(FIXTURES, 'demo');
const wl = JSON.parse(readFileSync(join(FIXTURES, 'demo.workload.json'), 'utf8').split('\n')[0]);

describe('openCapture', () => {
  it('loads every table, exposes the documented views, binds parameters', async () => {
    const { openCapture } = await api();
    const cap = await openCapture(DEMO);
    try {
      expect(cap.loaded.rows.sched_switch).toBeGreaterThan(1000);
      expect(cap.endTs).toBeGreaterThan(cap.startTs);
      // every documented column exists, in order, and nothing undocumented
      for (const v of cap.views()) {
        const cols = (await cap.describe(`SELECT * FROM ${v.name}`)).map((c: any) => c.name);
        expect(cols, v.name).toEqual(v.columns.map((c: any) => c.name));
        expect(v.doc.length, v.name).toBeGreaterThan(10);
        for (const c of v.columns) expect(c.doc.length, `${v.name}.${c.name}`).toBeGreaterThan(2);
      }
      // parameters: an injection attempt is just a string that matches nothing
      const evil = await cap.query('SELECT count(*) AS n FROM threads WHERE comm = $1', ["x' OR '1'='1"]);
      expect(evil[0].n).toBe(0);
      const named = await cap.query('SELECT comm FROM threads WHERE tid = $tid', { tid: wl.workers[0].tid });
      expect(named[0].comm).toBe(wl.workers[0].comm);
      // kernel addresses stay exact (bigint), small integers are numbers
      const [a] = await cap.query('SELECT ptr, bytes FROM allocations LIMIT 1');
      expect(typeof a.ptr).toBe('bigint');
      expect(typeof a.bytes).toBe('number');
      // iterate streams in batches
      let n = 0;
      for await (const batch of cap.iterate('SELECT * FROM syscalls')) n += batch.length;
      const [{ c }] = await cap.query('SELECT count(*) AS c FROM syscalls');
      expect(n).toBe(c);
    } finally {
      cap.close();
    }
  });

  it('syscall names come from the capture host table; pairs enter/exit', async () => {
    const { openCapture } = await api();
    const cap = await openCapture(DEMO);
    try {
      const rows = await cap.query(
        'SELECT name, count(*) AS n, count(dur) AS paired, min(dur) AS min_dur FROM syscalls WHERE tid = $1 GROUP BY name ORDER BY n DESC',
        [wl.syscall_tid],
      );
      expect(rows[0].name).toBe(wl.syscall_nr_name);
      expect(rows[0].n).toBe(wl.syscalls);
      expect(rows[0].paired).toBe(wl.syscalls);
      expect(rows[0].min_dur).toBeGreaterThan(0);
    } finally {
      cap.close();
    }
  });

  it('the generated syscall table has x86_64 and aarch64', async () => {
    const { SYSCALL_NAMES } = await import(join(ROOT, 'dist/analyze/gen/syscalls.gen.js'));
    expect(SYSCALL_NAMES.x86_64[110]).toBe('getppid');
    expect(SYSCALL_NAMES.x86_64[0]).toBe('read');
    expect(SYSCALL_NAMES.aarch64[173]).toBe('getppid');
    expect(SYSCALL_NAMES.aarch64[63]).toBe('read');
    expect(readFileSync(join(ROOT, 'analyze/gen/syscalls.gen.ts'), 'utf8')).toMatch(/^\/\/ DO NOT EDIT/);
  });
});

describe('--db cache', () => {
  it('reuses the database while the capture is unchanged and rebuilds when it changes', async () => {
    const { openCapture } = await api();
    const dir = join(tmp(), 'cap');
    cpSync(DEMO, dir, { recursive: true });
    const db = join(tmp(), 'demo.duckdb');
    let cap = await openCapture(dir, { db });
    const n1 = (await cap.query('SELECT count(*) AS n FROM _sched_switch'))[0].n;
    expect(cap.loaded).not.toBeNull();
    cap.close();
    cap = await openCapture(dir, { db });
    expect(cap.loaded).toBeNull(); // warm: from the cache
    expect((await cap.query('SELECT count(*) AS n FROM _sched_switch'))[0].n).toBe(n1);
    cap.close();
    // change the capture: replace sched_switch by another capture's file → must not answer from the cache
    cpSync(join(FIXTURES, 'leak', 'sched_switch.0000.arrows'), join(dir, 'sched_switch.0000.arrows'));
    cap = await openCapture(dir, { db });
    expect(cap.loaded).not.toBeNull();
    const n2 = (await cap.query('SELECT count(*) AS n FROM _sched_switch'))[0].n;
    expect(n2).not.toBe(n1);
    cap.close();
    // same size, only the mtime changes → rebuilt too
    const f = join(dir, 'task_ids.0000.arrows');
    utimesSync(f, new Date(), new Date(Date.now() + 5000));
    cap = await openCapture(dir, { db });
    expect(cap.loaded).not.toBeNull();
    cap.close();
  });

  it('CLI: analyze --db twice gives the same answer', () => {
    const db = join(tmp(), 'c.duckdb');
    const a = ktape(['analyze', DEMO, 'cpu', '--json', '--db', db]);
    const b = ktape(['analyze', DEMO, 'cpu', '--json', '--db', db]);
    expect(a.status).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(existsSync(db)).toBe(true);
  });

  it('--memory-limit is passed to DuckDB', () => {
    const r = ktape(['query', DEMO, "SELECT current_setting('memory_limit') AS m", '--json', '--memory-limit', '512MB']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0].m).toMatch(/^(488\.2 MiB|512\.0 MB|.*MiB)$/);
  });
});

describe('CLI query / tables / convert', () => {
  it('query prints an aligned table, --csv and --json', () => {
    const sql = `SELECT tid, comm FROM threads WHERE tgid = ${wl.pid} ORDER BY tid`;
    const h = ktape(['query', DEMO, sql]);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/^tid\s+comm\n/);
    const c = ktape(['query', DEMO, sql, '--csv']);
    expect(c.stdout.split('\n')[0]).toBe('tid,comm');
    const j = JSON.parse(ktape(['query', DEMO, sql, '--json']).stdout);
    expect(j.map((r: any) => r.comm)).toContain(wl.workers[0].comm);
  });
  it('query reads SQL from stdin when not a TTY', () => {
    const r = ktape(['query', DEMO, '--json'], { input: 'SELECT 41 + 1 AS x;' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ x: 42 }]);
  });
  it('tables lists every view with column types and descriptions', () => {
    const r = ktape(['tables', DEMO]);
    expect(r.status).toBe(0);
    for (const v of ['threads', 'processes', 'sched_slices', 'thread_state', 'syscalls', 'allocations', 'losses', 'stacks'])
      expect(r.stdout).toMatch(new RegExp(`^${v}  `, 'm'));
    expect(r.stdout).toMatch(/^\s+dur\s+BIGINT\s+\S+/m);
  });
  it('convert writes Parquet that DuckDB reads back', async () => {
    const out = join(tmp(), 'pq');
    const r = ktape(['convert', DEMO, '--parquet', out, '--views']);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(out);
    expect(files).toContain('sched_switch.parquet');
    expect(files).toContain('view_threads.parquet');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    const rows = (await conn.runAndReadAll('SELECT count(*) FROM read_parquet($1)', [join(out, 'syscall_enter.parquet')])).getRows();
    const q = JSON.parse(ktape(['query', DEMO, 'SELECT count(*) AS n FROM _syscall_enter', '--json']).stdout);
    expect(Number(rows[0][0])).toBe(q[0].n);
    conn.closeSync();
    inst.closeSync();
  });
});

describe('report helpers', () => {
  it('durations and units', async () => {
    const { parseDuration, fmtNs, fmtBytes } = await common();
    expect(parseDuration('--x', '1.5s')).toBe(1.5e9);
    expect(parseDuration('--x', '200ms')).toBe(2e8);
    expect(parseDuration('--x', '300us')).toBe(3e5);
    expect(parseDuration('--x', '42ns')).toBe(42);
    expect(parseDuration('--x', '2')).toBe(2e9);
    expect(() => parseDuration('--x', 'soon')).toThrow(/expected a duration/);
    expect(fmtNs(999)).toBe('999ns');
    expect(fmtNs(1500)).toBe('1.50µs');
    expect(fmtNs(2_500_000)).toBe('2.50ms');
    expect(fmtNs(3_000_000_000)).toBe('3.000s');
    expect(fmtBytes(2048)).toBe('2.0KiB');
  });
});

describe('reports agree with the demo workload ground truth', () => {
  it('cpu, run delay and slices of the busy workers (recorded by the workload from /proc schedstat)', () => {
    const r = JSON.parse(ktape(['analyze', DEMO, 'cpu', '--json', '--top', '100']).stdout);
    const s = JSON.parse(ktape(['analyze', DEMO, 'sched-latency', '--json', '--top', '100']).stdout);
    for (const w of wl.workers) {
      const t = r.tasks.find((x: any) => x.tid === w.tid);
      expect(Math.abs(t.cpu_ns - w.cpu_ns) / w.cpu_ns).toBeLessThan(0.05);
      expect(Math.abs(t.slices - w.slices)).toBeLessThanOrEqual(2);
      const l = s.tasks.find((x: any) => x.tid === w.tid);
      expect(Math.abs(l.run_delay_ns - w.wait_ns) / w.wait_ns).toBeLessThan(0.1);
    }
  });
  it('tasks: the 5 children exit with the workload child exit code', () => {
    const r = JSON.parse(ktape(['analyze', DEMO, 'tasks', '--json']).stdout);
    const exits = r.events.filter((e: any) => e.event === 'exit' && wl.children.includes(e.tid));
    expect(exits.map((e: any) => e.tid).sort()).toEqual([...wl.children].sort());
    for (const e of exits) expect(e.exit_status).toBe(wl.child_exit_code);
  });
  it('leak fixture: the held pipes are outstanding under the pipe-creation stack', () => {
    const lw = JSON.parse(readFileSync(join(FIXTURES, 'leak.workload.json'), 'utf8').split('\n')[0]);
    const r = JSON.parse(ktape(['analyze', join(FIXTURES, 'leak'), 'leaks', '--json']).stdout);
    const pipe = r.stacks.filter((s: any) => s.frames.includes('alloc_pipe_info'));
    expect(pipe.reduce((a: number, s: any) => a + s.count, 0)).toBeGreaterThanOrEqual(lw.pipes);
    const folded = ktape(['analyze', join(FIXTURES, 'leak'), 'leaks', '--folded']).stdout;
    expect(folded).toMatch(/^entry_SYSCALL_64\S*;.*create_pipe_files;alloc_pipe_info;\S+ \d+$/m);
  });
});
