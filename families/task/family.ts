/** The task family: forks, execs, exits, renames and frees of threads. */
import type { DuckDBConnection } from '@duckdb/node-api';
import * as W from '../../formats/gen/events.gen.js';
import type { Manifest } from '../../formats/schema.js';
import { copyPlan } from '../../record/copy-decoder.js';
import { taskCompare } from './compare.js';
import type { Family, FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';
import { exitTrigger } from './trigger.js';

const TASK = TABLES.map((t) => t.name);
const T = (name: string) => TABLES.find((t) => t.name === name)!;

/** every column is a copy of a wire field, decoded in C (the strings as text columns): a fork storm's rows cost no JS each */
const taskDecoder = (): FamilyDecoder => ({
  handlers: {},
  plans: {
    [W.KT_TASK_NEWTASK]: copyPlan({
      struct: 'kt_task_newtask',
      table: T('task_newtask'),
      rename: { parent_tid: 'h.tid', parent_tgid: 'tgid' },
      tgids: [
        ['h.tid', 'tgid'],
        ['child_tid', 'child_tgid'],
      ],
    }),
    [W.KT_TASK_EXEC]: copyPlan({ struct: 'kt_task_exec', table: T('task_exec') }),
    [W.KT_TASK_EXIT]: copyPlan({ struct: 'kt_task_exit', table: T('task_exit') }),
    [W.KT_TASK_RENAME]: copyPlan({ struct: 'kt_task_rename', table: T('task_rename') }),
    // a freed tid may be reused: forget its tgid
    [W.KT_TASK_FREE]: copyPlan({ struct: 'kt_task_free', table: T('task_free'), forgetsTid: true }),
  },
});

/** _task_host: the capture host's page size (the exit accounting and the fork count pages) */
async function hostFacts(conn: DuckDBConnection, m: Manifest): Promise<void> {
  const ps = Number(m.host?.page_size);
  await conn.run('CREATE OR REPLACE TABLE _task_host AS SELECT $ps::BIGINT AS page_size', { ps: Number.isInteger(ps) && ps > 0 ? ps : 4096 });
}

export const task: Family = {
  name: 'task',
  doc: 'thread lifecycle (task_newtask, sched_process_exec/exit/free, task_rename)',
  byDefault: true,
  tables: TABLES,
  kinds: [
    { id: W.KT_TASK_NEWTASK, name: 'task_newtask', struct: 'kt_task_newtask' },
    { id: W.KT_TASK_EXEC, name: 'task_exec', struct: 'kt_task_exec' },
    { id: W.KT_TASK_EXIT, name: 'task_exit', struct: 'kt_task_exit' },
    { id: W.KT_TASK_RENAME, name: 'task_rename', struct: 'kt_task_rename' },
    { id: W.KT_TASK_FREE, name: 'task_free', struct: 'kt_task_free' },
  ],
  programs: [
    // following a command's process tree needs the fork/free programs even when task events are not recorded
    { name: 'kt_task_newtask', kind: W.KT_TASK_NEWTASK, alsoWhen: (s) => s.follow },
    { name: 'kt_task_exec', kind: W.KT_TASK_EXEC },
    { name: 'kt_task_exit', kind: W.KT_TASK_EXIT },
    { name: 'kt_task_rename', kind: W.KT_TASK_RENAME },
    { name: 'kt_task_free', kind: W.KT_TASK_FREE, alsoWhen: (s) => s.follow },
  ],
  bpfConfig: (s) => {
    const b = Buffer.alloc(W.SIZEOF.kt_task_config);
    b.writeUInt32LE(s.events.includes('task') ? 1 : 0, W.OFF.kt_task_config.emit_task);
    return b;
  },
  decoder: taskDecoder,
  // small, joined by every report
  analyzer: { prepare: hostFacts, materialize: ['threads', 'processes'] },
  export: async () => (await import('./export.js')).taskExport,
  compare: taskCompare,
  htmlSections: async () => (await import('./html.js')).taskHtml,
  triggers: { exit: exitTrigger },
  reports: {
    tasks: {
      doc: 'fork/exec/exit events, the process tree, and what the kernel accounted at each exit (prio, nice, policy, switches, faults, times, VM size, peak RSS)',
      reads: [...TASK],
      load: async () => (await import('./report.js')).tasksReport,
    },
  },
};
