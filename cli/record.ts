import { type Command, Option } from 'commander';
import { UsageError } from '../formats/errors.js';
import { EVENT_GROUPS } from '../formats/schema.js';
import { FAMILIES } from '../families/index.js';
import { machine } from 'node:os';
import { eventGroupsParser, isValidComm, num, parseDuration } from './args.js';
import type { RecordResult } from '../record/recorder.js';
import type { FlightOptions, Span } from '../record/flight.js';
import { checkTrigger, triggerHelp } from '../record/triggers.js';
import { DURATION_UNITS, fmtBytes, parseQuantity, SIZE_UNITS } from '../formats/units.js';
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
      'do not pair waits and sleeps with their ends in the kernel (sched_switch.next_wait_ns, sched_waking.slept_ns, migration flags): less recorder work per switch, slower sched-latency, offcpu and cpu analyses',
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
    .option(
      '--ring <span>',
      'flight recorder: keep only the most recent window (a duration like 30s, or a size like 512MB) and dump it to DIR/dump-NNNN on SIGUSR1, a --trigger, and when recording stops',
    )
    .option(
      '--trigger <cond>',
      'with --ring: dump the window when this happens (repeatable; conditions below)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--trigger-after <duration>', 'with --ring: go on recording this long after a trigger before dumping (default 0)')
    .option('--max-dumps <n>', 'with --ring: stop recording after this many dumps', num('--max-dumps', 1, 1e6, true))
    .option('--rotate <span>', 'bounded long recording: a new part DIR/part-NNNN every duration (e.g. 10m) or size (e.g. 1GB), each a complete capture')
    .option('--keep <n>', 'with --rotate: parts kept on disk, the oldest removed (default 5)', num('--keep', 1, 1e6, true))
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

Trigger conditions (--trigger COND[,comm=NAME]: only tasks with that comm):
${triggerHelp()
  .map((l) => `  ${l}`)
  .join('\n')}

Examples:
  sudo ktape record --duration 5 -o cap
  sudo ktape record -o cap --events sched,syscall -- ./my-benchmark --fast
  sudo ktape record -p 1234 --events syscall --duration 10
  sudo ktape record -o fr --ring 30s --trigger 'syscall>200ms' --trigger-after 2s --max-dumps 1
  sudo ktape record -o fr --ring 1m --trigger 'exit:SIGSEGV,comm=myserver' --trigger oom      (dumps: fr/dump-NNNN)
  sudo ktape record -o fr --ring 512MB &  kill -USR1 $!                                     (dump the last 512MB now)
  sudo ktape record -o fr --ring 30s -- ./server                                           (its last 30 s: fr/dump-0001 when it exits or on Ctrl-C)
  sudo ktape record -o week --rotate 1h --keep 168 --events sched,task                     (parts: week/part-NNNN)`,
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
        flight: flightOptions(opts),
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

/** A --ring/--rotate span: a duration (at least `minNs`) or a size (at least 1MB). */
function parseSpan(flag: string, v: string, minNs: number): Span {
  const ns = parseQuantity(v, DURATION_UNITS);
  const bytes = ns === null ? parseQuantity(v, SIZE_UNITS) : null;
  if (ns === null && bytes === null) throw new UsageError(`${flag} ${v}: expected a duration like 30s or 10m, or a size like 512MB or 2GB`);
  if (ns !== null && ns < minNs) throw new UsageError(`${flag} ${v}: at least ${minNs / 1e9}s`);
  if (bytes !== null && bytes < 1 << 20) throw new UsageError(`${flag} ${v}: at least 1MB`);
  return ns !== null ? { ns, text: v } : { bytes: bytes!, text: v };
}

/** --ring, --rotate and their options, checked; undefined without either. */
function flightOptions(opts: Record<string, any>): FlightOptions | undefined {
  const need = (flag: string, v: unknown, what: string) => {
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) throw new UsageError(`${flag}: only with ${what}`);
  };
  if (opts.ring !== undefined && opts.rotate !== undefined) throw new UsageError('--ring and --rotate: choose one (a window to dump, or parts to keep)');
  if (opts.ring === undefined)
    for (const [f, k] of [
      ['--trigger', 'trigger'],
      ['--trigger-after', 'triggerAfter'],
      ['--max-dumps', 'maxDumps'],
    ])
      need(f, opts[k], '--ring');
  if (opts.rotate === undefined) need('--keep', opts.keep, '--rotate');
  if (opts.ring === undefined && opts.rotate === undefined) return undefined;
  if (opts.maxSize !== undefined) throw new UsageError('--max-size: not with --ring or --rotate (they bound the disk themselves)');
  return {
    ring: opts.ring !== undefined ? parseSpan('--ring', opts.ring, 0.5e9) : undefined,
    rotate: opts.rotate !== undefined ? parseSpan('--rotate', opts.rotate, 1e9) : undefined,
    keep: opts.keep ?? 5,
    triggers: (opts.trigger as string[]).map((t) => checkTrigger(t, machine())),
    afterNs: opts.triggerAfter !== undefined ? parseDuration('--trigger-after', opts.triggerAfter) : 0,
    maxDumps: opts.maxDumps ?? Infinity,
  };
}
/** --upload, --token-file, --spool-max, --upload-wait, checked together (one line naming the flag). */
async function uploadSettings(opts: { upload?: string; tokenFile?: string; spoolMax?: number; uploadWait: number; ring?: string; rotate?: string }) {
  // a ring's parts are scratch and its dumps appear later: ship those with `ktape upload DUMP URL`
  if (opts.upload && (opts.ring !== undefined || opts.rotate !== undefined))
    throw new UsageError(`--upload: not with ${opts.ring !== undefined ? '--ring' : '--rotate'}; send a dump or part afterwards with \`ktape upload DIR URL\``);
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
      dumps: res.dumps,
      parts: res.parts,
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
    case 'max-dumps':
      return `stopped: --max-dumps reached (${res.dumps.length} dump${res.dumps.length === 1 ? '' : 's'})`;
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
  for (const d of res.dumps) lines.push(`  dump: ${d}`);
  for (const d of res.parts) lines.push(`  part: ${d}`);
  process.stderr.write(`${lines.join('\n')}\n`);
}
