/**
 * `ktape convert … --parquet OUT [--partition]` through the built CLI, on a collector directory holding two
 * hosts (fixtures demo and leak, laid out as DIR/HOST/RECORDING/) and a plain capture (fixtures/tiny, host
 * from its manifest, recording from its directory's name: formats/captures.ts). DuckDB reads the hive layout with read_parquet(…, hive_partitioning = true) and gets,
 * capture by capture and table by table, the rows `ktape query` gives on the capture itself; Polars (a
 * second Parquet implementation) reads the same layout.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pl from 'nodejs-polars';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES } from '../../dist/formats/schema.js';
import { FIXTURES, ktape, tmp } from '../helpers.js';

const CAPS = [
  { fixture: 'demo', host: 'alpha', recording: 'R1' },
  { fixture: 'leak', host: 'beta', recording: 'R2' },
];

/** a collector directory with the two captures, and the path of a plain capture (tiny) */
function inputs(): { coll: string; caps: { dir: string; host: string; recording: string }[] } {
  const coll = join(tmp('ktape-parquet-'), 'coll');
  const caps = CAPS.map((c) => {
    const dir = join(coll, c.host, c.recording);
    mkdirSync(join(coll, c.host), { recursive: true });
    cpSync(join(FIXTURES, c.fixture), dir, { recursive: true });
    // the host is the manifest's (findCaptures), as a recorder uploading to a collector names it
    const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    m.host.hostname = c.host;
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2));
    return { dir, host: c.host, recording: c.recording };
  });
  const m = JSON.parse(readFileSync(join(FIXTURES, 'tiny', 'manifest.json'), 'utf8'));
  caps.push({ dir: join(FIXTURES, 'tiny'), host: m.host.hostname, recording: 'tiny' }); // a plain capture: its directory's name
  return { coll, caps };
}

/** per table: rows and a sum of row hashes, as one `ktape query` on the capture computes them */
function fingerprints(cap: string): Record<string, { n: number; h: string }> {
  const sql = TABLES.map((t) => `SELECT '${t.name}' AS t, count(*) AS n, coalesce(sum(hash(x)), 0)::VARCHAR AS h FROM _${t.name} x`).join(' UNION ALL ');
  const r = ktape(['query', cap, sql, '--json']);
  expect(r.status, r.stderr).toBe(0);
  return Object.fromEntries(JSON.parse(r.stdout).map((x: { t: string; n: number; h: string }) => [x.t, { n: Number(x.n), h: x.h }]));
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [join(dir, e.name), ...walk(join(dir, e.name))] : [join(dir, e.name)]));
}

let inst: DuckDBInstance;
let conn: Awaited<ReturnType<DuckDBInstance['connect']>>;
beforeAll(async () => {
  inst = await DuckDBInstance.create(':memory:');
  conn = await inst.connect();
});
afterAll(() => {
  conn.closeSync();
  inst.closeSync();
});
const rows = async (sql: string, params: (string | number)[] = []) => (await conn.runAndReadAll(sql, params)).getRowObjectsJson();

