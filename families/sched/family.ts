/** The sched family: context switches, wakeups, and the waits the kernel pairs with switch-ins. */
import type { DuckDBConnection } from '@duckdb/node-api';
import * as W from '../../formats/gen/events.gen.js';
import type { Manifest } from '../../formats/schema.js';
import { schedCompare } from './compare.js';
import type { Family } from '../family.js';
import { schedDecoder } from './decode.js';
import { TABLES as TASK_TABLES } from '../task/tables.js';
import { hasPairedWaits, waitsOnSwitch } from './paired.js';
import { TABLES } from './tables.js';
import { runqTrigger } from './trigger.js';

/** every report reads the task tables (thread names, processes) */
const TASK = TASK_TABLES.map((t) => t.name);

/**
 * Waits paired in the kernel (format 1.2 on): the sched-latency rows need no window pass, and the
 * switches flag migrations: the cpu report needs no window pass per thread either. In a --db
 * database, the big derived views are stored once.
 */
async function chooseViews(conn: DuckDBConnection, m: Manifest, o: { cache: boolean }): Promise<void> {
  const paired = hasPairedWaits(m),
    onSwitch = waitsOnSwitch(m);
  if (paired) {
    if (onSwitch) await conn.run('CREATE OR REPLACE VIEW _waits AS SELECT * FROM _waits_on_switch');
    await conn.run('CREATE OR REPLACE VIEW _runnable AS SELECT * FROM _runnable_paired');
    await conn.run('CREATE OR REPLACE VIEW _sched_slices_mig AS SELECT * FROM _sched_slices_mig_paired');
  }
  // the sleeps paired in the kernel (format 1.9 on): the offcpu report needs no window pass
  if (onSwitch) await conn.run('CREATE OR REPLACE VIEW _sleeps AS SELECT * FROM _sleeps_paired');
  if (!o.cache) return;
  await conn.run('CREATE TABLE _m_thread_state AS SELECT * FROM thread_state');
  await conn.run('CREATE OR REPLACE VIEW thread_state AS SELECT * FROM _m_thread_state');
  // the stored table has the cpu report's extra column (_migrated): the view keeps its own columns
  const cols = (await conn.runAndReadAll('SELECT * FROM sched_slices LIMIT 0')).columnNames();
  await conn.run('CREATE TABLE _m_sched_slices AS SELECT * FROM _sched_slices_mig');
  await conn.run(`CREATE OR REPLACE VIEW sched_slices AS SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM _m_sched_slices`);
  await conn.run('CREATE OR REPLACE VIEW _sched_slices_mig AS SELECT * FROM _m_sched_slices');
  // the same rows as the _runnable view (tested): paired in the kernel, or from the stored thread_state
  // instead of a second window pass
  await conn.run(
    paired
      ? 'CREATE TABLE _m_runnable AS SELECT * FROM _runnable_paired'
      : `CREATE TABLE _m_runnable AS SELECT ts, dur, end_ts, tid, tgid, state = 'R' AND waker_tid IS NOT NULL AS wake
    FROM thread_state WHERE state IN ('R', 'R+') AND NOT clipped`,
  );
  await conn.run('CREATE OR REPLACE VIEW _runnable AS SELECT * FROM _m_runnable');
  await conn.run(`CREATE TABLE _m_sleeps AS SELECT * FROM ${onSwitch ? '_sleeps_paired' : '_sleeps_derived'}`);
  await conn.run('CREATE OR REPLACE VIEW _sleeps AS SELECT * FROM _m_sleeps');
}

export const sched: Family = {
  name: 'sched',
  doc: 'context switches and wakeups (sched_switch, sched_waking, sched_wakeup_new)',
  byDefault: true,
  tables: TABLES,
  kinds: [
    { id: W.KT_SCHED_SWITCH, name: 'sched_switch', struct: 'kt_sched_switch' },
    { id: W.KT_SCHED_WAKING, name: 'sched_waking', struct: 'kt_sched_wake' },
    { id: W.KT_SCHED_WAKEUP_NEW, name: 'sched_wakeup_new', struct: 'kt_sched_wake' },
  ],
  programs: [
    { name: 'kt_sched_switch', kind: W.KT_SCHED_SWITCH },
    { name: 'kt_sched_waking', kind: W.KT_SCHED_WAKING },
    { name: 'kt_sched_wakeup_new', kind: W.KT_SCHED_WAKEUP_NEW },
  ],
  bpfConfig: (s) => {
    const b = Buffer.alloc(W.SIZEOF.kt_sched_config);
    b.writeUInt32LE(s.schedWait ? 1 : 0, W.OFF.kt_sched_config.pair_waits);
    return b;
  },
  decoder: schedDecoder,
  analyzer: { finish: chooseViews },
  summary: async () => (await import('./summary.js')).schedSummary,
  export: async () => (await import('./export.js')).schedExport,
  compare: schedCompare,
  htmlSections: async () => (await import('./html.js')).schedHtml,
  htmlDistributions: async () => (await import('./html.js')).schedDistributions,
  triggers: { runq: runqTrigger },
  reports: {
    cpu: {
      doc: 'CPU time per thread (--by process|comm), switches, migrations; busy time per CPU',
      reads: ['sched_switch', ...TASK],
      load: async () => (await import('./reports/cpu.js')).cpuReport,
    },
    'sched-latency': {
      doc: 'wakeup→running latency per thread (runqlat), log2 histogram, preempted (R+) wait',
      // with waits paired in the kernel it reads them (and losses for the kernel gaps) only: sched_wait
      // (formats 1.2 to 1.8) or the switch rows (1.9 on)
      reads: (m) => (waitsOnSwitch(m) ? ['sched_switch', ...TASK] : hasPairedWaits(m) ? ['sched_wait', ...TASK] : ['sched_switch', 'sched_waking', ...TASK]),
      load: async () => (await import('./reports/sched.js')).schedLatencyReport,
    },
    offcpu: {
      doc: 'time blocked per thread by state (S/D) with top wakers',
      reads: ['sched_switch', 'sched_waking', ...TASK],
      load: async () => (await import('./reports/sched.js')).offcpuReport,
    },
    switches: {
      doc: 'prev→next context switch pair counts',
      reads: ['sched_switch', ...TASK],
      load: async () => (await import('./reports/sched.js')).switchesReport,
    },
  },
};
