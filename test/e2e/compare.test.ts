/**
 * `ktape compare` on the fixture captures, through the built CLI.
 * cmp-new does 2x the getppid calls and 2x the spinning of cmp-base
 * (fixtures/README.md); fixtures/*.workload.json is the workloads' own,
 * independent report (schedstat CPU time of the spinning thread).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readTable } from '../../dist/formats/reader.js';
import { FIXTURES, ROOT, ktape, tmp } from '../helpers.js';

const BASE = join(FIXTURES, 'cmp-base');
const NEW = join(FIXTURES, 'cmp-new');

type Row = {
  group: string;
  metric: string;
  base: number | null;
  new: number | null;
  delta: number | null;
  delta_pct: number | null;
  change: string;
  significant: boolean;
  unit: string;
};
type Doc = {
  normalized: boolean;
  normalize_reason: string;
  duration_ratio: number;
  rows: Row[];
  rules: any[];
  breached_rules: number;
  caveats: string[];
  base: any;
  new: any;
};

function compareJson(args: string[]): { status: number | null; doc: Doc; stderr: string } {
  const r = ktape(['compare', ...args, '--json'], { cwd: ROOT });
  let doc: Doc;
  try {
    doc = JSON.parse(r.stdout);
  } catch {
    throw new Error(`compare ${args.join(' ')}: exit ${r.status}, no JSON on stdout; stderr: ${r.stderr}`);
  }
  return { status: r.status, doc, stderr: r.stderr };
}

function row(doc: Doc, group: string, metric: string): Row {
  const r = doc.rows.find((x) => x.group === group && x.metric === metric);
  if (!r) throw new Error(`no row ${group} ${metric}; rows: ${doc.rows.map((x) => `${x.group}/${x.metric}`).join(', ')}`);
  return r;
}

function workloads(name: string): any[] {
  return readFileSync(join(FIXTURES, `${name}.workload.json`), 'utf8')
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

function expectOneLineError(r: { status: number | null; stdout: string; stderr: string }, re: RegExp) {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stderr).toMatch(/^ktape: /);
  expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
  expect(r.stderr).toMatch(re);
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

describe('ktape compare: a capture with itself', () => {
  it('shows no change and exits 0, even with --fail-on rules', () => {
    const r = ktape(['compare', BASE, BASE, '--fail-on', 'cpu_ns>+0%,sched_latency_p99_ns>+0%,syscall.getppid.count>+0%,syscall_count<-0%']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^no changes: \d+ metrics in \d+ matched groups are identical$/m);
    expect(r.stdout).toMatch(/all 4 rules pass/);
  });

  it('--json: every row unchanged, delta 0, nothing significant', () => {
    const { status, doc } = compareJson([BASE, BASE]);
    expect(status).toBe(0);
    expect(doc.normalized).toBe(false);
    expect(doc.rows.length).toBeGreaterThan(5);
    for (const r of doc.rows) {
      expect(r.change, `${r.group} ${r.metric}`).toBe('unchanged');
      expect(r.delta).toBe(0);
      expect(r.significant).toBe(false);
    }
  });
});

describe('ktape compare: cmp-base vs cmp-new (2x syscalls, 2x CPU)', () => {
  let raw: Doc, norm: Doc, comm: Doc;
  beforeAll(() => {
    raw = compareJson([BASE, NEW, '--no-normalize']).doc;
    norm = compareJson([BASE, NEW]).doc;
    comm = compareJson([BASE, NEW, '--by', 'comm', '--no-normalize']).doc;
  });

  it('flags syscall.getppid.count: +, 2x (the workload made exactly N calls)', () => {
    const [b] = workloads('cmp-base'),
      [n] = workloads('cmp-new');
    const r = row(raw, 'ktape-workload', 'syscall.getppid.count');
    expect(r.base).toBe(b.n);
    expect(r.new).toBe(n.n);
    expect(r.change).toBe('increased');
    expect(r.significant).toBe(true);
    expect(r.new! / r.base!).toBeGreaterThan(2 * 0.85);
    expect(r.new! / r.base!).toBeLessThan(2 * 1.15);
  });

  it("flags the spinning process' cpu_ns: +, 2x within 15 %", () => {
    const r = row(raw, 'ktape-workload', 'cpu_ns');
    expect(r.change).toBe('increased');
    expect(r.significant).toBe(true);
    expect(r.delta_pct!).toBeGreaterThan(0);
    const ratio = r.new! / r.base!;
    expect(ratio).toBeGreaterThan(2 * 0.85);
    expect(ratio).toBeLessThan(2 * 1.15);
  });

  it('--by comm: the spinning thread kt-spin-0 matches its own schedstat CPU time within 5 %', () => {
    const spin = (name: string) => workloads(name).find((w) => w.mode === 'spin').workers[0];
    const b = spin('cmp-base'),
      n = spin('cmp-new');
    expect(b.comm).toBe('kt-spin-0');
    const r = row(comm, 'kt-spin-0', 'cpu_ns');
    expect(Math.abs(r.base! / b.cpu_ns - 1)).toBeLessThan(0.05);
    expect(Math.abs(r.new! / n.cpu_ns - 1)).toBeLessThan(0.05);
    expect(r.new! / r.base!).toBeGreaterThan(2 * 0.85);
    expect(r.new! / r.base!).toBeLessThan(2 * 1.15);
    expect(r.significant).toBe(true);
  });

  it('normalizes per second by default (durations differ > 5 %): ratio = raw ratio / duration ratio', () => {
    expect(norm.normalized).toBe(true);
    expect(norm.normalize_reason).toBe('durations_differ');
    const dr = norm.new.duration_ns / norm.base.duration_ns;
    expect(Math.abs(dr - 1)).toBeGreaterThan(0.05);
    expect(norm.duration_ratio).toBeCloseTo(dr, 5);
    for (const metric of ['cpu_ns', 'syscall.getppid.count']) {
      const rr = row(raw, 'ktape-workload', metric),
        nr = row(norm, 'ktape-workload', metric);
      expect(nr.unit).toBe(`${rr.unit}/s`);
      expect(nr.base!).toBeCloseTo((rr.base! * 1e9) / norm.base.duration_ns, 1);
      expect(nr.new!).toBeCloseTo((rr.new! * 1e9) / norm.new.duration_ns, 1);
      expect(nr.new! / nr.base!).toBeCloseTo(rr.new! / rr.base! / dr, 3);
      expect(nr.change).toBe('increased');
    }
    // distributions (percentiles) are never normalized
    const p = row(norm, 'ktape-workload', 'syscall.getppid.p99_ns'),
      q = row(raw, 'ktape-workload', 'syscall.getppid.p99_ns');
    expect([p.base, p.new, p.unit]).toEqual([q.base, q.new, 'ns']);
  });

  it('--normalize forces normalization of a self-compare (values per second)', () => {
    const { doc } = compareJson([BASE, BASE, '--normalize']);
    expect(doc.normalized).toBe(true);
    expect(doc.normalize_reason).toBe('forced');
    expect(row(doc, 'ktape-workload', 'cpu_ns').unit).toBe('ns/s');
  });

  it('sorts by largest relative change and reports losses as a caveat', () => {
    // trusted rows first, then rows with too few samples; each part by decreasing |delta %|
    const mag = (r: Row) => (r.delta_pct === null ? Infinity : Math.abs(r.delta_pct));
    const rows = raw.rows as (Row & { low_samples: boolean })[];
    const firstLow = rows.findIndex((r) => r.low_samples);
    expect(firstLow).toBeGreaterThan(0);
    for (let i = 1; i < rows.length; i++) {
      if (i === firstLow) continue;
      expect(rows[i - 1].low_samples && !rows[i].low_samples).toBe(false);
      expect(mag(rows[i - 1])).toBeGreaterThanOrEqual(mag(rows[i]));
    }
    // both fixtures have kernel_gap losses (manifest summary.kernel_gaps)
    expect(raw.base.lost_events).toBeGreaterThan(0);
    expect(raw.caveats.join('\n')).toMatch(/BASE .* lost \d+ events? \(kernel_gap/);
  });

  it('text table: aligned columns, significance markers, caveats', () => {
    const r = ktape(['compare', BASE, NEW, '--no-normalize'], { cwd: ROOT });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const header = lines.findIndex((l) => /GROUP\s+METRIC\s+BASELINE\s+NEW\s+DELTA\s+DELTA %/.test(l));
    expect(header).toBeGreaterThan(0);
    const cpu = lines.find((l) => /ktape-workload\s+cpu_ns\s/.test(l))!;
    expect(cpu).toMatch(/^\*/);
    expect(cpu).toMatch(/\+12\d\.\d %$/);
    const end = lines[header].length;
    expect(lines[header + 1].length).toBe(end); // right-aligned DELTA % column
    expect(r.stdout).toMatch(/^caveat: BASE .* lost/m);
  });

  it('noise guard: --min-count/--min-time hide small groups; 0 shows them all', () => {
    const strict = compareJson([BASE, NEW, '--min-count', '100000', '--min-time', '10s']).doc;
    expect(strict.rows).toHaveLength(0);
    const all = compareJson([BASE, NEW, '--min-count', '0', '--min-time', '0']).doc;
    expect(all.rows.length).toBeGreaterThan(norm.rows.length);
    expect(all.rows.some((r) => r.group === 'sh' && r.metric === 'syscall.execve.count')).toBe(true);
    expect(norm.rows.some((r) => r.group === 'sh' && r.metric === 'syscall.execve.count')).toBe(false);
  });

  it("--by exec groups by the exec'd file", () => {
    const { doc } = compareJson([BASE, NEW, '--by', 'exec', '--no-normalize']);
    const r = row(doc, 'build/ktape-workload', 'syscall.getppid.count');
    expect(r.new! / r.base!).toBe(2);
  });
});

