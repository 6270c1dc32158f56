#!/usr/bin/env node
// Check a Perfetto export of a capture against Perfetto's own importer (trace_processor_shell) and
// ktape's views: CPU time per thread, thread-state time per thread and state, syscall counts per
// thread, and trace_processor's import errors/data losses. Not a test: trace_processor takes ~30 min
// to build here (../shared/perfetto/build-trace-processor.sh), so CI has none. Prints one table per
// check and exits 1 when any check differs.
//   node scripts/tp-check.mjs CAP [--tp /usr/local/bin/trace_processor_shell]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const cap = args[0];
const tp = args.includes('--tp') ? args[args.indexOf('--tp') + 1] : 'trace_processor_shell';
if (!cap) {
  console.error('usage: node scripts/tp-check.mjs CAP [--tp PATH]');
  process.exit(2);
}
const ktape = join(import.meta.dirname, '..', 'dist', 'cli', 'main.js');
const work = mkdtempSync(join(tmpdir(), 'ktape-tp-'));
const trace = join(work, 'trace.pftrace');

const csvRows = (text) => {
  const [head, ...lines] = text
    .trim()
    .split('\n')
    .filter((l) => l && !/^(Loading|Trace loaded|\[)/.test(l));
  const cols = head.split(',').map((c) => c.replace(/"/g, ''));
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [cols[i], v.replace(/"/g, '')])));
};
const tpQuery = (sql) => {
  const q = join(work, 'q.sql');
  writeFileSync(q, sql);
  return csvRows(execFileSync(tp, ['-q', q, trace], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 }));
};
const ktQuery = (sql) => csvRows(execFileSync('node', [ktape, 'query', cap, sql, '--csv'], { encoding: 'utf8', maxBuffer: 1 << 28 }));

function compare(title, key, a, b, explain = () => null) {
  const m = new Map();
  for (const r of a) m.set(r[key], { tp: Number(r.v), kt: 0 });
  for (const r of b) {
    const e = m.get(r[key]) ?? { tp: 0, kt: 0 };
    e.kt = Number(r.v);
    m.set(r[key], e);
  }
  let bad = 0;
  let explained = 0;
  let sumTp = 0;
  let sumKt = 0;
  for (const [k, e] of m) {
    sumTp += e.tp;
    sumKt += e.kt;
    if (e.tp === e.kt) continue;
    const why = explain(k, e.tp - e.kt);
    if (why) explained++;
    else if (bad++ < 10) console.log(`  differs: ${key}=${k} trace_processor=${e.tp} ktape=${e.kt}`);
  }
  console.log(
    `${title}: ${m.size} keys, ${bad} differ${explained ? `, ${explained} by a known convention (below)` : ''}; total trace_processor=${sumTp} ktape=${sumKt}`,
  );
  return bad;
}

try {
  execFileSync('node', [ktape, 'export', cap, '--perfetto', trace], { stdio: ['ignore', 'ignore', 'inherit'] });
  let bad = 0;
  const [tb] = tpQuery('SELECT start_ts, end_ts FROM trace_bounds');
  const [cw] = ktQuery('SELECT start_ts, end_ts FROM capture');
  const same = tb.start_ts === cw.start_ts && tb.end_ts === cw.end_ts;
  if (!same) bad++;
  console.log(`trace bounds ${tb.start_ts}..${tb.end_ts}, capture window ${cw.start_ts}..${cw.end_ts}: ${same ? 'same' : 'DIFFER'}`);
  bad += compare(
    'CPU ns per tid (sched vs sched_slices)',
    'tid',
    tpQuery('SELECT t.tid AS tid, sum(s.dur) AS v FROM sched s JOIN thread t USING (utid) WHERE t.tid <> 0 GROUP BY t.tid'),
    ktQuery('SELECT tid, sum(dur) AS v FROM sched_slices WHERE tid <> 0 GROUP BY tid'),
  );
  // trace_processor starts a new task's R at task_newtask; ktape at sched_wakeup_new (until then the task is
  // TASK_NEW, not runnable): a new task's first R differs by exactly that interval
  const newTask = new Map(
    ktQuery(
      "WITH f AS (SELECT tid, min(ts) AS fork_ts FROM task_events WHERE event = 'fork' GROUP BY tid), s AS (SELECT tid, arg_min(state, ts) AS st, min(ts) AS ts0 FROM thread_state GROUP BY tid) SELECT s.tid, s.ts0 - f.fork_ts AS v FROM s JOIN f USING (tid) WHERE s.st = 'R'",
    ).map((r) => [`${r.tid} R`, Number(r.v)]),
  );
  // over a kernel_gap loss (a switch-out the kernel never reported) ktape's state is unknown (NULL), where
  // trace_processor keeps the thread R until its next event
  const unknown = new Map(
    ktQuery('SELECT tid, sum(dur) AS v FROM thread_state WHERE state IS NULL AND tid <> 0 GROUP BY tid').map((r) => [r.tid, Number(r.v)]),
  );
  const newTaskR = (k, d) => {
    const [tid, st] = k.split(' ');
    if (st === 'unknown') return d === -unknown.get(tid);
    return st === 'R' && d === (newTask.get(k) ?? 0) + (unknown.get(tid) ?? 0);
  };
  bad += compare(
    'ns per tid and state (thread_state)',
    'k',
    tpQuery(
      "SELECT t.tid || ' ' || CASE WHEN s.state = 'Running' THEN 'Running' ELSE s.state END AS k, sum(CASE WHEN s.dur < 0 THEN trace_end() - s.ts ELSE s.dur END) AS v FROM thread_state s JOIN thread t USING (utid) WHERE t.tid <> 0 AND s.dur <> 0 GROUP BY k",
    ),
    ktQuery("SELECT tid || ' ' || coalesce(state, 'unknown') AS k, sum(dur) AS v FROM thread_state WHERE tid <> 0 AND dur > 0 GROUP BY k"),
    newTaskR,
  );
  console.log(
    "  known conventions: a new task's first R starts at task_newtask in trace_processor, at sched_wakeup_new in ktape; over a kernel_gap loss ktape's state is unknown, trace_processor's R",
  );
  bad += compare(
    'syscalls per tid (slices on thread tracks vs syscalls)',
    'tid',
    tpQuery(
      "SELECT t.tid AS tid, count(*) AS v FROM slice s JOIN thread_track tt ON s.track_id = tt.id JOIN thread t USING (utid) WHERE s.name LIKE 'sys_%' AND s.dur >= 0 GROUP BY t.tid",
    ),
    ktQuery('SELECT tid, count(*) AS v FROM syscalls WHERE ts IS NOT NULL AND end_ts IS NOT NULL GROUP BY tid'),
  );
  // ktape marks a CPU's ftrace bundles as lossy (ftrace_cpu_has_data_loss) where the capture has losses on it
  const lossCpus = new Set(ktQuery('SELECT DISTINCT cpu FROM losses').map((r) => r.cpu));
  const stats = tpQuery("SELECT name, idx, severity, source, value FROM stats WHERE value > 0 AND severity IN ('error', 'data_loss')");
  let unexplained = 0;
  console.log(`trace_processor import errors/data losses: ${stats.length ? '' : 'none'}`);
  for (const s of stats) {
    const known = s.name === 'ftrace_cpu_has_data_loss' && lossCpus.has(s.idx);
    if (!known) unexplained++;
    console.log(`  ${s.severity} ${s.name}${s.idx ? `[${s.idx}]` : ''} = ${s.value}${known ? ' (the capture has losses on that CPU)' : ''}`);
  }
  process.exit(bad || unexplained ? 1 : 0);
} finally {
  rmSync(work, { recursive: true, force: true });
}
