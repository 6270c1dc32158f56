/** Report registry: name → implementation. Every report gets loss-window notes. */
import type { CaptureDb } from '../db.js';
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
