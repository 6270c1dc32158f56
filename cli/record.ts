import { type Command, Option } from 'commander';
import { UsageError } from '../formats/errors.js';
import { EVENT_GROUPS } from '../formats/schema.js';
import { FAMILIES } from '../families/index.js';
import { eventGroupsParser, isValidComm, num } from './args.js';
import type { RecordResult } from '../record/recorder.js';
import { fmtBytes } from '../formats/units.js';
import { CODECS, DEFAULT_CODEC, parseCodec } from '../formats/codec.js';
import { parseSize } from './ship.js';

export const parseEvents = eventGroupsParser('--events');

/** The one number parser of every subcommand (cli/args.ts): plain decimals only. */
export { num };

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('record kernel events into a capture directory (root or CAP_BPF+CAP_PERFMON)')
    .usage('[options] [-- COMMAND [ARGS...]]')
    .option('-o, --output <dir>', 'capture directory (default: ktape-<host>-<yyyymmdd-hhmmss>)')
    .option('-d, --duration <secs>', 'stop after this many seconds', num('--duration', 0.01, 365 * 86400))
    .option(
      '-e, --events <list>',
      `families to record: ${EVENT_GROUPS.join(',')} or all (see below)`,
      parseEvents,
      FAMILIES.filter((f) => f.byDefault).map((f) => f.name),
    )
    .option(
      '-p, --pid <pid>',
      'record syscall/kmem events of this process only (repeatable)',
      (v: string, prev: number[]) => [...prev, num('--pid', 1, 2 ** 22, true)(v)],
      [] as number[],
    )
    .option('--comm <name>', 'record syscall/kmem events of tasks with this comm only')
    .option('-a, --system-wide', 'with a COMMAND: record syscall/kmem events system-wide, not just its process tree (as perf -a)')
    .option('--buffer-mb <n>', 'ring buffer size in MiB (power of two)', num('--buffer-mb', 1, 2048, true), 64)
    .option('--max-size <mb>', 'stop when the capture reaches this many MiB', num('--max-size', 1, 2 ** 30))
    .addOption(
      new Option(
        '--kallsyms <mode>',
        "kernel symbols kept: 'used' covers the kernel addresses recorded (kmem call sites and stacks; none without kmem), read at stop; 'full' is all of /proc/kallsyms (~5 MB), read at start",
      )
        .choices(['full', 'used'])
        .default('used'),
    )
    .option('--no-kmem-stacks', 'do not capture kernel stacks for allocations (much cheaper)')
    .option(
      '--no-sched-wait',
      'do not pair waits with switch-ins in the kernel (sched_wait table, migration flags): smaller captures, slower sched-latency and cpu analyses',
    )
    .option('--stack-depth <n>', 'kernel frames kept per allocation stack', num('--stack-depth', 1, 64, true), 64)
    .option('--bpf-stats', 'enable kernel BPF run-time stats while recording (small overhead)')
    .addOption(
      new Option('--drain-ms <ms>', 'ring drain period')
        .argParser(num('--drain-ms', 1, 1000, true))
        .default(20)
        .hideHelp(),
    )
    .addOption(
      new Option('--segment-mb <mb>', 'rotate table files at this size')
        .argParser(num('--segment-mb', 1, 1 << 20, true))
        .default(256)
        .hideHelp(),
    )
    .addOption(
      new Option('--batch-rows <n>', 'rows per Arrow batch')
        .argParser(num('--batch-rows', 16, 1 << 22, true))
        .default(65536)
        .hideHelp(),
    )
    .option('--compress <codec>', `Arrow IPC body compression of the table files: ${CODECS.join(', ')}`, parseCodec, DEFAULT_CODEC)
    .option('--upload <url>', 'also ship the capture to `ktape collect` at URL (http(s)://HOST:PORT) while recording')
    .option('--token-file <file>', 'with --upload: the bearer token (a file of mode 0600)')
    .option('--spool-max <size>', 'with --upload: recorded bytes not yet acked above which events are dropped and counted (512M, 2G)', (v: string) =>
      parseSize('--spool-max', v),
    )
    .option('--upload-wait <secs>', 'with --upload: how long the end of the recording waits for the collector', num('--upload-wait', 0.1, 86400), 60)
    .option('-q, --quiet', 'no progress, no summary')
    .option('--json', 'print the summary as JSON')
    .argument('[command...]', 'command to run and record until it exits (it gets SIGTERM if recording stops first)')
    .addHelpText(
      'after',
      () => `
Families (--events):
${FAMILIES.map((f) => `  ${f.name.padEnd(9)} ${f.doc}${f.byDefault ? '' : ' (not recorded by default)'}`).join('\n')}

Examples:
  sudo ktape record --duration 5 -o cap
  sudo ktape record -o cap --events sched,syscall -- ./my-benchmark --fast
  sudo ktape record -p 1234 --events syscall --duration 10`,
    )
    .action(async (command: string[], opts) => {
      if (opts.comm !== undefined && !isValidComm(opts.comm)) throw new UsageError(`--comm ${opts.comm}: must be 1 to 15 bytes (the kernel's comm length)`);
      if (opts.systemWide && command.length === 0)
        throw new UsageError('-a/--system-wide: only meaningful with a COMMAND to run (without one, recording is system-wide already)');
      const upload = await uploadSettings(opts);
      const { record } = await import('../record/recorder.js'); // loaded only by this command
      // From here the first SIGINT/SIGTERM stops the recording cleanly (record() handles it); later ones,
      // while it stops or prints the summary, must not kill the command half way.
      const ignore = () => {};
      process.on('SIGINT', ignore);
      process.on('SIGTERM', ignore);
      const res = await record({
        out: opts.output,
        durationS: opts.duration,
        events: opts.events,
        pids: opts.pid,
        comm: opts.comm,
        bufferMb: opts.bufferMb,
        maxSizeMb: opts.maxSize,
        systemWide: !!opts.systemWide,
        command: command.length ? command : undefined,
        kallsyms: opts.kallsyms,
        kmemStacks: opts.kmemStacks,
        schedWait: opts.schedWait,
        stackDepth: opts.stackDepth,
        bpfStats: !!opts.bpfStats,
        drainMs: opts.drainMs,
        segmentMb: opts.segmentMb,
        batchRows: opts.batchRows,
        compress: opts.compress,
        quiet: !!opts.quiet,
        commandLine: process.argv.slice(1),
        upload,
      });
      if (opts.json) printRecordJson(res);
      else if (!opts.quiet) printRecordSummary(res);
      if (res.upload?.error) {
        process.stderr.write(`ktape: ${res.upload.error}\n`);
        process.exitCode ||= 1;
      } else if (res.upload && !opts.quiet) process.stderr.write(`ktape: uploaded to ${res.upload.target}\n`);
      if (res.exitCode !== null && res.exitCode !== 0) process.exitCode = res.exitCode;
      // Exit here, signal handlers still installed: a natural exit restores SIGINT's default action
      // ~70 ms before the process is gone, and a late Ctrl-C then would turn a clean stop into status 130.
      process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    });
}

