/** sched's part of the summary: switch balance per CPU, the top threads by CPU, and a warning when switches are missing. */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions } from '../../analyze/reports/common.js';
import type { SummaryPart } from '../family.js';
import { cpuReport } from './reports/cpu.js';

export async function schedSummary(cap: CaptureDb, o: ReportOptions): Promise<SummaryPart> {
  // switch balance: a switch whose prev is not the previous switch's next on that CPU means switches are missing
  const balance = await cap.query(`SELECT cpu, count(*) AS switches,
      count(*) FILTER (WHERE prev_next IS NOT NULL AND prev_next <> prev_tid) AS unbalanced
    FROM (SELECT cpu, prev_tid, lag(next_tid) OVER (PARTITION BY cpu ORDER BY ts) AS prev_next FROM _sched_switch) GROUP BY cpu ORDER BY cpu`);
  const cpu = await cpuReport(cap, { ...o, top: Math.min(o.top, 10), by: 'thread' });
  const unbalanced = balance.reduce((a, r) => a + Number(r.unbalanced), 0);
  const notes: string[] = [];
  if (unbalanced) {
    // the kernel_gap losses whose switch is placed from the kernel's sched_info (losses.resume_ts; as good as its clock)
    const [{ placed }] = await cap.query<{ placed: number }>(`SELECT count(*) AS placed FROM _losses WHERE reason = 'kernel_gap' AND resume_ts IS NOT NULL`);
    const approx = unbalanced - Number(placed);
    notes.push(
      `WARNING: ${unbalanced} context switches do not follow the previous switch on their CPU (switches missing)` +
        (Number(placed) ? `; ${placed} of them placed from the kernel's arrival times (losses.resume_ts)` : '') +
        (approx > 0 ? `; CPU time may be off around ${Number(placed) ? `the other ${approx}` : 'them'}` : ''),
    );
  }
  return {
    sections: [
      {
        name: 'switch_balance',
        title: 'Switch balance per CPU',
        columns: [
          { key: 'cpu', unit: 'count' },
          { key: 'switches', unit: 'count' },
          { key: 'unbalanced', unit: 'count' },
        ],
        rows: balance,
      },
      { ...cpu.sections[0], name: 'top_cpu', title: 'Top threads by CPU' },
    ],
    notes,
  };
}
