/**
 * `ktape demo`: the README's main job. A real ~5 s recording of the built-in
 * workload (forks+execs, pipe ping-pong, syscalls, pipe()+close, busy
 * threads), then the capture summary, the analysis summary and a Perfetto
 * trace written next to the capture.
 */
import type { Command } from 'commander';
import { EVENT_GROUPS } from '../formats/schema.js';
import { record } from '../record/recorder.js';
import { pkgPath } from '../record/paths.js';
import { printRecordSummary } from './record.js';

export function registerDemo(program: Command, after: ((dir: string) => Promise<void>)[]): void {
  program
    .command('demo')
    .description('record ~5 s of the built-in workload, then analyze it and write a Perfetto trace (root)')
    .option('-o, --output <dir>', 'capture directory (default: ktape-demo-<timestamp>)')
    .option('--ms <ms>', 'workload duration in ms', '4500')
    .addHelpText('after', `
Examples:
  sudo ktape demo
  sudo ktape demo -o /tmp/demo-capture`)
    .action(async (opts) => {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      const out = opts.output ?? `ktape-demo-${stamp}`;
      process.stderr.write(`ktape demo: recording the built-in workload for ~${(Number(opts.ms) / 1000).toFixed(1)} s into ${out}/\n`);
      const res = await record({
        out,
        events: [...EVENT_GROUPS],
        pids: [],
        bufferMb: 64,
        systemWide: false,
        command: [pkgPath('build/ktape-workload'), 'demo', '--ms', String(opts.ms), '--children', '50', '--syscalls', '300000',
          '--pingpong', '50000', '--pipes', '5000', '--workers', '2'],
        kallsyms: 'full',
        kmemStacks: true,
        bpfStats: false,
        drainMs: 20,
        segmentMb: 256,
        batchRows: 65536,
        quiet: false,
        commandLine: process.argv.slice(1),
      });
      printRecordSummary(res);
      for (const step of after) await step(res.dir);
    });
}
