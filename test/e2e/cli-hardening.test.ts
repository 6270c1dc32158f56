/**
 * Issue 8, CLI items, through the built CLI: terminal-safe human output (11), the `ktape query`
 * sandbox (13), --comm regexes and durations checked like the engine that uses them (14), one-line
 * usage errors with a hint (15), one number syntax for every flag (16), and stable error codes with
 * --verbose.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, ROOT, FIXTURES, ktape, tmp } from '../helpers.js';

const DEMO = join(FIXTURES, 'demo');
const ESC = '\x1b[2J\x1b]0;pwn\x07'; // clear screen, set the window title
const NL = 'a\nb'; // forges a table row
const BIDI = '\u202eevil'; // right-to-left override
/** raw terminal controls (C0 but \n, DEL, C1) and bidi overrides: none may reach a human output */
const RAW = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** fixtures/demo with three threads renamed (task_rename rewritten by the recorder's own writer). */
async function evilCapture(): Promise<string> {
  const dir = join(tmp('ktape-evil-'), 'cap');
  cpSync(DEMO, dir, { recursive: true });
  const r = ktape(['query', DEMO, 'SELECT * FROM _task_rename ORDER BY ts', '--json']);
  expect(r.status, r.stderr).toBe(0);
  const rows = JSON.parse(r.stdout) as Record<string, any>[];
  const evil: Record<string, string> = { 'kt-busy-0': ESC, 'kt-busy-1': NL, 'kt-syscalls': BIDI };
  rmSync(join(dir, 'task_rename.0000.arrows'));
  const { TableWriter, CaptureSink } = await import(join(ROOT, 'dist/record/writer.js'));
  const w = new TableWriter(dir, 'task_rename', 64, CaptureSink ? new CaptureSink(dir) : undefined);
  for (const row of rows) w.push({ ...row, ts: BigInt(row.ts), newcomm: evil[row.newcomm] ?? row.newcomm });
  w.close();
  // the manifest's row count stays what was written
  const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  expect(m.tables.task_rename.rows).toBe(rows.length);
  return dir;
}

function expectUsage(args: string[], pattern: RegExp, status = 2): string {
  const r = ktape(args, { timeout: 60_000 });
  expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(status);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^ktape: /);
  expect(lines[0]).toMatch(pattern);
  return lines[0];
}

