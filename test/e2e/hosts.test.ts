/**
 * Analysis across hosts through the built CLI: a collector-layout directory (DIR/HOST/RECORDING/, as
 * `ktape collect` writes it) made of fixture copies whose manifests name other hosts. Every host's rows
 * of a report, a query or a comparison must be exactly those of its capture analyzed alone.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, ktape, tmp } from '../helpers.js';

let COL: string;
const cap = (host: string, rec = 'r1') => join(COL, host, rec);

/** Copy a fixture to DIR/HOST/REC with the manifest's host name rewritten. */
function place(root: string, fixture: string, host: string, rec = 'r1'): string {
  const dir = join(root, host, rec);
  mkdirSync(join(root, host), { recursive: true, mode: 0o700 });
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  m.host.hostname = host;
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(m, null, 2), { mode: 0o600 });
  return dir;
}

function ok(args: string[]): string {
  const r = ktape(args, { timeout: 120_000 });
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout;
}

const json = (args: string[]) => JSON.parse(ok([...args, '--json']));

function expectOneLineError(args: string[], re: RegExp): void {
  const r = ktape(args, { timeout: 60_000 });
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ktape: /);
  expect(lines[0]).toMatch(re);
  expect(r.stdout).toBe('');
}

/** A merged report's rows of one host, without the host column. */
function rowsOf(rows: Record<string, unknown>[], host: string) {
  return rows.filter((r) => r.host === host).map(({ host: _h, ...rest }) => rest);
}

beforeAll(() => {
  COL = tmp('ktape-hosts-');
  place(COL, 'cmp-base', 'web1');
  place(COL, 'cmp-new', 'web2');
});

describe('ktape analyze of a collector directory', () => {
  for (const [report, extra] of [
    ['cpu', ['--top', '5']],
    ['syscalls', []],
    ['sched-latency', []],
    ['summary', []],
  ] as [string, string[]][]) {
    it(`${report}: each host's rows are exactly those of its capture analyzed alone`, () => {
      const all = json(['analyze', COL, report, ...extra]);
      expect(all.hosts.map((h: any) => [h.host, h.dir])).toEqual([
        ['web1', cap('web1')],
        ['web2', cap('web2')],
      ]);
      for (const host of ['web1', 'web2']) {
        const alone = json(['analyze', cap(host), report, ...extra]);
        const facts = all.hosts.find((h: any) => h.host === host);
        expect(facts.window).toEqual(alone.window);
        // (summary has a losses section too: in its own JSON that section's rows hide these facts)
        if (!Array.isArray(alone.losses)) expect(facts.losses).toEqual(alone.losses);
        const sections = Object.keys(alone).filter((k) => Array.isArray(alone[k]) && k !== 'notes');
        expect(sections.length).toBeGreaterThan(0);
        for (const s of sections) expect(rowsOf(all[s], host), `${report} ${s} ${host}`).toEqual(alone[s]);
        expect(all.notes.filter((n: string) => n.startsWith(`${host}: `)).map((n: string) => n.slice(host.length + 2))).toEqual(alone.notes);
      }
    });
  }

  it('human output has a host column; --host picks one host, whose output is the capture alone', () => {
    const text = ok(['analyze', COL, 'cpu', '--top', '2']);
    expect(text).toMatch(/^host\s+tid\s+tgid\s+comm/m);
    expect(text).toMatch(/^web1\s+\d+/m);
    expect(text).toMatch(/^web2\s+\d+/m);
    expect(ok(['analyze', COL, 'cpu', '--host', 'web2'])).toBe(ok(['analyze', cap('web2'), 'cpu']));
  });

  it('several capture paths work like a collector directory', () => {
    const a = json(['analyze', cap('web1'), cap('web2'), 'cpu']);
    const b = json(['analyze', COL, 'cpu']);
    expect(a).toEqual(b);
  });

  it('a host with two recordings gets a recording column', () => {
    const root = tmp('ktape-hosts2-');
    place(root, 'cmp-base', 'web1', 'morning');
    place(root, 'cmp-new', 'web1', 'evening');
    const all = json(['analyze', root, 'cpu']);
    expect(all.hosts.map((h: any) => `${h.host}/${h.recording}`)).toEqual(['web1/evening', 'web1/morning']);
    const morning = json(['analyze', join(root, 'web1', 'morning'), 'cpu']);
    for (const s of Object.keys(morning).filter((k) => Array.isArray(morning[k]) && k !== 'notes')) {
      expect(new Set(all[s].map((r: any) => r.recording))).toEqual(new Set(['morning', 'evening']));
      const mine = all[s].filter((r: any) => r.recording === 'morning').map(({ host: _h, recording: _r, ...rest }: any) => rest);
      expect(mine).toEqual(morning[s]);
    }
    expect(ok(['analyze', root, 'cpu'])).toMatch(/^host\s+recording\s+tid/m);
  });
});

