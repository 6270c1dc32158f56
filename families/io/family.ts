/** The io family: block requests from submission to completion (block:block_io_start, block_rq_insert/issue/complete). */
import { readdirSync, readFileSync } from 'node:fs';
import * as W from '../../formats/gen/events.gen.js';
import type { Family, FinishCtx } from '../family.js';
import { ioCompare } from './compare.js';
import { ioDecoder } from './decode.js';
import { TABLES } from './tables.js';

/** io_devices: every block device of the host (/sys/class/block/<name>/dev is "major:minor") */
function writeDevices(x: FinishCtx): Iterable<bigint> {
  const w = x.table('io_devices', 256);
  if (x.settings.events.includes('io')) {
    let names: string[] = [];
    try {
      names = readdirSync('/sys/class/block').sort();
    } catch {
      // no sysfs: the devices stay unnamed
    }
    for (const name of names) {
      let m: RegExpExecArray | null = null;
      try {
        m = /^(\d+):(\d+)\s*$/.exec(readFileSync(`/sys/class/block/${name}/dev`, 'utf8'));
      } catch {
        // gone since the listing
      }
      if (!m) continue;
      const major = Number(m[1]),
        minor = Number(m[2]);
      w.push({ dev: ((major << 20) | minor) >>> 0, major, minor, name });
    }
  }
  w.close();
  return [];
}

export const io: Family = {
  name: 'io',
  doc: 'block I/O requests: device, sector, bytes, op and flags, submitter, insert/issue/complete times (block:block_io_start, block_rq_*)',
  byDefault: false,
  tables: TABLES,
  kinds: [
    { id: W.KT_IO_START, name: 'block_io_start', struct: 'kt_io_rq' },
    { id: W.KT_IO_INSERT, name: 'block_rq_insert', struct: 'kt_io_rq' },
    { id: W.KT_IO_ISSUE, name: 'block_rq_issue', struct: 'kt_io_rq' },
    { id: W.KT_IO_COMPLETE, name: 'block_rq_complete', struct: 'kt_io_rq' },
  ],
  programs: [
    { name: 'kt_io_start', kind: W.KT_IO_START },
    { name: 'kt_io_insert', kind: W.KT_IO_INSERT },
    { name: 'kt_io_issue', kind: W.KT_IO_ISSUE },
    { name: 'kt_io_complete', kind: W.KT_IO_COMPLETE },
  ],
  // the submitter map is preallocated: a token size when io is not recorded
  prepareMaps: (maps, s) => {
    if (!s.events.includes('io')) maps.setMaxEntries('kt_io_subs', 1);
  },
  decoder: ioDecoder,
  finish: writeDevices,
  summary: async () => (await import('./summary.js')).ioSummary,
  export: async () => (await import('./export.js')).ioExport,
  compare: ioCompare,
  htmlSections: async () => (await import('./html.js')).ioHtml,
  htmlDistributions: async () => (await import('./html.js')).ioDistributions,
  reports: {
    io: {
      doc: 'block I/O per process (reads/writes, sync/async: biopwise), per device queue and service time with log2 histograms (biolatency), largest requests',
      reads: TABLES.map((t) => t.name),
      load: async () => (await import('./report.js')).ioReport,
    },
  },
};
