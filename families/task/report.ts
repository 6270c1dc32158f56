/** tasks: the lifecycle tree (fork, exec, exit with times, lifetime, exit code), as execsnoop plus a process tree. */
import type { CaptureDb, Param } from '../../analyze/db.js';
import { fmtNs, p, printable, taskFilter, type Col, type ReportOptions, type ReportResult, type Section } from '../../analyze/reports/common.js';
import { versionLess } from '../../formats/version.js';

/** the accounting columns both sections show (families/task/sql/accounting.sql) */
const ACCT_COLS: Col[] = [
  { key: 'prio', unit: 'count' },
  { key: 'nice', unit: 'count' },
  { key: 'policy_name', label: 'policy' },
  { key: 'nvcsw', label: 'vcsw', unit: 'count' },
  { key: 'nivcsw', label: 'ivcsw', unit: 'count' },
  { key: 'min_flt', label: 'minflt', unit: 'count' },
  { key: 'maj_flt', label: 'majflt', unit: 'count' },
  { key: 'utime_adj_ns', label: 'user', unit: 'ns' },
  { key: 'stime_adj_ns', label: 'sys', unit: 'ns' },
  { key: 'runtime_ns', label: 'runtime', unit: 'ns' },
  { key: 'vm_fork_bytes', label: 'vm@fork', unit: 'bytes' },
  { key: 'vm_bytes', label: 'vm@exit', unit: 'bytes' },
  { key: 'maxrss_bytes', label: 'maxrss', unit: 'bytes' },
];
const ACCT_SQL = `prio, nice, policy, policy_name, rt_priority, nvcsw, nivcsw, min_flt, maj_flt, utime_ns, stime_ns, runtime_ns,
  utime_adj_ns, stime_adj_ns, vm_fork_bytes, vm_bytes, maxrss_bytes`;

/**
 * What the kernel accounted at each exit (schparm, trace_task_struct): per thread, and per process as
 * wait4's rusage sums the threads; the --top by CPU time. A capture older than format 1.7 has no such
 * columns: a note says so.
 */
async function accounting(cap: CaptureDb, o: ReportOptions): Promise<{ sections: Section[]; notes: string[] }> {
  const fv = cap.manifest.format_version;
  if (versionLess(fv, '1.7'))
    return {
      sections: [],
      notes: [`this capture (format ${fv}) has no exit accounting (prio, nice, policy, switches, faults, times, RSS): it needs format 1.7; record it again`],
    };
  // the window on the exit time, --pid/--comm on the thread or the process, the --top by CPU time
  const rows = (view: string, ts: string, ids: string, a: { tid: string; tgid: string; comm: string }) => {
    const params: Param[] = [];
    const cond = `${ts} >= ${p(params, o.since)} AND ${ts} <= ${p(params, o.until)} AND ${taskFilter(o, params, a)}`;
    return cap.query(
      `SELECT ${ts}, ${ids}, ${ACCT_SQL} FROM ${view} WHERE ${cond} ORDER BY runtime_ns DESC, ${ts}, ${a.tid} LIMIT ${p(params, o.top)}`,
      params,
    );
  };
  const threads = await rows('task_accounting', 'ts', 'tid, tgid, comm, group_dead', { tid: 'tid', tgid: 'tgid', comm: 'comm' });
  const procs = await rows('process_accounting', 'end_ts', 'tgid, comm, threads', { tid: 'tgid', tgid: 'tgid', comm: 'comm' });
  return {
    sections: [
      {
        name: 'exit_accounting',
        title: 'Threads at exit: what the kernel accounted (schparm, trace_task_struct; times as getrusage shows them)',
        rows: threads,
        columns: [{ key: 'tid', unit: 'count' }, { key: 'tgid', unit: 'count' }, { key: 'comm' }, ...ACCT_COLS],
      },
      {
        name: 'process_accounting',
        title: "Processes at their last thread's exit: the threads summed, as wait4's rusage (which adds the final switch and reaped children)",
        rows: procs,
        columns: [{ key: 'tgid', unit: 'count' }, { key: 'comm' }, { key: 'threads', unit: 'count' }, ...ACCT_COLS],
      },
    ],
    notes: threads.length || procs.length ? [] : ['no exit with accounting in this window'],
  };
}

