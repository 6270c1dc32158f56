/** The fault family: page faults (exceptions:page_fault_user/kernel), classified minor or major by the task's own counters. */
import { readdirSync, readFileSync } from 'node:fs';
import * as W from '../../formats/gen/events.gen.js';
import { readClocks } from '../../record/ring.js';
import type { Family, FinishCtx } from '../family.js';
import { faultCompare } from './compare.js';
import { faultDecoder } from './decode.js';
import { TABLES as TASK_TABLES } from '../task/tables.js';
import { TABLES } from './tables.js';

const PARTS = W.KT_FAULT_NAME_PARTS,
  LEN = W.KT_FAULT_NAME_LEN;

/** fault_files: the kt_fault_names map (dev, ino → the dentry's name and its parents', leaf first) */
function writeNames(x: FinishCtx): void {
  const w = x.table('fault_files', 8192);
  if (x.settings.events.includes('fault')) {
    const v = Buffer.alloc(PARTS * LEN);
    x.forEachEntry(x.mapFd('kt_fault_names'), 16, v, (key) => {
      const parts: string[] = [];
      for (let i = 0; i < PARTS; i++) {
        const s = v.subarray(i * LEN, (i + 1) * LEN);
        const name = s.subarray(0, s.indexOf(0) < 0 ? LEN : s.indexOf(0)).toString('utf8');
        if (!name || name === '/') break;
        parts.unshift(name);
      }
      w.push({ dev: key.readUInt32LE(0), ino: key.readBigUInt64LE(8), name: parts.join('/') });
    });
  }
  w.close();
}

/** minflt and majflt (fields 10 and 12) of a /proc stat line; comm (field 2) may hold spaces and parens */
function statCounters(s: string): [bigint, bigint] | null {
  const r = s.lastIndexOf(')');
  if (r < 0) return null;
  const f = s.slice(r + 2).split(' ');
  return f.length > 9 ? [BigInt(f[7]), BigInt(f[9])] : null;
}

const read = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null; // the task is gone
  }
};

/** fault_end: every live thread's own counters (/proc/<tgid>/task/<tid>/stat), the closing read of its last fault */
function writeEnd(x: FinishCtx): void {
  const w = x.table('fault_end', 4096);
  if (x.settings.events.includes('fault')) {
    for (const p of readdirSync('/proc')) {
      if (!/^\d+$/.test(p)) continue;
      let tids: string[] = [];
      try {
        tids = readdirSync(`/proc/${p}/task`);
      } catch {
        continue;
      }
      for (const t of tids) {
        const ts = readClocks().boottime;
        const c = statCounters(read(`/proc/${p}/task/${t}/stat`) ?? '');
        if (c) w.push({ ts, tid: Number(t), tgid: Number(p), min_flt: c[0], maj_flt: c[1] });
      }
    }
  }
  w.close();
}

export const fault: Family = {
  name: 'fault',
  doc: 'page faults: address, ip, error code, minor or major (exceptions:page_fault_user/kernel, the task fault counters; filemap for the file)',
  byDefault: false,
  tables: TABLES,
  kinds: [
    { id: W.KT_FAULT, name: 'page_fault', struct: 'kt_fault' },
    { id: W.KT_FAULT_EXIT, name: 'fault_exit', struct: 'kt_fault_exit' },
    { id: W.KT_FAULT_FILE, name: 'fault_file', struct: 'kt_fault_file' },
  ],
  programs: [
    { name: 'kt_fault_user', kind: W.KT_FAULT },
    { name: 'kt_fault_kernel', kind: W.KT_FAULT },
    { name: 'kt_fault_exit', kind: W.KT_FAULT_EXIT },
    { name: 'kt_fault_filemap', kind: W.KT_FAULT_FILE },
    { name: 'kt_fault_map_pages', kind: W.KT_FAULT_FILE },
  ],
  // the name map is preallocated: a token size when fault is not recorded
  prepareMaps: (maps, s) => {
    if (!s.events.includes('fault')) maps.setMaxEntries('kt_fault_names', 64);
  },
  decoder: faultDecoder,
  finish: (x) => {
    writeNames(x);
    writeEnd(x);
    return [];
  },
  kernelAddressColumns: [['fault', 'ip']],
  summary: async () => (await import('./summary.js')).faultSummary,
  export: async () => (await import('./export.js')).faultExport,
  htmlSections: async () => (await import('./html.js')).faultHtml,
  compare: faultCompare,
  reports: {
    faults: {
      doc: 'page faults per process (minor and major, total and per second), top faulting code addresses, top files of file-mapping faults',
      reads: [...TABLES.map((t) => t.name), ...TASK_TABLES.map((t) => t.name)],
      load: async () => (await import('./report.js')).faultReport,
    },
  },
};
