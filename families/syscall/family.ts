/** The syscall family: every system call's entry and return (raw_syscalls). */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SYSCALL_NAMES } from '../../analyze/gen/syscalls.gen.js';
import * as W from '../../formats/gen/events.gen.js';
import type { Manifest } from '../../formats/schema.js';
import { syscallCompare } from './compare.js';
import type { Family } from '../family.js';
import { TABLES as TASK_TABLES } from '../task/tables.js';
import { syscallDecoder } from './decode.js';
import { TABLES } from './tables.js';
import { syscallTrigger } from './trigger.js';

/** _syscall_names: the syscall table of the capture host's architecture (manifest host.machine). */
async function syscallNames(conn: DuckDBConnection, m: Manifest): Promise<void> {
  await conn.run('CREATE TABLE _syscall_names (nr INTEGER NOT NULL, name VARCHAR NOT NULL)');
  const entries = Object.entries(SYSCALL_NAMES[m.host?.machine] ?? {});
  if (!entries.length) return;
  const a = await conn.createAppender('_syscall_names');
  for (const [nr, name] of entries) {
    a.appendInteger(Number(nr));
    a.appendVarchar(name);
    a.endRow();
  }
  a.closeSync();
}

export const syscall: Family = {
  name: 'syscall',
  doc: 'system calls with arguments and return values (raw_syscalls:sys_enter/sys_exit)',
  byDefault: true,
  tables: TABLES,
  kinds: [
    { id: W.KT_SYS_ENTER, name: 'sys_enter', struct: 'kt_sys_enter' },
    { id: W.KT_SYS_EXIT, name: 'sys_exit', struct: 'kt_sys_exit' },
  ],
  programs: [
    { name: 'kt_sys_enter', kind: W.KT_SYS_ENTER },
    { name: 'kt_sys_exit', kind: W.KT_SYS_EXIT },
  ],
  decoder: syscallDecoder,
  analyzer: { prepare: syscallNames },
  summary: async () => (await import('./summary.js')).syscallSummary,
  export: async () => (await import('./export.js')).syscallExport,
  compare: syscallCompare,
  htmlSections: async () => (await import('./html.js')).syscallHtml,
  htmlDistributions: async () => (await import('./html.js')).syscallDistributions,
  triggers: { syscall: syscallTrigger },
  reports: {
    syscalls: {
      doc: 'per syscall and per process, nested both ways; --hist for latency histograms',
      reads: ['syscall_enter', 'syscall_exit', 'sched_switch', ...TASK_TABLES.map((t) => t.name)],
      load: async () => (await import('./report.js')).syscallsReport,
    },
  },
};
