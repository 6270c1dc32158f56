import { type Command, Option } from 'commander';
import { parseDuration, parseNumber } from './args.js';
import { compareDirs, runCompare } from '../compare/index.js';
import { formatJson, formatText, breachSummary } from '../compare/format.js';
import { parseRules } from '../compare/rules.js';
import { metricsHelp, type GroupBy } from '../compare/metrics.js';
import { captureDistributions, compareData } from '../html/compare.js';
import { checkOutput, renderPage, writePage } from '../html/page.js';
import type { HtmlDistribution } from '../families/family.js';

const parseTime = (flag: string, v: string) =>
  parseDuration(`compare ${flag}`, v, {
    bareUnit: 'ns',
    units: ['ns', 'us', 'µs', 'ms', 's'],
    code: 'E_COMPARE_TIME',
    message: `compare ${flag} ${v}: not a duration; use a decimal number with ns, us, ms or s (e.g. 1ms)`,
  });

const parseCount = (flag: string, v: string, min: number) =>
  parseNumber(`compare ${flag}`, v, {
    min,
    max: 2 ** 31 - 1,
    integer: true,
    code: 'E_COMPARE_COUNT',
    message: `compare ${flag} ${v}: not an integer >= ${min} (at most ${2 ** 31 - 1})`,
  });

const collectList = (v: string, prev: string[]) => [...prev, v];

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      'compare two captures (baseline and candidate): CPU, scheduling latency, syscalls, kernel memory and tasks per process; CI thresholds with --fail-on',
    )
    .argument('<base>', 'baseline capture directory (with --host: a collector directory)')
    .argument('[new]', 'candidate capture directory (omit it to compare two hosts of BASE)')
    .option(
      '--host <name>',
      "a collector directory's host: once (the same host in BASE and NEW) or twice (BASE's host, then NEW's)",
      collectList,
      [] as string[],
    )
    .addOption(
      new Option('--by <key>', 'match tasks across captures by thread name (comm), process name, or exec file')
        .choices(['comm', 'process', 'exec'])
        .default('process'),
    )
    .option('--normalize', 'compare totals per second of capture (default: on when the durations differ by more than 5 %)')
    .option('--no-normalize', 'compare raw totals even when the durations differ')
    .option(
      '--fail-on <rules>',
      'exit 1 when a rule is breached, e.g. cpu_ns>+10%,sched_latency_p99_ns>+20% (repeatable; grammar below)',
      collectList,
      [] as string[],
    )
    .option('--min-count <n>', 'noise guard: ignore groups, and count rows, with fewer events than this in both captures', '20')
    .option('--min-time <t>', 'noise guard: ignore groups with less CPU time, and time rows below this, in both captures', '5ms')
    .option('--folded-diff <file>', 'write differential folded allocation stacks (stack count_base count_new) for flamegraph.pl')
    .option('--html <file>', 'also write the comparison as one self-contained HTML page (rules, largest changes, distributions, allocation diff)')
    .option('--json', 'machine-readable output on stdout')
    .option('--top <n>', 'show at most N changed rows (0 = all; default 40; --json: all unless given)')
    .addHelpText(
      'after',
      `
Groups: tasks are matched by name, since pids differ between runs. --by process (default): the
  name of the process' main thread; --by comm: each thread's own name; --by exec: the file the
  process exec'd (else the first word of its command line). ktape's own recorder is left out.

Metrics (per group; units in the names, plain = count):
${metricsHelp()
  .map((l) => `  ${l}`)
  .join('\n')}
  Totals (cpu, counts, bytes allocated) are divided by the capture duration when normalizing;
  percentiles, maxima, outstanding bytes and thread counts never are.

--fail-on rules (comma-separated; the option can be repeated):
  METRIC[GROUP]OP VALUE      OP: >  >=  <  <=      [GROUP] optional (default: every group shown)
  VALUE  +10%  -5%  10%      relative change, (new - base) / base (sign optional)
         +2ms  -100  +1MiB   absolute change, new - base (a sign is required)
         5ms  1000  64KiB    the NEW value itself (no sign)
  units  ns us ms s for *_ns metrics; B KiB MiB GiB for *_bytes; plain numbers for counts
  A metric that appeared (base 0) counts as an infinite increase.

Hosts: ktape collect writes DIR/HOST/RECORDING/; \`compare DIR --host a --host b\` compares host a's
  capture (BASE) with host b's (NEW); \`compare monday tuesday --host a\` compares host a across two
  collector directories. A host with several recordings there: pass the capture directories.

Exit status: 0 no rule breached; 1 a rule breached (listed on stderr and in the output);
  2 bad arguments, bad rule or unknown metric, or an unreadable/incompatible capture.

Examples:
  ktape compare base new
  ktape compare base new --by comm --no-normalize --top 0
  ktape compare base new --fail-on 'cpu_ns>+10%,sched_latency_p99_ns>+20%,syscall.read.p99_ns>+25%'
  ktape compare base new --fail-on 'cpu_ns[nginx]>=+50ms' --fail-on 'kmalloc_outstanding_bytes>1MiB' --json
  ktape compare base new --folded-diff kmem.diff && flamegraph.pl kmem.diff > kmem-diff.svg
  ktape compare base new --fail-on 'cpu_ns>+10%' --html diff.html   the same as a page (a CI artifact)
  ktape compare collected --host web1 --host web2 --fail-on 'cpu_ns>+10%'`,
    )
    .action(async (baseArg: string, newArg: string | undefined, o) => {
      const rules = parseRules(o.failOn);
      const [baseDir, newDir] = compareDirs(baseArg, newArg, o.host);
      if (o.html) checkOutput(o.html, '--html');
      const top = o.top !== undefined ? parseCount('--top', o.top, 0) : undefined;
      const distributions = { base: [] as HtmlDistribution[], next: [] as HtmlDistribution[] };
      const { result, metrics } = await runCompare(baseDir, newDir, {
        by: o.by as GroupBy,
        normalize: o.normalize,
        minCount: parseCount('--min-count', o.minCount, 0),
        minTimeNs: parseTime('--min-time', o.minTime),
        top: top ?? 40,
        rules,
        foldedDiff: o.foldedDiff,
        onCapture: o.html
          ? async (cap, which) => {
              distributions[which === 'BASE' ? 'base' : 'next'] = await captureDistributions(cap);
            }
          : undefined,
      });
      if (o.html) writePage(o.html, '--html', renderPage(compareData({ result, metrics, distributions, top: top || 40 })));
      process.stdout.write(o.json ? formatJson(result, top) : formatText(result, top ?? 40));
      if (result.breached_rules > 0) {
        process.stderr.write(`ktape: ${breachSummary(result)}\n`);
        process.exitCode = 1;
      }
    });
}
