#!/usr/bin/env node
/**
 * ktape command line. Each subcommand lives in its own file and registers
 * itself here. Errors: KtapeError → one line `ktape: ...`, its exit code,
 * no stack trace (set KTAPE_DEBUG=1 for one).
 */
import { Command, CommanderError } from 'commander';
import { KtapeError } from '../formats/errors.js';
import { KTAPE_VERSION } from '../record/paths.js';
import { registerRecord } from './record.js';
import { registerAnalyze } from './analyze.js';
import { registerExport } from './export.js';
import { registerDemo } from './demo.js';
import { registerCompare } from './compare.js';

export function buildProgram(): Command {
  const program = new Command('ktape')
    .description('Record Linux kernel activity with eBPF on one machine; analyze, query and export it anywhere.')
    .version(KTAPE_VERSION)
    .showHelpAfterError()
    .exitOverride();
  registerRecord(program);
  registerAnalyze(program);
  registerExport(program);
  registerDemo(program);
  registerCompare(program);
  program.addHelpText('after', `
Examples:
  sudo ktape demo                                     record the built-in workload, analyze it, write a Perfetto trace
  sudo ktape record --duration 5 -o cap               record everything system-wide for 5 s
  sudo ktape record -o cap -- make -j2                record while a command runs (its syscalls/kmem only)
  ktape analyze cap                                   summary; also cpu, sched-latency, syscalls, tasks, offcpu, leaks, switches
  ktape query cap "SELECT name, count(*) FROM syscalls GROUP BY 1 ORDER BY 2 DESC"
  ktape export cap --perfetto cap.pftrace             open it in https://ui.perfetto.dev
  ktape compare base new --fail-on 'cpu_ns>+10%'      regression check for CI (exit 1 on a breach)
`);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return e.exitCode === 1 ? 2 : e.exitCode;
    }
    if (e instanceof KtapeError) {
      process.stderr.write(`ktape: ${e.message}\n`);
      if (process.env.KTAPE_DEBUG) process.stderr.write(`${e.stack}\n`);
      return e.exitCode;
    }
    const err = e as Error;
    process.stderr.write(`ktape: internal error: ${err?.message ?? String(e)} (set KTAPE_DEBUG=1 for a stack trace and please report it)\n`);
    if (process.env.KTAPE_DEBUG) process.stderr.write(`${err?.stack}\n`);
    return 70;
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
