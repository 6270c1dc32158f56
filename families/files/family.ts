/** The files family: the paths (and execve's argv) that syscalls take, read at entry, with each call's result (raw_syscalls). */
import type { DuckDBConnection } from '@duckdb/node-api';
import * as W from '../../formats/gen/events.gen.js';
import type { Family } from '../family.js';
import { TABLES as TASK_TABLES } from '../task/tables.js';
import { filesCompare } from './compare.js';
import { filesDecoder } from './decode.js';
import { ERRNO_NAMES } from './errnos.gen.js';
import { pathArgTable } from './paths.js';
import { TABLES } from './tables.js';

/** _errno_names: errno number → name (ENOENT, ...) */
async function errnoNames(conn: DuckDBConnection): Promise<void> {
  await conn.run('CREATE TABLE _errno_names (errno INTEGER NOT NULL, name VARCHAR NOT NULL)');
  const a = await conn.createAppender('_errno_names');
  for (const [n, name] of Object.entries(ERRNO_NAMES)) {
    a.appendInteger(Number(n));
    a.appendVarchar(name);
    a.endRow();
  }
  a.closeSync();
}

export const files: Family = {
  name: 'files',
  doc: 'paths of syscalls (open, exec with argv, stat, unlink, rename, ...) read at entry, cut at 256 bytes, with each call result (raw_syscalls:sys_enter/sys_exit)',
  byDefault: false,
  tables: TABLES,
  kinds: [
    { id: W.KT_FILES_PATH, name: 'file_path', struct: 'kt_files_path' },
    { id: W.KT_FILES_ARGV, name: 'file_argv', struct: 'kt_files_argv' },
    { id: W.KT_FILES_EXIT, name: 'file_exit', struct: 'kt_files_exit' },
  ],
  programs: [
    { name: 'kt_files_enter', kind: W.KT_FILES_PATH },
    { name: 'kt_files_argv', kind: W.KT_FILES_ARGV },
    { name: 'kt_files_exit', kind: W.KT_FILES_EXIT },
  ],
  bpfConfig: (s) => {
    const b = Buffer.alloc(W.SIZEOF.kt_files_config);
    if (s.events.includes('files')) b.set(pathArgTable(), W.OFF.kt_files_config.args);
    return b;
  },
  decoder: filesDecoder,
  analyzer: { prepare: errnoNames },
  summary: async () => (await import('./summary.js')).filesSummary,
  export: async () => (await import('./export.js')).filesExport,
  htmlSections: async () => (await import('./html.js')).filesHtml,
  htmlDistributions: async () => (await import('./html.js')).filesDistributions,
  compare: filesCompare,
  reports: {
    files: {
      doc: 'opensnoop: per process, the paths opened with count, errors by errno and latency; execs with argv; other path syscalls',
      reads: [...TABLES.map((t) => t.name), ...TASK_TABLES.map((t) => t.name)],
      load: async () => (await import('./report.js')).filesReport,
    },
  },
};
