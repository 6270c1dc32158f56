/**
 * The sched family's sections of `ktape report`: the CPU timeline (who ran on each CPU, downsampled in
 * SQL to TIMELINE_BUCKETS buckets per CPU: the thread that ran longest in each, runs of one thread merged),
 * CPU by process and thread (the cpu report), run-queue latency as a histogram (the sched-latency report)
 * and a heat map over time, and off-CPU time by state (the offcpu report).
 */
import type { CaptureDb } from '../../analyze/db.js';
import type { ReportOptions, Section } from '../../analyze/reports/common.js';
import { LOG2_BUCKET_US } from '../../analyze/reports/common.js';
import { bucketWidth, histBars, tableOf, timeHeatmap } from '../../html/blocks.js';
import { fmtNs } from '../../formats/units.js';
import type { HtmlBlock, HtmlSection } from '../family.js';
import { cpuReport } from './reports/cpu.js';
import { offcpuReport, schedLatencyReport } from './reports/sched.js';

export const TIMELINE_BUCKETS = 2000;
const HEAT_BUCKETS = 60;

/** per CPU and bucket the thread that ran longest; consecutive buckets of one thread merged (gaps and islands) */
const TIMELINE_SQL = `
WITH s AS (
  SELECT cpu, tid, tgid, greatest(ts, $1) AS ts, least(end_ts, $2) AS end_ts FROM sched_slices WHERE tid <> 0 AND end_ts > $1 AND ts < $2
), f AS (
  SELECT *, least(($4 - 1), (ts - $1) // $3) AS b0, least(($4 - 1), (end_ts - 1 - $1) // $3) AS b1 FROM s
), b AS (
  -- a slice inside one bucket (nearly all of them) runs there for its whole length; only the others are split
  SELECT cpu, tid, tgid, b0 AS bucket, end_ts - ts AS run FROM f WHERE b0 = b1
  UNION ALL
  SELECT cpu, tid, tgid, bucket, least(end_ts, $1 + (bucket + 1) * $3) - greatest(ts, $1 + bucket * $3)
  FROM (SELECT *, unnest(range(b0, b1 + 1)) AS bucket FROM f WHERE b0 < b1)
), o AS (
  SELECT cpu, bucket, tid, any_value(tgid) AS tgid, sum(run) AS run FROM b GROUP BY cpu, bucket, tid
), w AS (
  SELECT cpu, bucket, arg_max(tid, run) AS tid, arg_max(tgid, run) AS tgid, sum(run) AS busy FROM o GROUP BY cpu, bucket
), i AS (SELECT *, bucket - row_number() OVER (PARTITION BY cpu, tid ORDER BY bucket) AS island FROM w)
SELECT i.cpu, i.tid, i.tgid, min(i.bucket) AS b0, max(i.bucket) + 1 AS b1, sum(i.busy) AS busy_ns,
  any_value(t.comm) AS comm, any_value(pr.comm) AS process_comm
FROM i LEFT JOIN threads t ON t.tid = i.tid LEFT JOIN processes pr ON pr.tgid = i.tgid
GROUP BY i.cpu, i.tid, i.tgid, i.island ORDER BY i.cpu, b0`;

async function timeline(cap: CaptureDb): Promise<HtmlBlock> {
  const w = bucketWidth(cap, TIMELINE_BUCKETS);
  const rows = await cap.query<any>(TIMELINE_SQL, [cap.startTs, cap.endTs, w, TIMELINE_BUCKETS]);
  const cpus = [...new Set(rows.map((r) => r.cpu))].sort((a, b) => a - b);
  const lane = new Map(cpus.map((c, i) => [c, i]));
  return {
    kind: 'timeline',
    title: `Who ran on each CPU (the thread that ran longest per ${fmtNs(w)}; drag or scroll to zoom)`,
    lanes: cpus.map((c) => `CPU ${c}`),
    items: rows.map((r) => {
      const from = r.b0 * w,
        to = Math.min(r.b1 * w, cap.endTs - cap.startTs);
      return {
        lane: lane.get(r.cpu)!,
        from_ns: from,
        to_ns: to,
        label: r.comm ?? `tid ${r.tid}`,
        tip: [
          `${r.comm ?? '?'} (tid ${r.tid})`,
          `process ${r.process_comm ?? '?'} (tgid ${r.tgid ?? '?'})`,
          `+${fmtNs(from)} .. +${fmtNs(to)} on CPU ${r.cpu}`,
          `busy ${((100 * r.busy_ns) / Math.max(1, to - from)).toFixed(1)}%`,
        ],
      };
    }),
  };
}

