/**
 * Captures are untrusted input on the analyst's machine (issue 8, items 7-10 and 12): each damaged or
 * hostile copy of a fixture, run through the built CLI, ends with an answer or one line naming the
 * file or field, exit 0 or 2, never a crash, a hang or a read outside the capture.
 */
import { describe, expect, it } from 'vitest';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync, copyFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, FIXTURES, ktape, privilegedSkipReason, tmp } from '../helpers.js';

function copyOf(fixture: string, fn: (dir: string) => void = () => {}): string {
  const dir = join(tmp('ktape-hostile-'), 'cap');
  cpSync(join(FIXTURES, fixture), dir, { recursive: true });
  fn(dir);
  return dir;
}

const manifestPath = (d: string) => join(d, 'manifest.json');
const editManifest = (d: string, fn: (m: any) => void) => {
  const m = JSON.parse(readFileSync(manifestPath(d), 'utf8'));
  fn(m);
  writeFileSync(manifestPath(d), JSON.stringify(m));
};
const flip = (file: string, at: number, byte: number) => {
  const b = readFileSync(file);
  b[at] = byte;
  writeFileSync(file, b);
};

/** Every command that reads a capture. */
const COMMANDS = (d: string, out: string): string[][] => [
  ['analyze', d],
  ['query', d, 'SELECT count(*) AS n FROM sched_slices'],
  ['tables', d],
  ['convert', d, '--parquet', join(out, 'pq')],
  ['export', d, '--perfetto', join(out, 't.pftrace')],
  ['export', d, '--chrome', join(out, 't.json')],
  ['compare', join(FIXTURES, 'demo'), d],
];