/** The process tree of `shown` as text lines and as JSON nodes (children nested). */
function processTree(cap: CaptureDb, shown: any[]): { lines: string[]; nodes: any[] } {
  const ids = new Set(shown.map((r) => r.tgid));
  const kids = new Map<number, any[]>();
  const roots: any[] = [];
  for (const r of shown) {
    if (r.parent_tgid !== null && ids.has(r.parent_tgid) && r.parent_tgid !== r.tgid) {
      if (!kids.has(r.parent_tgid)) kids.set(r.parent_tgid, []);
      kids.get(r.parent_tgid)!.push(r);
    } else roots.push(r);
  }
  const lines: string[] = [];
  const rel = (t: number | null) => (t === null || t === undefined ? '?' : t < cap.startTs ? 'before' : `+${fmtNs(t - cap.startTs)}`);
  const walk = (r: any, prefix: string, last: boolean, depth: number) => {
    const branch = depth === 0 ? '' : last ? '└─ ' : '├─ ';
    const exit =
      r.end_ts !== null
        ? ` exit ${rel(r.end_ts)} status ${r.exit_status}${r.exit_signal ? ` signal ${r.exit_signal}` : ''} lifetime ${r.lifetime !== null ? fmtNs(r.lifetime) : '?'}`
        : '';
    const exec = r.exec_filename ? ` exec ${r.exec_filename}` : '';
    const thr = r.threads > 1 ? ` [${r.threads - 1} thread${r.threads > 2 ? 's' : ''}: ${(r.thread_comms ?? []).join(', ')}]` : '';
    lines.push(
      printable(`${prefix}${branch}${r.comm ?? '?'} (${r.tgid}) ${r.from_snapshot ? 'running at start' : `fork ${rel(r.start_ts)}`}${exec}${exit}${thr}`),
    );
    const ch = kids.get(r.tgid) ?? [];
    ch.forEach((c, i) => {
      walk(c, depth === 0 ? prefix : prefix + (last ? '   ' : '│  '), i === ch.length - 1, depth + 1);
    });
  };
  roots.forEach((r, i) => {
    walk(r, '', i === roots.length - 1, 0);
  });
  const tree = (r: any): any => ({
    tgid: r.tgid,
    comm: r.comm,
    parent_tgid: r.parent_tgid,
    exec_filename: r.exec_filename,
    start_ts: r.start_ts,
    end_ts: r.end_ts,
    lifetime_ns: r.lifetime,
    exit_code: r.exit_code,
    exit_status: r.exit_status,
    exit_signal: r.exit_signal,
    threads: r.threads,
    from_snapshot: r.from_snapshot,
    children: (kids.get(r.tgid) ?? []).map(tree),
  });
  return { lines, nodes: roots.map(tree) };
}

export async function tasksReport(cap: CaptureDb, o: ReportOptions): Promise<ReportResult> {
  const params: Param[] = [];
  const since = p(params, o.since),
    until = p(params, o.until);
  const filt = taskFilter(o, params, { tid: 'e.tid', tgid: 'e.tgid', comm: 'e.comm' });
  const events = await cap.query(
    `SELECT e.ts, e.event, e.tid, e.tgid, e.comm, e.parent_tid, e.parent_tgid, e.filename, e.exit_code,
      e.exit_code >> 8 AS exit_status, e.exit_code & 127 AS exit_signal, e.old_comm
    FROM task_events e WHERE e.event IN ('fork', 'exec', 'exit', 'rename') AND e.ts >= ${since} AND e.ts <= ${until} AND ${filt}
    ORDER BY e.ts, e.tid`,
    params,
  );
  // processes created, exec'd or exited during the capture, and their ancestors (for the tree)
  const procs = await cap.query<any>(
    `WITH RECURSIVE active AS (
      SELECT DISTINCT tgid FROM task_events WHERE event IN ('fork', 'exec', 'exit') AND tgid IS NOT NULL
    ), anc(tgid) AS (
      SELECT tgid FROM active
      UNION SELECT pr.parent_tgid FROM anc JOIN processes pr ON pr.tgid = anc.tgid WHERE pr.parent_tgid IS NOT NULL AND pr.parent_tgid <> 0 AND pr.parent_tgid <> anc.tgid
    )
    SELECT pr.tgid, pr.parent_tgid, pr.comm, pr.exec_filename, pr.start_ts, pr.end_ts, pr.lifetime, pr.exit_code, pr.exit_status, pr.exit_signal,
           pr.threads, pr.from_snapshot,
           (SELECT list(t.comm ORDER BY t.start_ts) FROM threads t WHERE t.tgid = pr.tgid AND t.tid <> pr.tgid) AS thread_comms,
           ${o.comm !== undefined ? "regexp_matches(coalesce(pr.comm, ''), $1)" : 'true'} AS comm_match
    FROM processes pr WHERE pr.tgid IN (SELECT tgid FROM anc) ORDER BY pr.start_ts NULLS FIRST, pr.tgid`,
    o.comm !== undefined ? [o.comm] : [],
  );
  const keep = new Set<number>();
  if (o.pid !== undefined || o.comm !== undefined) {
    // --comm matched by DuckDB (comm_match), the same RE2 semantics as every other report
    const byId = new Map(procs.map((r) => [r.tgid, r]));
    for (const r of procs) {
      if ((o.pid === undefined || r.tgid === o.pid) && r.comm_match) {
        for (let x: any = r; x && !keep.has(x.tgid); x = byId.get(x.parent_tgid)) keep.add(x.tgid);
      }
    }
  }
  const shown = keep.size || o.pid !== undefined || o.comm !== undefined ? procs.filter((r) => keep.has(r.tgid)) : procs;
  const { lines, nodes } = processTree(cap, shown);
  const acct = await accounting(cap, o);
  return {
    report: 'tasks',
    sections: [
      {
        name: 'events',
        title: 'Fork, exec, exit and rename events (execsnoop)',
        rows: events,
        columns: [
          { key: 'ts', unit: 'ts' },
          { key: 'event' },
          { key: 'tid', unit: 'count' },
          { key: 'tgid', unit: 'count' },
          { key: 'comm' },
          { key: 'parent_tid', label: 'parent', unit: 'count' },
          { key: 'exit_status', label: 'exit', unit: 'count' },
          { key: 'exit_signal', label: 'sig', unit: 'count' },
          { key: 'filename' },
        ],
      },
      {
        name: 'tree',
        title: "Process tree (processes that forked, exec'd or exited during the capture, with their ancestors)",
        columns: [],
        rows: nodes,
        text: lines.join('\n') || '  (none)',
      },
      ...acct.sections,
    ],
    notes: acct.notes,
  };
}