describe('ktape convert --parquet --partition', { timeout: 300_000 }, () => {
  const { coll, caps } = inputs();
  const out = join(tmp('ktape-parquet-'), 'pq');
  let r: ReturnType<typeof ktape>;
  beforeAll(() => {
    r = ktape(['convert', coll, caps[2].dir, '--parquet', out, '--partition', '--views']);
  });

  it('writes TABLE/host=HOST/date=YYYY-MM-DD/part-RECORDING-N.parquet, directories 0700 and files 0600', () => {
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^wrote \d+ Parquet files of 3 captures to .* \(TABLE\/host=HOST\/date=YYYY-MM-DD\/\)\n$/);
    expect(statSync(out).mode & 0o777).toBe(0o700);
    const files = walk(out).filter((p) => statSync(p).isFile());
    expect(files.length).toBeGreaterThan(20);
    const names = new Set([...TABLES.map((t) => t.name), 'view_syscalls', 'view_threads', 'view_sched_slices']);
    for (const p of walk(out)) expect(statSync(p).mode & 0o777, p).toBe(statSync(p).isDirectory() ? 0o700 : 0o600);
    for (const f of files) {
      const m = /^([a-z_]+)\/host=([^/]+)\/date=(\d{4}-\d\d-\d\d)\/part-([^/]+)-\d+\.parquet$/.exec(relative(out, f));
      expect(m, f).not.toBeNull();
      expect(
        caps.some((c) => c.host === m![2] && c.recording === m![4]),
        f,
      ).toBe(true);
      names.delete(m![1]);
    }
    expect([...names].filter((n) => n.startsWith('view_') || n === 'sched_switch' || n === 'syscall_enter')).toEqual([]);
  });

  it('DuckDB reads the layout with hive_partitioning: the rows of ktape query, capture by capture, table by table', async () => {
    for (const c of caps) {
      const want = fingerprints(c.dir);
      for (const t of TABLES) {
        const glob = join(out, t.name, '**', '*.parquet');
        const have = walk(join(out, t.name)).some((p) => p.endsWith('.parquet'))
          ? await rows(
              `SELECT count(*) AS n, coalesce(sum(hash(x)), 0)::VARCHAR AS h FROM (SELECT * EXCLUDE (host, recording, date) FROM read_parquet($1, hive_partitioning = true) WHERE host = $2 AND recording = $3) x`,
              [glob, c.host, c.recording],
            )
          : [{ n: '0', h: '0' }];
        expect({ n: Number(have[0].n), h: have[0].h }, `${c.host}/${c.recording} ${t.name}`).toEqual(want[t.name]);
      }
      expect(want.sched_switch.n + want.syscall_enter.n, c.dir).toBeGreaterThan(100);
    }
  });

  it('the date partition is the UTC day of the rows, through the capture clock anchors', async () => {
    for (const c of caps) {
      const q = ktape(['query', c.dir, 'SELECT realtime_ns FROM _clock_anchors ORDER BY boottime_ns LIMIT 1', '--json']);
      const day = new Date(Number(BigInt(JSON.parse(q.stdout)[0].realtime_ns) / 1_000_000n)).toISOString().slice(0, 10);
      const got = await rows(
        'SELECT DISTINCT CAST(date AS VARCHAR) AS d, typeof(date) AS ty FROM read_parquet($1, hive_partitioning = true) WHERE host = $2 AND recording = $3',
        [join(out, 'sched_switch', '**', '*.parquet'), c.host, c.recording],
      );
      expect(got, c.dir).toEqual([{ d: day, ty: 'DATE' }]);
    }
  });

  it('Polars reads the same layout: host, recording and date columns, rows per capture', () => {
    for (const t of ['sched_switch', 'syscall_enter', 'view_syscalls']) {
      const df = pl.scanParquet(join(out, t, '**', '*.parquet'), { hivePartitioning: true }).collectSync();
      expect(df.columns.slice(-3).sort(), t).toEqual(['date', 'host', 'recording']);
      expect(String(df.getColumn('date').dtype), t).toMatch(/^DataType\(Date\)$/);
      const byCap = Object.fromEntries(
        df
          .groupBy(['host', 'recording'])
          .len()
          .toRecords()
          .map((x: any) => [`${x.host}/${x.recording}`, Number(x.host_count ?? x.len)]),
      );
      for (const c of caps) {
        const q = ktape(['query', c.dir, `SELECT count(*) AS n FROM ${t.startsWith('view_') ? t.slice(5) : `_${t}`}`, '--json']);
        expect(byCap[`${c.host}/${c.recording}`] ?? 0, `${t} ${c.dir}`).toBe(Number(JSON.parse(q.stdout)[0].n));
      }
    }
  });

  it('converting a recording again rewrites its own files: no row twice', async () => {
    const r2 = ktape(['convert', coll, '--parquet', out, '--partition']);
    expect(r2.status, r2.stderr).toBe(0);
    const got = await rows('SELECT count(*) AS n FROM read_parquet($1, hive_partitioning = true) WHERE host = $2', [
      join(out, 'sched_switch', '**', '*.parquet'),
      'alpha',
    ]);
    expect(Number(got[0].n)).toBe(fingerprints(caps[0].dir).sched_switch.n);
  });
});