describe('item 11: capture-controlled strings cannot drive the terminal', () => {
  let cap = '';
  beforeAll(async () => {
    cap = await evilCapture();
  });

  it('the crafted capture really holds the raw strings (JSON keeps them)', () => {
    const r = ktape(['analyze', cap, 'cpu', '--json', '--top', '50']);
    expect(r.status, r.stderr).toBe(0);
    const comms = JSON.parse(r.stdout).tasks.map((t: any) => t.comm);
    expect(comms).toContain(ESC);
    expect(comms).toContain(NL);
    const csv = ktape(['analyze', cap, 'cpu', '--csv', '--top', '50']);
    expect(csv.stdout).toContain(`"${NL}"`);
  });

  it('every report escapes them, and the cpu table stays aligned', () => {
    for (const rep of ['summary', 'cpu', 'sched-latency', 'syscalls', 'tasks', 'offcpu', 'switches', 'leaks']) {
      const r = ktape(['analyze', cap, rep, '--top', '50']);
      expect(r.status, `${rep}: ${r.stderr}`).toBe(0);
      expect(r.stdout, rep).not.toMatch(RAW);
      expect(
        r.stdout.split('\n').some((l) => /^b\b/.test(l)),
        `${rep}: a forged row`,
      ).toBe(false);
    }
    const cpu = ktape(['analyze', cap, 'cpu', '--top', '50']).stdout;
    expect(cpu).toContain('\\x1b[2J\\x1b]0;pwn\\x07');
    expect(cpu).toContain('a\\nb');
    expect(cpu).toContain('\\u{202e}evil');
    // the last column is numeric (right-aligned): every line of the table has the same width
    const table = cpu.split('\n\n')[0].split('\n').slice(1);
    expect(table.length).toBeGreaterThan(3);
    expect(new Set(table.map((l) => l.length)).size, table.join('\n')).toBe(1);
    const tree = ktape(['analyze', cap, 'tasks']).stdout;
    expect(tree).toContain('a\\nb');
  });

  it('query tables escape values; JSON and CSV keep them', () => {
    const sql = "SELECT chr(27) || '[2J' AS x, 'a' || chr(10) || 'b' AS y, chr(8238) || 'z' AS z, 7 AS n";
    const r = ktape(['query', DEMO, sql]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout.trim().split('\n')).toHaveLength(3); // header, one row, (1 row)
    expect(r.stdout).toContain('\\x1b[2J');
    expect(r.stdout).toContain('a\\nb');
    const j = ktape(['query', DEMO, sql, '--json']);
    expect(JSON.parse(j.stdout)).toEqual([{ x: '\x1b[2J', y: 'a\nb', z: '\u202ez', n: 7 }]);
  });

  it('compare names the evil groups escaped', () => {
    const r = ktape(['compare', DEMO, cap, '--by', 'comm', '--top', '0', '--min-count', '0', '--min-time', '0']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('a\\nb');
  });

  it('an error message quoting a control character is one escaped line', () => {
    const line = expectUsage(['analyze', DEMO, '--top', '\x1b[2J5'], /--top \\x1b\[2J5: expected an integer/);
    expect(line).not.toMatch(RAW);
  });
});

describe('item 13: ktape query runs sandboxed', () => {
  const dir = tmp('ktape-sandbox-');
  const secret = join(dir, 'secret.txt');
  writeFileSync(secret, 'TOPSECRET\n');
  const refused = (sql: string, pattern = /query refused: .*\(ktape query runs sandboxed; use --unsafe/) => {
    const r = ktape(['query', DEMO, sql]);
    expect(r.status, `${sql}: ${r.stderr}`).toBe(1);
    expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stdout).not.toContain('TOPSECRET');
  };

  it('file reads are refused', () => {
    refused(`SELECT * FROM read_text('${secret}')`);
    refused(`SELECT * FROM read_csv('${secret}')`);
    refused(`SELECT * FROM glob('${dir}/*')`);
  });
  it('COPY TO, EXPORT DATABASE and ATTACH of a file are refused and write nothing', () => {
    const out = join(dir, 'out.csv');
    refused(`COPY (SELECT * FROM threads) TO '${out}'`);
    refused(`EXPORT DATABASE '${join(dir, 'exp')}'`);
    refused(`ATTACH '${join(dir, 'x.duckdb')}' AS x`);
    for (const f of ['out.csv', 'exp', 'x.duckdb']) expect(existsSync(join(dir, f)), f).toBe(false);
  });
  it('extensions cannot be installed or loaded, and the settings are locked', () => {
    refused('INSTALL httpfs');
    refused('LOAD httpfs');
    refused('SET enable_external_access = true');
    refused('SET lock_configuration = false');
    refused('RESET enable_external_access');
  });
  it('exactly one statement per query (argument and stdin)', () => {
    const out = join(dir, 'two.csv');
    expectUsage(['query', DEMO, 'SELECT 1; SELECT 2'], /query: 2 statements in one query; give exactly one/);
    expectUsage(['query', DEMO, `SET enable_external_access = false; COPY (SELECT 1) TO '${out}'`], /2 statements/);
    const r = ktape(['query', DEMO], { input: `SELECT 1; COPY (SELECT 1) TO '${out}';\n` });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/2 statements/);
    expect(existsSync(out)).toBe(false);
  });
  it('normal queries still work, in memory and with --db (cold and warm)', () => {
    const sql = 'SELECT count(*) AS n FROM sched_slices';
    const want = JSON.parse(ktape(['query', DEMO, sql, '--json']).stdout)[0].n;
    expect(want).toBeGreaterThan(1000);
    const db = join(dir, 'cap.duckdb');
    for (let i = 0; i < 2; i++) {
      const r = ktape(['query', DEMO, sql, '--json', '--db', db]);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)[0].n).toBe(want);
    }
    const m = ktape(['query', DEMO, sql, '--json', '--memory-limit', '1GB']); // loaded into a temporary database file
    expect(JSON.parse(m.stdout)[0].n).toBe(want);
  });
  it('the interactive shell (on a TTY, via script(1)) is sandboxed and escapes values too', () => {
    const has = spawnSync('script', ['--version']).status === 0;
    if (!has && process.env.CI === 'true') throw new Error('CI=true but script(1) is missing (util-linux): the shell test needs its pseudo-terminal');
    if (!has) return void console.warn('[skip] script(1) not installed: no pseudo-terminal for the shell test');
    const input = `SELECT * FROM read_text('${secret}');\nSELECT chr(27) || 'x' AS e;\nSELECT 1; SELECT 2;\n.quit\n`;
    const r = spawnSync('script', ['-qec', `${process.execPath} ${CLI} query ${DEMO}`, '/dev/null'], { input, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toMatch(/error: query refused: Permission Error: .*\(ktape query runs sandboxed/);
    expect(r.stdout).not.toContain('TOPSECRET');
    expect(r.stdout).toMatch(/error: query: 2 statements in one query/);
    expect(r.stdout).toContain('\\x1bx');
    expect(r.stdout).not.toContain('\x1bx');
  });
  it('--unsafe gives DuckDB its full power: files and several statements', () => {
    const out = join(dir, 'unsafe.csv');
    const r = ktape(['query', DEMO, '--unsafe', '--json', `COPY (SELECT 42 AS v) TO '${out}'; SELECT * FROM read_csv('${out}')`]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ v: 42 }]);
    expect(readFileSync(out, 'utf8')).toMatch(/42/);
    expect(ktape(['query', '--help']).stdout.replace(/\s+/g, ' ')).toMatch(
      /--unsafe no sandbox: DuckDB's full power: file access, ATTACH, extensions, several statements/,
    );
  });
});