describe('ktape compare --fail-on', () => {
  // --no-normalize, group ktape-workload: getppid count 10000 -> 20000 (exactly +100 %),
  // cpu_ns about 190 ms -> 420 ms (+121 %)
  const G = 'ktape-workload';
  let cpuB = 0,
    cpuN = 0;
  beforeAll(() => {
    const r = row(compareJson([BASE, NEW, '--no-normalize']).doc, G, 'cpu_ns');
    cpuB = r.base!;
    cpuN = r.new!;
  });

  it('every operator, relative (signed and unsigned %), absolute delta and value, with time units', () => {
    const ms = (ns: number) => ns / 1e6;
    const cases: [string, boolean][] = [
      [`syscall.getppid.count[${G}]>+100%`, false],
      [`syscall.getppid.count[${G}]>=+100%`, true],
      [`syscall.getppid.count[${G}]<+100%`, false],
      [`syscall.getppid.count[${G}]<=+100%`, true],
      [`syscall.getppid.count[${G}]>=100%`, true],
      [`syscall.getppid.count[${G}]<-10%`, false],
      [`syscall.getppid.count[${G}]>=+10000`, true],
      [`syscall.getppid.count[${G}]>+10000`, false],
      [`syscall.getppid.count[${G}]<=20000`, true],
      [`syscall.getppid.count[${G}]<20000`, false],
      [`syscall.getppid.count[${G}]>=20000`, true],
      [`syscall.getppid.count[${G}]>20000`, false],
      [`cpu_ns[${G}]>+${Math.floor(ms(cpuN - cpuB))}ms`, true],
      [`cpu_ns[${G}]>+${Math.ceil(ms(cpuN - cpuB))}ms`, false],
      [`cpu_ns[${G}]>=+${Math.floor((cpuN - cpuB) / 1e3)}us`, true],
      [`cpu_ns[${G}]<=+${cpuN - cpuB - 1}ns`, false],
      [`cpu_ns[${G}]<=+${cpuN - cpuB}`, true],
      [`cpu_ns[${G}]>=${(Math.floor(cpuN / 1e7) / 100).toFixed(2)}s`, true],
      [`cpu_ns[${G}]<${(Math.floor(cpuN / 1e7) / 100).toFixed(2)}s`, false],
      [`cpu_ns[${G}]>+150%`, false],
      [`cpu_ns[${G}]>+50%`, true],
      ['syscall.getppid.p99_ns<1ms', true],
      ['syscall.getppid.p99_ns>1ms', false],
    ];
    const r = ktape(['compare', BASE, NEW, '--no-normalize', '--json', ...cases.flatMap(([c]) => ['--fail-on', c])], { cwd: ROOT });
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as Doc;
    expect(doc.rules).toHaveLength(cases.length);
    cases.forEach(([rule, breached], i) => {
      expect(doc.rules[i].rule).toBe(rule);
      expect(doc.rules[i].breached, `${rule}: ${JSON.stringify(doc.rules[i])}`).toBe(breached);
      expect(doc.rules[i].groups_evaluated, rule).toBeGreaterThan(0);
    });
    expect(doc.breached_rules).toBe(cases.filter(([, b]) => b).length);
    // one summary line on stderr naming the breached rules
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^ktape: compare: \d+ of \d+ --fail-on rules breached: .*syscall\.getppid\.count\[ktape-workload\]>=\+100%/);
  });

  it('decreases: NEW vs BASE swapped breaches <-50 %', () => {
    const r = ktape(
      ['compare', NEW, BASE, '--no-normalize', '--fail-on', `cpu_ns[${G}]<-50%,syscall.getppid.count[${G}]<=-50%,syscall.getppid.count[${G}]<-50%`],
      { cwd: ROOT },
    );
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/FAIL {2}cpu_ns\[ktape-workload\]<-50% {2}ktape-workload: -5\d\.\d %/);
    expect(r.stdout).toMatch(/FAIL {2}syscall\.getppid\.count\[ktape-workload\]<=-50%/);
    expect(r.stdout).toMatch(/ok {4}syscall\.getppid\.count\[ktape-workload\]<-50%/);
  });

  it('unqualified rules check every group shown; no breach exits 0', () => {
    const r = ktape(['compare', BASE, NEW, '--no-normalize', '--fail-on', 'syscall.getppid.count>+200%', '--fail-on', 'cpu_ns>+1000%'], { cwd: ROOT });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/all 2 rules pass/);
  });

  it('byte units (B, KiB, MiB) on kmem metrics', () => {
    const demo = join(FIXTURES, 'demo');
    const { doc } = compareJson([demo, demo]);
    const k = doc.rows.find((x) => x.metric === 'kmalloc_bytes' && x.base! > 2048)!;
    expect(k).toBeTruthy();
    const b = k.base!,
      g = k.group;
    const cases: [string, boolean][] = [
      [`kmalloc_bytes[${g}]>=${b}B`, true],
      [`kmalloc_bytes[${g}]>${b}`, false],
      [`kmalloc_bytes[${g}]>=${Math.floor(b / 1024)}KiB`, true],
      [`kmalloc_bytes[${g}]<${Math.floor(b / 1024)}KiB`, false],
      [`kmalloc_bytes[${g}]<${(b / 1048576 + 0.001).toFixed(3)}MiB`, true],
      [`kmalloc_bytes[${g}]>+0B`, false],
      [`kmalloc_bytes[${g}]<=+0KiB`, true],
    ];
    const r = ktape(['compare', demo, demo, '--json', '--fail-on', cases.map(([c]) => c).join(',')]);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as Doc;
    cases.forEach(([rule, breached], i) => {
      expect(out.rules[i].breached, rule).toBe(breached);
    });
  });

  const bad: [string, RegExp][] = [
    ['cpu_ns>>5%', /unsupported operator '>>'/],
    ['cpu_ns=5', /unsupported operator '='/],
    ['cpu_ns=>5', /unsupported operator '=>'/],
    ['cpu_ns 10%', /no comparison operator/],
    ['cpu_ns>', /missing threshold/],
    ['cpu_ns>ten%', /not a number/],
    ['cpu_ns>5%x', /not a number/],
    ['cpu_time>+10%', /unknown metric 'cpu_time'; choose from .*cpu_ns/],
    ['syscall.nosuchcall.count>1', /'nosuchcall' is not a system call name/],
    ['syscall.read.p50_ns>1', /'p50_ns' is not a syscall statistic/],
    ['cpu_ns>5KiB', /unit 'KiB' does not fit cpu_ns/],
    ['kmalloc_bytes>5ms', /unit 'ms' does not fit kmalloc_bytes/],
    ['switches>3s', /unit 's' does not fit switches \(count\)/],
    ['cpu_ns>+10%,', /empty rule/],
    ['cpu_ns[no-such-process]>+10%', /no group 'no-such-process' \(by process\) in either capture/],
  ];
  for (const [rule, re] of bad) {
    it(`malformed rule '${rule}': exit 2, one line`, () => {
      const r = ktape(['compare', BASE, NEW, '--fail-on', rule]);
      expectOneLineError(r, re);
      expect(r.stderr).toContain('--fail-on');
    });
  }
});

