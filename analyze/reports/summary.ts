/** summary: capture facts, event counts, losses, top tasks by CPU, top syscalls, outstanding kernel memory. */
import type { CaptureDb } from '../db.js';
import type { ReportOptions, ReportResult } from './common.js';
import { cpuReport } from './cpu.js';

export async function summaryReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const [c] = await cap.query<any>('SELECT * FROM capture');
  const counts = await cap.query('SELECT table_name, events FROM event_counts ORDER BY table_name');
  const losses = await cap.query('SELECT kind, cpu, sum(count) AS events_lost, count(*) AS windows, min(ts_start) AS first_ts, max(ts_end) AS last_ts FROM losses GROUP BY ALL ORDER BY events_lost DESC');
  // switch balance: a switch whose prev is not the previous switch's next on that CPU means switches are missing
  const balance = await cap.query(`SELECT cpu, count(*) AS switches,
      count(*) FILTER (WHERE prev_next IS NOT NULL AND prev_next <> prev_tid) AS unbalanced
    FROM (SELECT cpu, prev_tid, lag(next_tid) OVER (PARTITION BY cpu ORDER BY ts) AS prev_next FROM _sched_switch) GROUP BY cpu ORDER BY cpu`);
  const cpu = await cpuReport(cap, { ...o, top: Math.min(o.top, 10), by: 'thread' });
  const sys = await cap.query(`SELECT name, count(*) AS count, count(*) FILTER (WHERE failed) AS errors, coalesce(sum(dur), 0) AS total_ns
    FROM syscalls WHERE coalesce(ts, end_ts) BETWEEN $1 AND $2 GROUP BY name ORDER BY count DESC, name LIMIT $3`, [o.since, o.until, Math.min(o.top, 10)]);
  const [mem] = await cap.query<any>(`SELECT count(*) AS count, coalesce(sum(bytes), 0) AS bytes FROM allocations WHERE outstanding`);
  const [{ truncated }] = await cap.query<{ truncated: number }>(`SELECT coalesce(sum(count), 0) AS truncated FROM losses WHERE reason = 'truncated'`);
  const killed = !cap.manifest.complete ? 'recorder killed; end is the last event' : null;
  const damaged = Number(truncated) ? `${truncated} rows missing from damaged files, see Losses` : null;
  const facts = [
    { fact: 'host', value: `${c.hostname} ${c.machine} ${c.cpus} CPUs, kernel ${c.kernel_release}` },
    { fact: 'duration', value: `${(Number(c.dur) / 1e9).toFixed(3)}s (ts ${c.start_ts} .. ${c.end_ts})` },
    { fact: 'complete', value: c.complete ? 'yes' : `no (${[killed, damaged].filter(Boolean).join('; ') || 'recorder killed'})` },
    { fact: 'workload', value: c.workload_tgid === null ? '-' : String(c.workload_tgid) },
    { fact: 'outstanding kernel memory', value: `${mem.bytes} bytes in ${mem.count} allocations` },
  ];
  const unbalanced = balance.reduce((a, r) => a + Number(r.unbalanced), 0);
  const notes: string[] = [];
  if (unbalanced) {
    // the kernel_gap losses whose switch is placed exactly (losses.resume_ts, from the kernel's sched_info)
    const [{ placed }] = await cap.query<{ placed: number }>(
      `SELECT count(*) AS placed FROM _losses WHERE reason = 'kernel_gap' AND resume_ts IS NOT NULL`);
    const approx = unbalanced - Number(placed);
    notes.push(`WARNING: ${unbalanced} context switches do not follow the previous switch on their CPU (switches missing)` +
      (Number(placed) ? `; ${placed} of them placed exactly from the kernel's arrival times (losses.resume_ts)` : '') +
      (approx > 0 ? `; CPU time may be off around ${Number(placed) ? `the other ${approx}` : 'them'}` : ''));
  }
  return {
    report: 'summary',
    facts: { capture: c, outstanding: { bytes: mem.bytes, count: mem.count } },
    sections: [
      { name: 'facts', title: 'Capture', columns: [{ key: 'fact' }, { key: 'value' }], rows: facts },
      { name: 'events', title: 'Events', columns: [{ key: 'table_name', label: 'table' }, { key: 'events', unit: 'count' }], rows: counts },
      { name: 'losses', title: 'Losses', columns: [{ key: 'kind' }, { key: 'cpu', unit: 'count' }, { key: 'events_lost', label: 'lost', unit: 'count' }, { key: 'windows', unit: 'count' }], rows: losses },
      { name: 'switch_balance', title: 'Switch balance per CPU', columns: [{ key: 'cpu', unit: 'count' }, { key: 'switches', unit: 'count' }, { key: 'unbalanced', unit: 'count' }], rows: balance },
      { ...cpu.sections[0], name: 'top_cpu', title: 'Top threads by CPU' },
      { name: 'top_syscalls', title: 'Top syscalls', columns: [{ key: 'name' }, { key: 'count', unit: 'count' }, { key: 'errors', unit: 'count' }, { key: 'total_ns', label: 'total', unit: 'ns' }], rows: sys },
    ],
    notes,
  };
}