describe('ktape convert --parquet (one file per table)', { timeout: 300_000 }, () => {
  it('every capture in OUT/TABLE.parquet with host, recording and date columns, 0600', async () => {
    const { coll, caps } = inputs();
    const out = join(tmp('ktape-parquet-'), 'pq');
    const r = ktape(['convert', coll, caps[2].dir, '--parquet', out]);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(out);
    expect(files.sort()).toEqual(TABLES.map((t) => `${t.name}.parquet`).sort());
    for (const f of files) expect(statSync(join(out, f)).mode & 0o777, f).toBe(0o600);
    for (const c of caps) {
      const want = fingerprints(c.dir);
      for (const t of ['sched_switch', 'syscall_enter', 'task_newtask', 'losses']) {
        const have = await rows(
          'SELECT count(*) AS n, coalesce(sum(hash(x)), 0)::VARCHAR AS h FROM (SELECT * EXCLUDE (host, recording, date) FROM read_parquet($1) WHERE host = $2 AND recording = $3) x',
          [join(out, `${t}.parquet`), c.host, c.recording],
        );
        expect({ n: Number(have[0].n), h: have[0].h }, `${c.dir} ${t}`).toEqual(want[t]);
      }
    }
  });
});

describe('ktape convert refuses what would leak or escape', { timeout: 120_000 }, () => {
  const oneLine = (r: ReturnType<typeof ktape>, re: RegExp) => {
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(re);
  };

  it('a link in the output directory: refused, its target untouched', () => {
    const d = tmp('ktape-parquet-');
    const out = join(d, 'pq');
    mkdirSync(out);
    const target = join(d, 'precious');
    writeFileSync(target, 'keep');
    symlinkSync(target, join(out, 'sched_switch.parquet'));
    oneLine(ktape(['convert', join(FIXTURES, 'tiny'), '--parquet', out]), /pq\/sched_switch\.parquet is a symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('keep');
    const elsewhere = join(d, 'elsewhere');
    mkdirSync(elsewhere);
    const out2 = join(d, 'pq2');
    mkdirSync(out2);
    symlinkSync(elsewhere, join(out2, 'sched_switch'));
    oneLine(ktape(['convert', join(FIXTURES, 'tiny'), '--parquet', out2, '--partition']), /pq2\/sched_switch is a symbolic link/);
    expect(readdirSync(elsewhere)).toEqual([]);
    symlinkSync(out2, join(d, 'pq3'));
    oneLine(ktape(['convert', join(FIXTURES, 'tiny'), '--parquet', join(d, 'pq3')]), /--parquet .*pq3: is a symbolic link/);
  });

  it('a host name that would leave OUT: nothing written outside it', () => {
    const d = tmp('ktape-parquet-');
    const cap = join(d, 'cap');
    cpSync(join(FIXTURES, 'tiny'), cap, { recursive: true });
    const m = JSON.parse(readFileSync(join(cap, 'manifest.json'), 'utf8'));
    m.host.hostname = '../../escaped';
    writeFileSync(join(cap, 'manifest.json'), JSON.stringify(m, null, 2));
    const out = join(d, 'a', 'pq');
    mkdirSync(join(d, 'a'));
    const r = ktape(['convert', cap, '--parquet', out, '--partition']);
    expect(readdirSync(d).sort()).toEqual(['a', 'cap']);
    expect(readdirSync(join(d, 'a')).filter((f) => f !== 'pq')).toEqual([]);
    if (r.status === 0) for (const p of walk(out)) expect(relative(out, p)).not.toMatch(/\.\./);
    else oneLine(r, /host name/);
  });

  it('a path that is neither a capture nor a collector directory', () => {
    const d = tmp('ktape-parquet-');
    oneLine(ktape(['convert', d, '--parquet', join(d, 'pq')]), /manifest\.json: missing; .* is not a ktape capture/);
  });
});
