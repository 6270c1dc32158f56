/** The signal family: signals generated and delivered (signal:signal_generate/deliver) and OOM kills (oom:mark_victim). */
import type { DuckDBConnection } from '@duckdb/node-api';
import * as W from '../../formats/gen/events.gen.js';
import type { Manifest } from '../../formats/schema.js';
import { copyPlan } from '../../record/copy-decoder.js';
import { signalCompare } from './compare.js';
import type { Family, FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';
import { oomTrigger } from './trigger.js';

const T = (name: string) => TABLES.find((t) => t.name === name)!;

/** every column is a copy of a wire field, decoded in C (comm as a text column); the sender's and the target's tids both note their tgids */
const signalDecoder = (): FamilyDecoder => ({
  handlers: {},
  plans: {
    [W.KT_SIGNAL_GENERATE]: copyPlan({
      struct: 'kt_signal_generate',
      table: T('signal_generate'),
      tgids: [
        ['h.tid', 'tgid'],
        ['target_tid', 'target_tgid'],
      ],
    }),
    [W.KT_SIGNAL_DELIVER]: copyPlan({ struct: 'kt_signal_deliver', table: T('signal_deliver') }),
    [W.KT_OOM_MARK_VICTIM]: copyPlan({
      struct: 'kt_oom_victim',
      table: T('oom_victim'),
      tgids: [
        ['h.tid', 'tgid'],
        ['killer_tid', 'killer_tgid'],
      ],
    }),
  },
});

/** _signal_host: the capture host's page size (oom_victim counts pages) */
async function hostFacts(conn: DuckDBConnection, m: Manifest): Promise<void> {
  const ps = Number(m.host?.page_size);
  await conn.run('CREATE OR REPLACE TABLE _signal_host AS SELECT $ps::BIGINT AS page_size', { ps: Number.isInteger(ps) && ps > 0 ? ps : 4096 });
}

export const signal: Family = {
  name: 'signal',
  doc: 'signals generated and delivered, OOM kills (signal:signal_generate/signal_deliver, oom:mark_victim)',
  byDefault: true,
  tables: TABLES,
  kinds: [
    { id: W.KT_SIGNAL_GENERATE, name: 'signal_generate', struct: 'kt_signal_generate' },
    { id: W.KT_SIGNAL_DELIVER, name: 'signal_deliver', struct: 'kt_signal_deliver' },
    { id: W.KT_OOM_MARK_VICTIM, name: 'oom_mark_victim', struct: 'kt_oom_victim' },
  ],
  programs: [
    { name: 'kt_signal_generate', kind: W.KT_SIGNAL_GENERATE },
    { name: 'kt_signal_deliver', kind: W.KT_SIGNAL_DELIVER },
    { name: 'kt_oom_mark_victim', kind: W.KT_OOM_MARK_VICTIM },
  ],
  decoder: signalDecoder,
  analyzer: { prepare: hostFacts },
  summary: async () => (await import('./summary.js')).signalSummary,
  export: async () => (await import('./export.js')).signalExport,
  compare: signalCompare,
  htmlSections: async () => (await import('./html.js')).signalHtml,
  triggers: { oom: oomTrigger },
  reports: {
    signals: {
      doc: 'who signalled whom, how often, with what result; deliveries per thread with disposition; OOM kills',
      // task_exit: the exit status that pairs a fatal default action with its group exit
      reads: [...TABLES.map((t) => t.name), 'task_exit'],
      load: async () => (await import('./report.js')).signalsReport,
    },
  },
};
