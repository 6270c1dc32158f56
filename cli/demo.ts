/**
 * `ktape demo`: the README's main job. A real ~5 s recording of the built-in
 * workload (forks+execs, pipe ping-pong, syscalls, pipe()+close, busy
 * threads), then the capture summary, the analysis summary and a Perfetto
 * trace written next to the capture.
 */
import type { Command } from 'commander';
import { EVENT_GROUPS } from '../formats/schema.js';
import { pkgPath } from '../record/paths.js';
import { printRecordSummary } from './record.js';
import { int } from './args.js';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('record ~5 s of the built-in workload, then analyze it and write a Perfetto trace (root)')
    .option('-o, --output <dir>', 'capture directory (default: ktape-demo-<timestamp>)')
    .option('--ms <ms>', 'workload duration in ms', int('--ms', 1, 3_600_000), 4500)
    .addHelpText(
      'after',
      `
Examples:
  sudo ktape demo
  sudo ktape demo -o /tmp/demo-capture`,
    )
    .action(async (opts) => {
      const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
      const out = opts.output ?? `ktape-demo-${stamp}`;
      process.stderr.write(`ktape demo: recording the built-in workload for ~${(Number(opts.ms) / 1000).toFixed(1)} s into ${out}/\n`);
      // loaded only by this command (the CLI starts faster for the others)
      const [{ record }, { openCapture }, { runReport }, { renderReport }, { exportPerfetto }] = await Promise.all([
        import('../record/recorder.js'),
        import('../analyze/db.js'),
        import('../analyze/reports/index.js'),
        import('../analyze/reports/common.js'),
        import('../export/perfetto.js'),
      ]);
      const res = await record({
        out,
        events: [...EVENT_GROUPS],
        pids: [],
        bufferMb: 64,
        systemWide: false,
        command: [
          pkgPath('build/ktape-workload'),
          'demo',
          '--ms',
          String(opts.ms),
          '--children',
          '50',
          '--syscalls',
          '300000',
          '--pingpong',
          '50000',
          '--pipes',
          '5000',
          '--workers',
          '2',
        ],
        kallsyms: 'full',
        kmemStacks: true,
        schedWait: true,
        bpfStats: false,
        drainMs: 20,
        segmentMb: 256,
        batchRows: 65536,
        quiet: false,
        commandLine: process.argv.slice(1),
      });
      printRecordSummary(res);

      // Analysis: the summary report, from SQL over the capture in DuckDB
      process.stderr.write(`\nktape demo: analysis (ktape analyze ${res.dir})\n`);
      const cap = await openCapture(res.dir);
      try {
        const rep = await runReport('summary', cap, { since: cap.startTs, until: cap.endTs, top: 8 });
        process.stdout.write(renderReport(rep, 'human', cap.startTs));
      } finally {
        cap.close();
      }

      // Perfetto trace next to the capture
      const trace = `${res.dir.replace(/\/+$/, '')}.pftrace`;
      const ex = await exportPerfetto(res.dir, trace);
      process.stderr.write(
        `\nktape demo: wrote ${trace} (${ex.events.toLocaleString('en-US')} events, ${(ex.bytes / 1e6).toFixed(1)} MB): open it in https://ui.perfetto.dev\n`,
      );
      process.stderr.write(`ktape demo: next: ktape analyze ${res.dir} cpu | sched-latency | syscalls | leaks;  ktape query ${res.dir} "SELECT ..."\n`);
    });
}
