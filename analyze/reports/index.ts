/** Report registry: name → implementation. Every report gets loss-window notes. */
import { hasPairedWaits, type CaptureDb } from '../db.js';
import type { Manifest } from '../../formats/schema.js';
import { lossNotes, type ReportOptions, type ReportResult } from './common.js';
import { cpuReport } from './cpu.js';
import { leaksReport } from './leaks.js';
import { offcpuReport, schedLatencyReport, switchesReport } from './sched.js';
import { summaryReport } from './summary.js';
import { syscallsReport } from './syscalls.js';
import { tasksReport } from './tasks.js';

export const REPORTS: Record<string, { doc: string; run: (cap: CaptureDb, o: ReportOptions) => Promise<ReportResult> }> = {
  summary: { doc: 'capture facts, event counts, losses, top tasks by CPU, top syscalls, outstanding kernel memory', run: summaryReport },
  cpu: { doc: 'CPU time per thread (--by process|comm), switches, migrations; busy time per CPU', run: cpuReport },
  'sched-latency': { doc: 'wakeup→running latency per thread (runqlat), log2 histogram, preempted (R+) wait', run: schedLatencyReport },
  syscalls: { doc: 'per syscall and per process, nested both ways; --hist for latency histograms', run: syscallsReport },
  tasks: { doc: 'fork/exec/exit events and the process tree', run: tasksReport },
  offcpu: { doc: 'time blocked per thread by state (S/D) with top wakers', run: offcpuReport },
  leaks: { doc: 'kernel allocations outstanding at the end (--at T) by stack; --min-age, --folded', run: leaksReport },
  switches: { doc: 'prev→next context switch pair counts', run: switchesReport },
};

export async function runReport(name: string, cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const r = await REPORTS[name].run(cap, o);
  const l = await lossNotes(cap, o);
  return { ...r, facts: { ...r.facts, window: { since_ts: o.since, until_ts: o.until }, ...l.facts }, notes: [...l.notes, ...r.notes] };
}

/** Big event tables a report never reads (left empty on a cold load; see OpenOptions.skipTables). */
const SYSCALL_KMEM = ['syscall_enter', 'syscall_exit', 'kmem_alloc', 'kmem_free'];
const REPORT_SKIPS: Record<string, string[]> = {
  cpu: ['sched_waking', 'sched_wait', ...SYSCALL_KMEM],
  switches: ['sched_waking', 'sched_wait', ...SYSCALL_KMEM],
  'sched-latency': ['sched_wait', ...SYSCALL_KMEM],
  offcpu: ['sched_wait', ...SYSCALL_KMEM],
  syscalls: ['sched_waking', 'sched_wait', 'kmem_alloc', 'kmem_free'],
  leaks: ['sched_waking', 'sched_wait', 'syscall_enter', 'syscall_exit'],
};

/** The tables `report` can do without on this capture (undefined: it needs them all). */
export function reportSkips(report: string, manifest: Manifest): string[] | undefined {
  // with waits paired in the kernel, sched-latency reads sched_wait (and losses for the kernel gaps) only
  if (report === 'sched-latency' && hasPairedWaits(manifest)) return ['sched_switch', 'sched_waking', ...SYSCALL_KMEM];
  return REPORT_SKIPS[report];
}