describe('ktape query of a collector directory', () => {
  it('every view and raw table has host and recording; counts per host equal each capture alone', () => {
    const per = json(['query', COL, 'SELECT host, recording, count(*) AS n, sum(dur) AS cpu_ns FROM sched_slices GROUP BY ALL ORDER BY host']);
    const raw = json(['query', COL, 'SELECT host, count(*) AS n FROM _sched_switch GROUP BY host ORDER BY host']);
    for (const [i, host] of ['web1', 'web2'].entries()) {
      const [alone] = json(['query', cap(host), 'SELECT count(*) AS n, sum(dur) AS cpu_ns FROM sched_slices']);
      expect(per[i]).toEqual({ host, recording: 'r1', ...alone });
      const [rawAlone] = json(['query', cap(host), 'SELECT count(*) AS n FROM _sched_switch']);
      expect(raw[i]).toEqual({ host, ...rawAlone });
      expect(rawAlone.n).toBeGreaterThan(0);
    }
  });

  it('a join on (host, tid) keeps the hosts apart; a single capture keeps its columns', () => {
    const rows = json([
      'query',
      COL,
      'SELECT t.host, count(*) AS n FROM sched_slices s JOIN threads t ON s.host = t.host AND s.tid = t.tid GROUP BY ALL ORDER BY 1',
    ]);
    for (const [i, host] of ['web1', 'web2'].entries()) {
      const [alone] = json(['query', cap(host), 'SELECT count(*) AS n FROM sched_slices s JOIN threads t ON s.tid = t.tid']);
      expect(rows[i]).toEqual({ host, n: alone.n });
    }
    const [one] = json(['query', cap('web1'), 'SELECT * FROM threads LIMIT 1']);
    expect(Object.keys(one)).not.toContain('host');
  });

  it('two capture paths then the SQL; --host filters', () => {
    expect(json(['query', cap('web1'), cap('web2'), 'SELECT DISTINCT host FROM capture ORDER BY 1'])).toEqual([{ host: 'web1' }, { host: 'web2' }]);
    expect(json(['query', COL, '--host', 'web2', 'SELECT DISTINCT host FROM threads'])).toEqual([{ host: 'web2' }]);
  });
});

describe('ktape compare of two hosts', () => {
  it('compare DIR --host A --host B is compare of the two capture directories', () => {
    const a = ok(['compare', COL, '--host', 'web1', '--host', 'web2', '--json']);
    expect(a).toBe(ok(['compare', cap('web1'), cap('web2'), '--json']));
    expect(JSON.parse(a).base.hostname).toBe('web1');
    expect(JSON.parse(a).new.hostname).toBe('web2');
  });

  it('compare SET1 SET2 --host H compares that host across two collector directories', () => {
    const other = tmp('ktape-hosts3-');
    place(other, 'cmp-new', 'web1');
    expect(ok(['compare', COL, other, '--host', 'web1', '--json'])).toBe(ok(['compare', cap('web1'), join(other, 'web1', 'r1'), '--json']));
  });
});

describe('bad input across hosts: one line, exit 2', () => {
  it('an unknown host', () => {
    expectOneLineError(['analyze', COL, '--host', 'nope'], /--host nope: no capture of that host in .* \(hosts there: web1, web2\)/);
    expectOneLineError(['compare', COL, '--host', 'web1', '--host', 'nope'], /compare NEW: compare --host nope: no capture of that host/);
  });

  it('compare with one host and one set, or no NEW', () => {
    expectOneLineError(['compare', COL, '--host', 'web1'], /one capture set needs two hosts/);
    expectOneLineError(['compare', COL], /missing required argument 'new' \(see 'ktape compare --help'\)$/);
  });

  it('a host with two recordings in compare; the same capture twice under two paths', () => {
    const root = tmp('ktape-hosts4-');
    place(root, 'cmp-base', 'web1', 'a');
    place(root, 'cmp-new', 'web1', 'b');
    place(root, 'cmp-new', 'web2', 'a');
    expectOneLineError(['compare', root, '--host', 'web1', '--host', 'web2'], /compare --host web1: 2 recordings of that host .*\(a, b\)/);
    const copy = tmp('ktape-hosts5-');
    place(copy, 'cmp-base', 'web1');
    expectOneLineError(['analyze', COL, copy], /host web1 recording r1 is also /);
  });

  it('a symbolic link inside a collector directory is refused', () => {
    const root = tmp('ktape-hosts6-');
    place(root, 'cmp-base', 'web1');
    symlinkSync(join(COL, 'web2'), join(root, 'web2'));
    expectOneLineError(['analyze', root], /web2: a symbolic link in a collector directory/);
    expectOneLineError(['query', root, 'SELECT 1'], /web2: a symbolic link in a collector directory/);
  });

  it('no capture below a directory, a missing path, a bad report, --db with several', () => {
    const empty = tmp('ktape-hosts7-');
    mkdirSync(join(empty, 'web1', 'r1'), { recursive: true });
    expectOneLineError(['analyze', empty], /is not a ktape capture, and holds none below it/);
    expectOneLineError(['analyze', COL, join(COL, 'missing')], /missing: no such capture directory/);
    expectOneLineError(['analyze', COL, 'bogus'], /'bogus' is invalid for argument 'report' \(and no capture directory\)\. Allowed choices are summary, /);
    expectOneLineError(['analyze', COL, '--db', join(empty, 'x.duckdb')], /--db: caches one capture/);
  });
});
