-- Export (task): lifecycle events (task_events) inside the export window, with the CPU they fired on and,
-- for exec, the thread's name just before it (a rename event follows when exec changed it).
-- Needs: task_events, task_accounting, _export_window, _export_keep, _export_comm_spans (export/sql/select.sql); the CPU
-- of each event from the raw task tables (task_events has no cpu column).
CREATE OR REPLACE TEMP TABLE _export_task AS
WITH cpus AS (
  SELECT ts, child_tid AS tid, 'fork' AS event, any_value(cpu) AS cpu FROM _task_newtask GROUP BY ALL
  UNION ALL SELECT ts, tid, 'exec', any_value(cpu) FROM _task_exec GROUP BY ALL
  UNION ALL SELECT ts, tid, 'exit', any_value(cpu) FROM _task_exit GROUP BY ALL
  UNION ALL SELECT ts, tid, 'rename', any_value(cpu) FROM _task_rename GROUP BY ALL
  UNION ALL SELECT ts, tid, 'free', any_value(cpu) FROM _task_free GROUP BY ALL
)
SELECT e.*, coalesce(u.cpu, 0) AS cpu,
       CASE WHEN e.event = 'exec' THEN coalesce(c.comm, '') END AS comm_before,
       -- exit: the kernel's accounting (task_accounting, NULL before format 1.7) as the event's args
       a.prio AS acct_prio, a.nice AS acct_nice, a.policy_name AS acct_policy, a.nvcsw AS acct_nvcsw, a.nivcsw AS acct_nivcsw,
       a.min_flt AS acct_min_flt, a.maj_flt AS acct_maj_flt, a.utime_adj_ns AS acct_utime_ns, a.stime_adj_ns AS acct_stime_ns,
       a.runtime_ns AS acct_runtime_ns, a.vm_bytes AS acct_vm_bytes, a.maxrss_bytes AS acct_maxrss_bytes
FROM task_events e CROSS JOIN _export_window w
LEFT JOIN cpus u ON u.ts = e.ts AND u.tid = e.tid AND u.event = e.event
LEFT JOIN task_accounting a ON e.event = 'exit' AND a.ts = e.ts AND a.tid = e.tid
-- the name just before: the span holding ts - 1 (ns timestamps)
LEFT JOIN _export_comm_spans c ON c.tid = e.tid AND e.ts - 1 >= c.from_ts AND e.ts - 1 < c.to_ts
WHERE e.ts BETWEEN w.lo AND w.hi
  AND (CASE WHEN e.event = 'fork' THEN _export_keep(e.parent_tid, e.parent_tgid) OR _export_keep(e.tid, e.tgid) ELSE _export_keep(e.tid, e.tgid) END);
