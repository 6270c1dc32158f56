import { EVENT_GROUPS } from '../formats/schema.js';
import type { Command } from 'commander';
import { UsageError } from '../formats/errors.js';
import { eventGroupsParser, isValidComm, parseDuration, parseNumber } from './args.js';
import { printable } from '../analyze/reports/common.js';
import type { ExportOptions } from '../export/source.js';

const parseGroups = eventGroupsParser('export --events', 'E_EXPORT_EVENTS');

function parsePids(v: string, prev: number[]): number[] {
  const out = [...prev];
  for (const raw of v.split(','))
    out.push(
      parseNumber('export --pid', raw, {
        min: 1,
        max: 2 ** 22,
        integer: true,
        code: 'E_EXPORT_PID',
        message: `export --pid ${v}: '${raw}' is not a process id (an integer from 1 to 4194304)`,
      }),
    );
  return out;
}

/** --since/--until: an offset from the capture start, as every subcommand parses durations (cli/args.ts). */
const parseOffset = (flag: string, v: string) =>
  parseDuration(`export ${flag}`, v, {
    units: ['s', 'ms', 'us', 'µs', 'ns'],
    code: 'E_EXPORT_TIME',
    message: `export ${flag}: '${v}' is not a time offset; use e.g. 1.5s, 250ms, 10us or 100ns from the capture start`,
  });

/** --memory-limit: a size as `ktape analyze` takes it (openCapture gives DuckDB its share, analyze/db.ts) */
function parseMemoryLimit(v: string): string {
  if (!/^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$/i.test(v))
    throw new UsageError(`export --memory-limit ${v}: expected a size like 2GB or 512MiB`, 'E_EXPORT_MEMORY');
  return v.trim();
}

function parseComms(v: string, prev: string[]): string[] {
  const out = [...prev];
  for (const c of v.split(',')) {
    if (!isValidComm(c)) throw new UsageError(`export --comm ${v}: '${c}' must be 1 to 15 bytes (the kernel's comm length)`, 'E_EXPORT_COMM');
    out.push(c);
  }
  return out;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a capture as a Perfetto trace (ui.perfetto.dev) or a Chrome JSON trace (chrome://tracing)')
    .argument('<capture>', 'capture directory written by ktape record')
    .option('--perfetto <out.pftrace>', 'write a Perfetto protobuf trace')
    .option('--chrome <out.json>', 'write a Chrome Trace Event Format JSON trace')
    .option('-p, --pid <pid[,pid...]>', 'only these processes (tgid; repeatable)', parsePids, [] as number[])
    .option('--comm <name[,name...]>', 'only processes that had a thread with this comm (repeatable)', parseComms, [] as string[])
    .option('--since <time>', 'start of the window, from the capture start (e.g. 1.5s, 250ms)')
    .option('--until <time>', 'end of the window, from the capture start')
    .option('-e, --events <list>', `families to export: ${EVENT_GROUPS.join(',')} or all (default: all recorded)`, parseGroups)
    .option(
      '--memory-limit <size>',
      "bound the export's memory (e.g. 1GB): the capture is loaded into a temporary DuckDB file, which DuckDB keeps within its share of SIZE",
      parseMemoryLimit,
    )
    .option('--no-compact', 'Perfetto: write sched_switch/sched_waking as plain ftrace events instead of CompactSched')
    .option('-q, --quiet', 'no summary')
    .addHelpText(
      'after',
      `
Examples:
  ktape export cap --perfetto cap.pftrace             then open it in https://ui.perfetto.dev
  ktape export cap --chrome cap.json --since 1s --until 2s
  ktape export cap --perfetto p.pftrace --pid 1234 --events sched,syscall`,
    )
    .action(async (capture: string, o) => {
      if (!o.perfetto && !o.chrome)
        throw new UsageError('export: nothing to write; give --perfetto OUT.pftrace and/or --chrome OUT.json', 'E_EXPORT_NO_OUTPUT');
      const opts: ExportOptions = {
        pids: o.pid.length ? o.pid : undefined,
        comms: o.comm.length ? o.comm : undefined,
        sinceNs: o.since !== undefined ? parseOffset('--since', o.since) : undefined,
        untilNs: o.until !== undefined ? parseOffset('--until', o.until) : undefined,
        events: o.events,
        compact: o.compact,
        memoryLimit: o.memoryLimit,
      };
      if (opts.sinceNs !== undefined && opts.untilNs !== undefined && opts.untilNs <= opts.sinceNs)
        throw new UsageError(`export: --until ${o.until} is not after --since ${o.since}; give a non-empty window`, 'E_EXPORT_TIME');
      const tty = process.stderr.isTTY && !o.quiet;
      let progressShown = false;
      if (tty)
        opts.onProgress = (bytes) => {
          progressShown = true;
          process.stderr.write(`\rktape: exporting… ${(bytes / 1e6).toFixed(0)} MB written   `);
        };
      const say = (s: string) => {
        if (progressShown) {
          process.stderr.write('\r\x1b[K');
          progressShown = false;
        }
        if (!o.quiet) process.stderr.write(`${printable(s)}\n`);
      };
      // damage is never hidden, not even by -q
      const warnAbout = (r: { torn: string[]; warnings: string[] }) => {
        for (const f of r.torn) process.stderr.write(`ktape: warning: ${printable(f)}; exported the complete batches before it\n`);
        for (const w of r.warnings) process.stderr.write(`ktape: warning: ${printable(w)}\n`);
      };
      if (o.perfetto) {
        const t0 = performance.now();
        const { exportPerfetto } = await import('../export/perfetto.js');
        const r = await exportPerfetto(capture, o.perfetto, opts);
        const s = (performance.now() - t0) / 1000;
        say(
          `ktape: wrote ${o.perfetto}: ${r.events} events, ${r.packets} packets, ${(r.bytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s` +
            (r.outstandingAllocs ? `; ${r.outstandingAllocs} allocations outstanding at the end (track "ktape: kmem outstanding at end")` : '') +
            ' — open it in https://ui.perfetto.dev',
        );
        warnAbout(r);
      }
      if (o.chrome) {
        const t0 = performance.now();
        const { exportChrome } = await import('../export/chrome.js');
        const r = await exportChrome(capture, o.chrome, opts, (msg) => process.stderr.write(`ktape: warning: ${printable(msg)}\n`));
        const s = (performance.now() - t0) / 1000;
        say(
          `ktape: wrote ${o.chrome}: ${r.events} events → ${r.traceEvents} trace events, ${(r.bytes / 1e6).toFixed(1)} MB in ${s.toFixed(2)} s — open it in https://ui.perfetto.dev or chrome://tracing`,
        );
        warnAbout(r);
      }
    });
}