/** --upload, --token-file, --spool-max, --upload-wait, checked together (one line naming the flag). */
async function uploadSettings(opts: { upload?: string; tokenFile?: string; spoolMax?: number; uploadWait: number }) {
  if (!opts.upload) {
    const stray = opts.tokenFile ? '--token-file' : opts.spoolMax ? '--spool-max' : null;
    if (stray) throw new UsageError(`${stray}: only meaningful with --upload URL`);
    return undefined;
  }
  if (!opts.tokenFile) throw new UsageError("--upload: needs --token-file FILE (the collector's bearer token)");
  const { parseUploadUrl } = await import('../ship/uploader.js');
  const { readToken } = await import('../ship/token.js');
  const url = parseUploadUrl('--upload', opts.upload);
  return { url, token: readToken(opts.tokenFile), spoolMaxBytes: opts.spoolMax ?? DEFAULT_SPOOL_MAX, waitMs: opts.uploadWait * 1000 };
}

/** --spool-max by default: 1 GiB recorded and not yet acked */
const DEFAULT_SPOOL_MAX = 1 << 30;

export function printRecordJson(res: RecordResult): void {
  const total = Object.values(res.events).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${JSON.stringify({
      dir: res.dir,
      duration_ns: res.durationNs,
      stop_reason: res.stopReason,
      events: res.events,
      events_total: total,
      lost: res.lost,
      lost_by_kind: res.lossesByKind,
      lost_by_reason: res.lossesByReason,
      kernel_gaps: res.kernelGaps,
      bytes: res.bytes,
      capture_bytes: res.totalBytes,
      max_size_bytes: res.maxSizeBytes,
      bytes_per_event: total ? res.bytes / total : 0,
      command_exit_code: res.exitCode,
    })}\n`,
  );
}

/** Why recording stopped, for the summary. */
export function stopLine(res: RecordResult): string {
  switch (res.stopReason) {
    case 'duration':
      return 'stopped: --duration reached';
    case 'command exited':
      return `stopped: the command exited${res.exitCode !== null ? ` (status ${res.exitCode})` : ''}`;
    case 'SIGINT':
      return 'stopped: interrupted (SIGINT)';
    case 'SIGTERM':
      return 'stopped: terminated (SIGTERM)';
    case 'max-size':
      return `stopped: --max-size ${fmtBytes(res.maxSizeBytes ?? 0)} reached (capture ${fmtBytes(res.totalBytes)})`;
    default:
      return `stopped: ${res.stopReason}`;
  }
}

const LOSS_CAUSE: Record<string, string> = {
  ringbuf_full: 'ring buffer full; try a larger --buffer-mb',
  bpf_recursion: 'the kernel skipped the BPF program while it was already running on that CPU (interrupt); counted in losses',
  max_size: 'still in the ring buffer when --max-size was reached: not written; counted in losses',
  spool_full: 'dropped while the upload spool was over --spool-max (the collector was behind); counted in losses',
};

/** One line per loss reason, with its real cause. */
function lossLines(res: RecordResult): string[] {
  if (!res.lost) return ['  lost 0 events'];
  return Object.entries(res.lossesByReason)
    .filter(([, n]) => n > 0)
    .map(([reason, n]) => `  LOST ${n.toLocaleString('en-US')} events (${LOSS_CAUSE[reason] ?? reason})`);
}

/** The one-screen summary printed when recording stops. */
export function printRecordSummary(res: RecordResult): void {
  const total = Object.values(res.events).reduce((a, b) => a + b, 0);
  const lines = [`ktape: recorded ${(res.durationNs / 1e9).toFixed(2)} s into ${res.dir}`, `  ${stopLine(res)}`];
  const w = Math.max(...Object.keys(res.events).map((k) => k.length), 5);
  for (const [k, v] of Object.entries(res.events)) {
    const lost = res.lossesByKind[k] ?? 0;
    lines.push(`  ${k.padEnd(w)} ${v.toLocaleString('en-US').padStart(13)}${lost ? `   LOST ${lost.toLocaleString('en-US')}` : ''}`);
  }
  lines.push(`  ${'total'.padEnd(w)} ${total.toLocaleString('en-US').padStart(13)}`);
  lines.push(...lossLines(res));
  if (res.kernelGaps)
    lines.push(
      `  the kernel did not report ${res.kernelGaps.toLocaleString('en-US')} context switches (gaps in per-CPU switch sequences; listed in the losses table)`,
    );
  lines.push(`  ${fmtBytes(res.bytes)} of events, ${total ? (res.bytes / total).toFixed(1) : '0'} bytes/event; ${fmtBytes(res.totalBytes)} in all`);
  process.stderr.write(`${lines.join('\n')}\n`);
}