describe('item 14: --comm regexes and durations are checked like the engine uses them', () => {
  it('regexes RE2 refuses (lookarounds, backreferences) exit 2 naming --comm, for every report', () => {
    for (const re of ['(?=k)kt', '(k)\\1', '(?<!x)kt'])
      for (const rep of ['summary', 'cpu', 'tasks'])
        expectUsage(['analyze', DEMO, rep, '--comm', re], /^ktape: --comm .*: not a valid regular expression \(RE2, as DuckDB runs it: /);
  });
  it('RE2 syntax JS lacks works the same in SQL and in the process tree', () => {
    const cpu = ktape(['analyze', DEMO, 'cpu', '--comm', '(?i)^KT-BUSY', '--json']);
    expect(cpu.status, cpu.stderr).toBe(0);
    expect(
      JSON.parse(cpu.stdout)
        .tasks.map((t: any) => t.comm)
        .sort(),
    ).toEqual(['kt-busy-0', 'kt-busy-1']);
    const tasks = ktape(['analyze', DEMO, 'tasks', '--comm', '(?i)^KT-DEMO$']);
    expect(tasks.status, tasks.stderr).toBe(0);
    expect(tasks.stdout).toMatch(/kt-demo \(6697\)/);
  });
  it('durations that overflow are refused naming the flag, in analyze, compare and export', () => {
    const big = '99999999999999999999s';
    for (const f of ['--since', '--until', '--at']) expectUsage(['analyze', DEMO, 'leaks', f, big], new RegExp(`${f} ${big}: too long`));
    expectUsage(['analyze', DEMO, 'leaks', '--min-age', big], /--min-age 99999999999999999999s: too long/);
    expectUsage(['analyze', DEMO, 'leaks', '--min-age', '200000000m'], /--min-age 200000000m: too long/);
    expectUsage(['compare', DEMO, DEMO, '--min-time', big], /compare --min-time/);
    expectUsage(['export', DEMO, '--perfetto', join(tmp(), 'x.pftrace'), '--since', big], /export --since .*too long/);
    // the bound itself is fine
    expect(ktape(['analyze', DEMO, 'leaks', '--min-age', '9000000s', '--json']).status).toBe(0);
  });
});

describe('item 15: a usage error is one line with a hint, not the help', () => {
  const cases: [string[], RegExp][] = [
    [['analyze', DEMO, '--bogus'], /unknown option '--bogus' \(see 'ktape analyze --help'\)$/],
    [['analyze'], /missing required argument 'capture' \(see 'ktape analyze --help'\)$/],
    [['analyze', DEMO, 'nosuch'], /'nosuch' is invalid for argument 'report'.*\(see 'ktape analyze --help'\)$/],
    [['analyze', DEMO, '--top', 'x'], /--top x: expected an integer from 1 to \d+ \(see 'ktape analyze --help'\)$/],
    [['query', DEMO, 'SELECT 1', '--json', '--csv'], /--json and --csv: choose one \(see 'ktape query --help'\)$/],
    [['compare', DEMO], /missing required argument 'new' \(see 'ktape compare --help'\)$/],
    [['export', DEMO, '--bogus'], /unknown option '--bogus' \(see 'ktape export --help'\)$/],
    [['nosuch'], /unknown command 'nosuch' \(see 'ktape --help'\)$/],
  ];
  for (const [args, re] of cases) {
    it(args.join(' ').replace(DEMO, 'demo'), () => {
      const r = ktape(args);
      expect(r.stderr).not.toMatch(/Usage:|Options:/);
      expectUsage(args, re);
    });
  }
});

describe('item 16: one decimal number syntax for every numeric flag', () => {
  const out = tmp('ktape-num-');
  // record refuses these while parsing flags (no privileges needed); -o and --duration bound it if not
  const rec = (...a: string[]) => ['record', '-q', '-o', join(out, `r${a.join('')}`), ...a];
  const cases: [string[], RegExp][] = [
    [rec('--duration', '0x1'), /--duration 0x1: expected a number/],
    [rec('--duration', '1e1'), /--duration 1e1: expected a number/],
    [rec('--duration', '1', '--pid', '0x10'), /--pid 0x10: expected an integer/],
    [rec('--duration', '1', '--buffer-mb', '0x40'), /--buffer-mb 0x40: expected an integer/],
    [rec('--duration', '1', '--stack-depth', '1.5'), /--stack-depth 1.5: expected an integer/],
    [['analyze', DEMO, '--top', '0x10'], /--top 0x10: expected an integer/],
    [['analyze', DEMO, '--pid', '1e3'], /--pid 1e3: expected an integer/],
    [['analyze', DEMO, '--since', '0x1'], /--since 0x1: expected a duration/],
    [['analyze', DEMO, '--until', '1e3ms'], /--until 1e3ms: expected a duration/],
    [['export', DEMO, '--perfetto', join(out, 'x'), '--pid', '0x10'], /export --pid 0x10: '0x10' is not a process id/],
    [['export', DEMO, '--perfetto', join(out, 'x'), '--since', '.5s'], /export --since: '.5s' is not a time offset/],
    [['compare', DEMO, DEMO, '--top', '0x10'], /compare --top 0x10: not an integer/],
    [['compare', DEMO, DEMO, '--min-count', '1e2'], /compare --min-count 1e2: not an integer/],
    [['compare', DEMO, DEMO, '--fail-on', 'cpu_ns>+1e1%'], /--fail-on rule 'cpu_ns>\+1e1%'/],
    [['demo', '--ms', '0x10'], /--ms 0x10: expected an integer/],
  ];
  for (const [args, re] of cases) it(args.join(' ').replace(DEMO, 'demo').replace(out, 'tmp'), () => expectUsage(args, re));
  it('plain decimals are accepted', () => {
    const r = ktape(['analyze', DEMO, 'cpu', '--top', '3', '--since', '0.05', '--until', '150ms', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).tasks).toHaveLength(3);
  });
});

describe('error codes: stable, shown with --verbose, exit statuses from one table', () => {
  it('--verbose prefixes the code; without it there is none', () => {
    const empty = tmp('ktape-nocap-');
    expectUsage(['--verbose', 'analyze', DEMO, '--top', 'x'], /^ktape: \[E_USAGE\] --top x/);
    expectUsage(['analyze', DEMO, '--bogus', '--verbose'], /^ktape: \[E_USAGE\] unknown option '--bogus'/);
    expectUsage(['--verbose', 'analyze', empty], /^ktape: \[E_MANIFEST_MISSING\] /);
    expectUsage(['--verbose', 'query', DEMO, 'SELECT 1; SELECT 2'], /^ktape: \[E_QUERY_STATEMENTS\] /);
    expectUsage(['--verbose', 'query', DEMO, "SELECT * FROM read_text('/etc/hostname')"], /^ktape: \[E_QUERY_SANDBOX\] /, 1);
    expectUsage(['--verbose', 'query', DEMO, 'SELECT nosuch'], /^ktape: \[E_QUERY\] query failed: /, 1);
    expectUsage(['--verbose', 'export', DEMO, '--perfetto', join(empty, 'x'), '--pid', 'x'], /^ktape: \[E_EXPORT_PID\] /);
    expectUsage(['--verbose', 'compare', DEMO, DEMO, '--fail-on', 'nosuch>1'], /^ktape: \[E_RULE_METRIC\] /);
    expect(ktape(['analyze', empty]).stderr).not.toMatch(/\[E_/);
  });
  it('every class takes its exit status from formats/errors.ts EXIT', async () => {
    const m = await import(join(ROOT, 'dist/formats/errors.js'));
    expect(new m.UsageError('x').exitCode).toBe(m.EXIT.usage);
    expect(new m.CaptureError('E_X', 'x').exitCode).toBe(m.EXIT.capture);
    expect(new m.UnsupportedError('E_X', 'x').exitCode).toBe(m.EXIT.unsupported);
    expect(new m.BpfError('E_X', 'x').exitCode).toBe(m.EXIT.bpf);
    expect(m.exitStatus(new Error('bug'))).toEqual({ status: m.EXIT.internal, code: 'E_INTERNAL' });
    expect(m.exitStatus(new m.KtapeError('E_Q', 'x'))).toEqual({ status: m.EXIT.failure, code: 'E_Q' });
    expect(m.exitStatus(Object.assign(new Error('x'), { code: 'commander.unknownOption' }))).toEqual({ status: m.EXIT.usage, code: 'E_USAGE' });
  });
});
