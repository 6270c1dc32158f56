#!/usr/bin/env node
/**
 * ktape command line. Each subcommand lives in its own file and registers
 * itself here. Errors: one line `ktape: ...` (`ktape: [E_CODE] ...` with
 * --verbose), the exit status formats/errors.ts gives it, no stack trace (set
 * KTAPE_DEBUG=1 for one). Usage errors end with a `(see 'ktape SUB --help')`
 * hint on the same line instead of the whole help.
 */
import { Command, CommanderError } from 'commander';
import { exitStatus, KtapeError, UsageError } from '../formats/errors.js';
import { printable } from '../analyze/reports/common.js';
import { KTAPE_VERSION } from '../record/paths.js';

/** argv before a `--` (the recorded command's own arguments are not ktape's). */
const ownArgs = (argv: string[]) => {
  const i = argv.indexOf('--', 2);
  return argv.slice(2, i < 0 ? undefined : i);
};

type Register = (program: Command) => void;

/**
 * Each subcommand's module, in help order, imported only when needed: a
 * command line naming one subcommand loads that one alone (`record` must not
 * load DuckDB's native binding); --version loads none; help and unknown names load them all.
 */
const COMMANDS: [names: string[], load: () => Promise<Register>][] = [
  [['record'], async () => (await import('./record.js')).registerRecord],
  [['analyze', 'query', 'tables', 'convert'], async () => (await import('./analyze.js')).registerAnalyze],
  [['export'], async () => (await import('./export.js')).registerExport],
  [['demo'], async () => (await import('./demo.js')).registerDemo],
  [['compare'], async () => (await import('./compare.js')).registerCompare],
  [['report'], async () => (await import('./report.js')).registerReport],
  [['collect', 'upload'], async () => (await import('./ship.js')).registerShip],
];

/** The program with the subcommands `argv` needs (all of them when it names none that exists). */
export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('ktape')
    .description('Record Linux kernel activity with eBPF on one machine; analyze, query and export it anywhere.')
    .version(KTAPE_VERSION)
    .option('--verbose', 'show error codes (ktape: [E_CODE] message)')
    // commander's own messages are printed by main() as one line with a hint (see report())
    .configureOutput({ outputError: () => {} })
    .exitOverride();
  const own = ownArgs(argv);
  const sub = own.find((a) => !a.startsWith('-'));
  const named = COMMANDS.filter(([names]) => sub !== undefined && names.includes(sub));
  // `ktape --version` needs no subcommand: it loads none
  const versionOnly = sub === undefined && (own.includes('--version') || own.includes('-V'));
  for (const [, load] of versionOnly ? [] : named.length ? named : COMMANDS) (await load())(program);
  program.addHelpText(
    'after',
    `
Examples:
  sudo ktape demo                                     record the built-in workload, analyze it, write a Perfetto trace
  sudo ktape record --duration 5 -o cap               record everything system-wide for 5 s
  sudo ktape record -o cap -- make -j2                record while a command runs (its syscalls/kmem only)
  ktape analyze cap                                   summary; also cpu, sched-latency, syscalls, tasks, offcpu, leaks, switches
  ktape query cap "SELECT name, count(*) FROM syscalls GROUP BY 1 ORDER BY 2 DESC"
  ktape export cap --perfetto cap.pftrace             open it in https://ui.perfetto.dev
  ktape compare base new --fail-on 'cpu_ns>+10%'      regression check for CI (exit 1 on a breach)
  ktape report cap -o report.html                     the capture as one HTML page (opens offline)
`,
  );
  return program;
}

/** `(see 'ktape analyze --help')`: the subcommand named on the command line, if any. */
function helpHint(program: Command, argv: string[]): string {
  const names = new Set(program.commands.map((c) => c.name()));
  const sub = ownArgs(argv).find((a) => !a.startsWith('-'));
  return `(see 'ktape ${sub && names.has(sub) ? `${sub} ` : ''}--help')`;
}

/** Print one error line; returns the exit status. */
function report(e: unknown, program: Command, argv: string[]): number {
  const verbose = ownArgs(argv).includes('--verbose');
  const line = (code: string, msg: string) => process.stderr.write(`ktape: ${verbose ? `[${code}] ` : ''}${printable(msg)}\n`);
  const { status, code } = exitStatus(e);
  if (e instanceof CommanderError) line(code, `${e.message.replace(/^error: /, '').trim()} ${helpHint(program, argv)}`);
  else if (e instanceof KtapeError) line(code, e instanceof UsageError ? `${e.message} ${helpHint(program, argv)}` : e.message);
  else {
    const err = e as Error;
    line(code, `internal error: ${err?.message ?? String(e)} (set KTAPE_DEBUG=1 for a stack trace and please report it)`);
  }
  if (process.env.KTAPE_DEBUG) process.stderr.write(`${(e as Error)?.stack}\n`);
  return status;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError && ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(e.code)) return 0;
    return report(e, program, argv);
  }
}

// `ktape ... | head`: a closed stdout is not an error
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

main(process.argv).then((code) => {
  process.exitCode = code;
});