describe('ktape compare: input errors', () => {
  it('not a capture: exit 2, one line naming BASE or NEW', () => {
    const empty = tmp();
    expectOneLineError(ktape(['compare', empty, NEW]), /compare BASE: .*manifest\.json: missing; .* is not a ktape capture/);
    expectOneLineError(ktape(['compare', BASE, join(empty, 'nope')]), /compare NEW: .*no such capture directory/);
  });

  it('incompatible format version: exit 2, one line', () => {
    const d = join(tmp(), 'v2');
    mkdirSync(d);
    cpSync(BASE, d, { recursive: true });
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8'));
    m.format_version = '2.0';
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    expectOneLineError(ktape(['compare', BASE, d]), /compare NEW: .*capture format version 2\.0 is not supported/);
  });

  it('bad flag values: exit 2, one line', () => {
    expectOneLineError(ktape(['compare', BASE, NEW, '--min-time', '5parsecs']), /--min-time 5parsecs: not a duration/);
    expectOneLineError(ktape(['compare', BASE, NEW, '--min-count', '-1']), /--min-count -1: not an integer/);
    expectOneLineError(ktape(['compare', BASE, NEW, '--top', 'x']), /--top x: not an integer/);
    expect(ktape(['compare', BASE, NEW, '--by', 'pid']).status).toBe(2);
  });

  it('--folded-diff without kmem events: exit 2, one line', () => {
    expectOneLineError(ktape(['compare', BASE, NEW, '--folded-diff', join(tmp(), 'x.folded')]), /no kmem events/);
  });

  it('--help documents the rule grammar and exit codes', () => {
    const r = ktape(['compare', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/METRIC\[GROUP\]OP VALUE/);
    expect(r.stdout).toMatch(/Exit status: 0 .*; 1 .*\n\s+2 /);
  });
});

describe('ktape compare --folded-diff', () => {
  it('writes two-column differential folded allocation stacks, root first, counts match the raw tables', () => {
    const demo = join(FIXTURES, 'demo'),
      leak = join(FIXTURES, 'leak');
    const out = join(tmp(), 'kmem.folded');
    const r = ktape(['compare', demo, leak, '--folded-diff', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = readFileSync(out, 'utf8').trimEnd().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    let sb = 0,
      sn = 0;
    for (const l of lines) {
      const m = /^(\S+) (\d+) (\d+)$/.exec(l);
      expect(m, l).toBeTruthy();
      const frames = m![1].split(';');
      expect(frames.length).toBeGreaterThan(1);
      expect(frames.at(-1)).not.toMatch(/^bpf_prog_|^bpf_trace_run/); // ktape's own probe frames are dropped
      sb += Number(m![2]);
      sn += Number(m![3]);
    }
    // root first: entry points come right after the group (process) frame
    expect(lines.some((l) => /^[^;]+;(entry_SYSCALL_64\w*|asm_exc_page_fault|ret_from_fork\w*);/.test(l))).toBe(true);
    const allocs = (dir: string) => {
      let n = 0;
      for (const b of readTable(dir, 'kmem_alloc').batches) {
        const ptr = b.getChild('ptr')!;
        for (let i = 0; i < b.numRows; i++) if (BigInt(ptr.get(i)) !== 0n) n++;
      }
      return n;
    };
    expect(sb).toBe(allocs(demo));
    expect(sn).toBe(allocs(leak));
  });

  it('a capture against itself: both columns equal', () => {
    const demo = join(FIXTURES, 'demo');
    const out = join(tmp(), 'self.folded');
    expect(ktape(['compare', demo, demo, '--folded-diff', out]).status).toBe(0);
    for (const l of readFileSync(out, 'utf8').trimEnd().split('\n')) {
      const [, a, b] = /^\S+ (\d+) (\d+)$/.exec(l)!;
      expect(a).toBe(b);
    }
  });
});
