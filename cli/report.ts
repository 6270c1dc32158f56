/** ktape report CAP -o FILE: the capture as one self-contained HTML page (html/report.ts). */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openCapture } from '../analyze/db.js';
import { printable } from '../analyze/reports/common.js';
import { reportData } from '../html/report.js';
import { checkOutput, renderPage, writePage } from '../html/page.js';
import { fmtBytes } from '../formats/units.js';
import { int } from './args.js';

/** the line after "wrote FILE": how to open it (no display here: copy it to a machine with a browser) */
export function openHint(file: string): string {
  const url = `file://${resolve(file)}`;
  return process.env.DISPLAY || process.env.WAYLAND_DISPLAY
    ? `open ${url} in a browser`
    : `no display here: copy it to a machine with a browser and open it there (it needs no network), or open ${url}`;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('write a capture as one self-contained HTML page: timelines, latency heat maps, leak flame graph, task tree (opens offline)')
    .argument('<capture>', 'capture directory')
    .requiredOption('-o, --output <file>', 'the HTML file to write')
    .option('--top <n>', 'rows per table', int('--top', 1), 20)
    .action(async (dir: string, opts) => {
      checkOutput(opts.output, '-o');
      const cap = await openCapture(dir, { onWarning: (m) => process.stderr.write(`ktape: warning: ${printable(m)}\n`) });
      let html: string;
      try {
        html = renderPage(await reportData(cap, opts.top));
      } finally {
        cap.close();
      }
      writePage(opts.output, '-o', html);
      process.stderr.write(`wrote ${printable(opts.output)} (${fmtBytes(Buffer.byteLength(html))})\n${printable(openHint(opts.output))}\n`);
    });
}