function expectCleanRefusal(args: string[], pattern: RegExp) {
  const r = ktape(args, { timeout: 60_000 });
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ktape: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('damaged table files', () => {
  it('a flipped byte that made every command segfault (task_exec byte 787) loads what is sound and counts the rest', () => {
    const d = copyOf('demo', (x) => flip(join(x, 'task_exec.0000.arrows'), 787, 0xce));
    const out = tmp();
    for (const cmd of COMMANDS(d, out)) {
      const r = ktape(cmd, { timeout: 60_000 });
      expect(r.status, `${cmd[0]}: ${r.stderr}`).toBe(0);
      // the loader says how many rows; the exporters name the damaged file
      expect(r.stderr).toMatch(
        cmd[0] === 'export' ? /task_exec\.0000\.arrows/ : /table task_exec: \d+ rows missing .*task_exec\.0000\.arrows: batch 0: buffer \d+ .* lies outside/,
      );
    }
    const q = ktape(['query', d, "SELECT kind, count FROM losses WHERE reason = 'truncated'", '--json']);
    const want = JSON.parse(readFileSync(manifestPath(d), 'utf8')).tables.task_exec.rows;
    expect(JSON.parse(q.stdout)).toEqual([{ kind: 'task_exec', count: want }]);
  });

  it('a flipped byte in a schema that made every command spin (losses byte 63) is one line naming the file', () => {
    const d = copyOf('demo', (x) => flip(join(x, 'losses.0000.arrows'), 63, 0x10));
    const out = tmp();
    for (const cmd of COMMANDS(d, out)) expectCleanRefusal(cmd, /losses\.0000\.arrows: unreadable Arrow schema \(vector of \d+ entries/);
  });

  it('a damaged timestamp (sched_switch byte 13911) no longer runs export --chrome for minutes', () => {
    const d = copyOf('demo', (x) => flip(join(x, 'sched_switch.0000.arrows'), 13911, 0xce));
    const out = tmp();
    const r = ktape(['export', d, '--chrome', join(out, 't.json'), '-q'], { timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    // the undamaged export is ~4 MB; the damaged one wrote hundreds of MB before
    expect(readFileSync(join(out, 't.json')).length).toBeLessThan(8 << 20);
  });

  it('a batch cut in half: every report says rows are missing and the capture is not complete', () => {
    const d = copyOf('demo', (x) => truncateSync(join(x, 'sched_switch.0000.arrows'), 9000));
    const r = ktape(['analyze', d, '--json']);
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.capture.complete).toBe(false);
    const rows = JSON.parse(readFileSync(manifestPath(d), 'utf8')).tables.sched_switch.rows;
    const l = ktape(['query', d, "SELECT count FROM losses WHERE reason = 'truncated' AND kind = 'sched_switch'", '--json']);
    expect(JSON.parse(l.stdout)).toEqual([{ count: rows }]);
    const cpu = ktape(['analyze', d, 'cpu']);
    expect(cpu.stdout + cpu.stderr).toMatch(/sched_switch/);
    // -q quiets progress and the summary, never damage
    for (const fmt of ['--perfetto', '--chrome']) {
      const e = ktape(['export', d, fmt, join(tmp(), 'x'), '-q']);
      expect(e.status, e.stderr).toBe(0);
      expect(e.stderr).toMatch(/warning: .*sched_switch\.0000\.arrows: batch at byte \d+ is cut short; exported the complete batches before it/);
    }
  });

  it('a cut metadata table (losses) is warned about by the exporters too, not skipped silently', () => {
    const d = copyOf('demo', (x) => truncateSync(join(x, 'losses.0000.arrows'), 300));
    for (const fmt of ['--perfetto', '--chrome']) {
      const e = ktape(['export', d, fmt, join(tmp(), 'x'), '-q']);
      expect(e.status, e.stderr).toBe(0);
      expect(e.stderr).toMatch(/warning: .*losses\.0000\.arrows: (damaged or cut short|cut inside its schema); exported the complete batches before it/);
    }
  });

  it('an unlisted copy of a segment is ignored with a warning, not loaded twice', () => {
    const d = copyOf('demo', (x) => copyFileSync(join(x, 'sched_switch.0000.arrows'), join(x, 'sched_switch.0001.arrows')));
    const rows = JSON.parse(readFileSync(manifestPath(d), 'utf8')).tables.sched_switch.rows;
    const r = ktape(['query', d, 'SELECT count(*) AS n FROM _sched_switch', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)[0].n).toBe(rows);
    expect(r.stderr).toMatch(/sched_switch\.0001\.arrows: not listed in the manifest for table sched_switch; ignored/);
    const e = ktape(['export', d, '--chrome', join(tmp(), 'x.json'), '-q']);
    expect(e.stderr).toMatch(/sched_switch\.0001\.arrows: not listed in the manifest for table sched_switch; ignored/);
  });

  it('a segment listed twice (more rows than the manifest says) is refused', () => {
    const d = copyOf('demo', (x) => {
      copyFileSync(join(x, 'sched_switch.0000.arrows'), join(x, 'sched_switch.0001.arrows'));
      editManifest(x, (m) => m.tables.sched_switch.files.push('sched_switch.0001.arrows'));
    });
    expectCleanRefusal(['analyze', d], /table sched_switch: the files hold \d+ rows but the manifest says \d+/);
  });

  it("another table's file in place of a table is one line naming it", () => {
    const d = copyOf('demo', (x) => copyFileSync(join(x, 'syscall_exit.0000.arrows'), join(x, 'sched_switch.0000.arrows')));
    expectCleanRefusal(['analyze', d], /sched_switch\.0000\.arrows: holds table "syscall_exit", not sched_switch/);
  });

  it('a table file that is a directory or a symlink loop is one line naming it', () => {
    const a = copyOf('demo', (x) => {
      rmSync(join(x, 'stats.0000.arrows'));
      mkdirSync(join(x, 'stats.0000.arrows'));
    });
    expectCleanRefusal(['analyze', a], /stats\.0000\.arrows: is a directory, not a regular file/);
    const b = copyOf('demo', (x) => {
      rmSync(join(x, 'stats.0000.arrows'));
      symlinkSync('stats.0000.arrows', join(x, 'stats.0000.arrows'));
    });
    expectCleanRefusal(['analyze', b], /stats\.0000\.arrows: is a symbolic link/);
  });
});

describe('fuzz finds, replayed', () => {
  it('sched_switch overwritten with syscall_exit bytes (seed 777, case 240): compare overflowed int64, now exit 2', async () => {
    // @ts-expect-error plain JS module shared with the fuzz test
    const { mutate } = await import('../fuzz/mutate.mjs');
    const d = copyOf('tiny', (x) => mutate(x, 777 * 1_000_003 + 240));
    const r = ktape(['compare', join(FIXTURES, 'tiny'), d]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/the capture holds values out of range, so it is damaged/);
  });
});

describe('a recorder killed before its first batch reached the disk', () => {
  it('every table holds only its schema, stats and stacks were never written: reports answer, empty', () => {
    const d = copyOf('tiny', (x) => {
      editManifest(x, (m) => Object.assign(m, { complete: false, end_ts: null, tables: {}, summary: null }));
      rmSync(join(x, 'stats.0000.arrows'));
      rmSync(join(x, 'stacks.0000.arrows'));
      for (const f of [
        'sched_switch',
        'sched_waking',
        'sched_wait',
        'syscall_enter',
        'syscall_exit',
        'kmem_alloc',
        'kmem_free',
        'task_newtask',
        'task_exec',
        'task_exit',
        'task_rename',
        'task_free',
        'task_ids',
        'losses',
      ]) {
        const p = join(x, `${f}.0000.arrows`);
        truncateSync(p, 8 + readFileSync(p).readInt32LE(4)); // the schema message, as the recorder writes it at start
      }
    });
    for (const cmd of [
      ['analyze', d],
      ['analyze', d, 'cpu'],
      ['analyze', d, 'sched-latency'],
      ['query', d, 'SELECT count(*) AS n FROM syscalls'],
    ]) {
      const r = ktape(cmd);
      expect(r.status, `${cmd.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toMatch(/stacks, stats: not in .*; loaded empty/);
      expect(r.stderr).not.toMatch(/rows missing/); // a stream cut between messages lost nothing
    }
    const e = ktape(['export', d, '--perfetto', join(tmp(), 'x.pftrace')]);
    expect(e.status, e.stderr).toBe(0);
  });
});

describe('files outside the capture are never read', () => {
  it('a table linked into another capture is refused, not loaded', () => {
    const d = copyOf('demo', (x) => {
      rmSync(join(x, 'sched_switch.0000.arrows'));
      symlinkSync(join(FIXTURES, 'waits', 'sched_switch.0000.arrows'), join(x, 'sched_switch.0000.arrows'));
    });
    const cmds = COMMANDS(d, tmp());
    for (const cmd of [cmds[0], cmds[4], cmds[5]])
      expectCleanRefusal(cmd, /sched_switch\.0000\.arrows: is a symbolic link; only regular files inside the capture are read/);
  });

  it('a manifest linked to a secret is refused without printing a byte of it', () => {
    const secret = join(tmp(), 'secret');
    writeFileSync(secret, 'root:$6$very-secret-hash:19000:0:99999:7:::\n');
    const d = copyOf('demo', (x) => {
      rmSync(manifestPath(x));
      symlinkSync(secret, manifestPath(x));
    });
    const r = ktape(['analyze', d]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/manifest\.json: is a symbolic link/);
    expect(r.stderr).not.toMatch(/secret-hash|root:/);
  });

  // root drops to another user (root bypasses the permission); not root: skipped outside CI, a failure under CI=true
  it.skipIf(privilegedSkipReason())('an unreadable table is reported as EACCES (as a user without the permission)', () => {
    const d = copyOf('demo');
    chmodSync(join(d, 'stats.0000.arrows'), 0o000);
    execFileSync('chmod', ['-R', 'a+rX', join(d, '..')]);
    chmodSync(join(d, 'stats.0000.arrows'), 0o000);
    const r = spawnSyncText('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, 'analyze', d]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/stats\.0000\.arrows: permission denied \(EACCES\)/);
  });
});

function spawnSyncText(cmd: string, args: string[]) {
  try {
    const stdout = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { status: 0, stdout, stderr: '' };
  } catch (e: any) {
    return { status: e.status as number, stdout: String(e.stdout), stderr: String(e.stderr) };
  }
}

describe('no hang on a FIFO', () => {
  for (const name of ['manifest.json', 'sched_switch.0000.arrows']) {
    it(`a FIFO in place of ${name} is refused at once`, async () => {
      const d = copyOf('demo', (x) => {
        rmSync(join(x, name));
        execFileSync('mkfifo', [join(x, name)]);
      });
      const p = spawn(process.execPath, [CLI, 'analyze', d], { stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      p.stderr.on('data', (c) => (err += c));
      const killer = setTimeout(() => p.kill('SIGKILL'), 30_000);
      const code = await new Promise<number | null>((res) => p.on('exit', (c) => res(c)));
      clearTimeout(killer);
      expect(code, err).toBe(2);
      expect(err).toMatch(new RegExp(`${name.replace('.', '\\.')}: is a FIFO, not a regular file`));
    });
  }
});

describe('a hostile manifest is one line naming the field', () => {
  const cases: [string, (m: any) => void, RegExp][] = [
    ['start_ts "abc"', (m) => (m.start_ts = 'abc'), /field start_ts: /],
    ['start_ts 1e30', (m) => (m.start_ts = 1e30), /field start_ts: /],
    ['end_ts 9.3e18', (m) => (m.end_ts = 9.3e18), /field end_ts: /],
    ['end_ts before start_ts', (m) => (m.end_ts = m.start_ts - 5), /field end_ts: must be at or after start_ts/],
    ['host.cpus 1e12', (m) => (m.host.cpus = 1e12), /field host\.cpus: /],
    ['host.cpus -1', (m) => (m.host.cpus = -1), /field host\.cpus: /],
    ['host null', (m) => (m.host = null), /field host: /],
    ['host a number', (m) => (m.host = 5), /field host: /],
    ['command_line as a string', (m) => (m.command_line = 'rm -rf /'), /field command_line: /],
    ['files with a path', (m) => (m.tables.stats.files = ['../../etc/passwd']), /field tables\.stats\.files\[0\]: /],
    ['complete "yes"', (m) => (m.complete = 'yes'), /field complete: /],
  ];
  // the manifest is checked in one place for every command: all of them on the first case, the
  // analyzer and an exporter on the rest
  cases.forEach(([name, fn, re], k) => {
    it(name, () => {
      const d = copyOf('demo', (x) => editManifest(x, fn));
      const out = tmp();
      const cmds = COMMANDS(d, out);
      for (const cmd of k === 0 ? cmds : [cmds[0], cmds[5]]) expectCleanRefusal(cmd, re);
    });
  });
  it('a 200,000-deep array', () => {
    const d = copyOf('demo', (x) => {
      const m = readFileSync(manifestPath(x), 'utf8');
      writeFileSync(manifestPath(x), m.replace(/"command_line": \[[^\]]*\]/, `"command_line": ${'['.repeat(200000)}${']'.repeat(200000)}`));
    });
    expectCleanRefusal(['analyze', d], /manifest\.json: field command_line\[0\]: /);
    expectCleanRefusal(['export', d, '--chrome', join(tmp(), 'x.json')], /manifest\.json: field command_line\[0\]: /);
  });
});