const sec = (r: { sections: Section[] }, name: string) => r.sections.find((s) => s.name === name)!;

async function cpuUsage(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection> {
  const byThread = sec(await cpuReport(cap, { ...o, by: 'thread' }), 'tasks');
  const byProcess = await cpuReport(cap, { ...o, by: 'process' });
  const proc = sec(byProcess, 'tasks');
  return {
    id: 'cpu-usage',
    title: 'CPU by process and by thread',
    blocks: [
      {
        kind: 'bars',
        title: 'CPU time by process',
        unit: 'ns',
        horizontal: true,
        categories: proc.rows.map((r) => `${r.comm ?? '?'} (${r.tgid})`),
        series: [{ name: 'cpu', values: proc.rows.map((r) => Number(r.cpu_ns)) }],
      },
      tableOf(proc),
      tableOf(byThread),
      tableOf(sec(byProcess, 'cpus')),
    ],
  };
}

async function runqueue(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection> {
  const lat = await schedLatencyReport(cap, o);
  const w = bucketWidth(cap, HEAT_BUCKETS);
  const heat = await cap.query<{ t: number; b: number; n: number }>(
    `SELECT least($4 - 1, (end_ts - $1) // $3)::INTEGER AS t, ${LOG2_BUCKET_US('dur')} AS b, count(*)::INTEGER AS n
     FROM _runnable WHERE wake AND end_ts >= $1 AND end_ts <= $2 GROUP BY ALL ORDER BY 1, 2`,
    [cap.startTs, cap.endTs, w, HEAT_BUCKETS],
  );
  return {
    id: 'runqueue-latency',
    title: 'Run-queue latency (wakeup → running)',
    blocks: [
      histBars('Wakeup latency, all threads (log2 buckets)', [{ name: 'wakeups', buckets: sec(lat, 'histogram').rows as any }]),
      timeHeatmap(`Wakeup latency over time (wakeups per ${fmtNs(w)} and latency bucket)`, w, heat),
      tableOf(sec(lat, 'tasks')),
    ],
  };
}

async function offcpu(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection> {
  const s = sec(await offcpuReport(cap, o), 'tasks');
  const states: [string, string][] = [
    ['sleep_ns', 'S (sleeping)'],
    ['blocked_io_ns', 'D (uninterruptible)'],
    ['other_ns', 'other'],
  ];
  return {
    id: 'offcpu',
    title: 'Off-CPU time by state',
    blocks: [
      {
        kind: 'bars',
        title: 'Off-CPU time per thread by state',
        unit: 'ns',
        horizontal: true,
        stack: true,
        categories: s.rows.map((r) => `${r.comm ?? '?'} (${r.tid})`),
        series: states.map(([k, name]) => ({ name, values: s.rows.map((r) => Number(r[k])) })),
      },
      tableOf(s),
    ],
  };
}

export async function schedHtml(cap: CaptureDb, o: ReportOptions): Promise<HtmlSection[]> {
  return [{ id: 'cpu-timeline', title: 'CPU timeline', blocks: [await timeline(cap)] }, await cpuUsage(cap, o), await runqueue(cap, o), await offcpu(cap, o)];
}

/** the wakeup latency histogram, for the compare page's overlays */
export async function schedDistributions(cap: CaptureDb) {
  const lat = await schedLatencyReport(cap, { since: cap.startTs, until: cap.endTs, top: 1 });
  return [{ name: 'run-queue (wakeup) latency', buckets: sec(lat, 'histogram').rows as any }];
}
