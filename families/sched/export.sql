-- Export (sched): what the exporters write for the sched family, from the analyzer's sched_slices (which
-- holds the kernel_gap rule through _switches and the capture-edge rule) and wakeups; nothing is re-derived.
-- Needs: sched_slices, wakeups, _export_window, _export_keep, _export_comms, _export_first_comm (select.sql).

-- The slices inside the export window, cut at its edges; name = the thread's comm when the slice began.
CREATE OR REPLACE TEMP TABLE _export_slices AS
SELECT s.cpu, greatest(s.ts, w.lo) AS ts, least(s.end_ts, w.hi) AS end_ts, s.tid, coalesce(s.tgid, s.tid) AS tgid, s.prio,
       s.end_state, s.end_state_raw, s.clipped OR s.ts < w.lo OR s.end_ts > w.hi AS clipped,
       CASE WHEN s.tid = 0 THEN 'swapper/' || s.cpu ELSE coalesce(c.comm, f.comm, '') END AS comm,
       _export_keep(s.tid, s.tgid) AS kept
FROM sched_slices s CROSS JOIN _export_window w
ASOF LEFT JOIN _export_comms c ON c.tid = s.tid AND greatest(s.ts, w.lo) >= c.ts
LEFT JOIN _export_first_comm f ON f.tid = s.tid
WHERE s.ts < w.hi AND (s.end_ts > w.lo OR s.ts >= w.lo);

-- Perfetto: the per-CPU switch stream that reproduces those slices in trace_processor's sched table: one
-- switch where each slice begins (prev = the slice before it, prev_state = how that one ended; the first
-- slice of a CPU begins with a switch from idle at the window start) and one at the window end from the
-- last slice to idle, so the slices running at the end end there instead of staying open (dur -1).
-- prev_state NULL (the slice ran to the end, or left in a switch the kernel did not report) is written as 0.
-- With --pid/--comm a switch is kept when either side is selected. k = 1 (switches sort after wakeups).
CREATE OR REPLACE TEMP TABLE _export_sched_switch AS
WITH o AS (
  SELECT cpu, ts, tid, prio, comm, kept,
         lag(tid) OVER w AS prev_tid, lag(prio) OVER w AS prev_prio, lag(end_state_raw) OVER w AS prev_state,
         lag(comm) OVER w AS prev_comm, lag(kept) OVER w AS prev_kept,
         lead(ts) OVER w IS NULL AS last, end_ts
  FROM _export_slices WINDOW w AS (PARTITION BY cpu ORDER BY ts, end_ts)
), sw AS (
  SELECT cpu, ts, coalesce(prev_tid, 0) AS prev_tid, coalesce(prev_prio, 120) AS prev_prio, coalesce(prev_state, 0) AS prev_state,
         coalesce(prev_comm, 'swapper/' || cpu) AS prev_comm, tid AS next_tid, prio AS next_prio, comm AS next_comm,
         kept OR coalesce(prev_kept, false) AS kept
  FROM o
  UNION ALL
  SELECT cpu, end_ts, tid, prio, 0, comm, 0, 120, 'swapper/' || cpu, kept FROM o WHERE last
)
SELECT * FROM sw WHERE kept;

-- Perfetto: wakeups inside the window of selected threads, with the woken thread's name at that time.
CREATE OR REPLACE TEMP TABLE _export_sched_waking AS
SELECT k.cpu, k.ts, k.tid, k.target_cpu, k.prio, k.wakeup_new, k.waker_tid, coalesce(c.comm, f.comm, '') AS comm
FROM wakeups k CROSS JOIN _export_window w
ASOF LEFT JOIN _export_comms c ON c.tid = k.tid AND k.ts >= c.ts
LEFT JOIN _export_first_comm f ON f.tid = k.tid
WHERE k.ts BETWEEN w.lo AND w.hi AND _export_keep(k.tid, k.tgid);
