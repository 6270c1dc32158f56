-- requires: sched/switches task/tgid_map
-- @view sched_slices: Who ran on each CPU from when to when (idle = tid 0), from sched_switch. The slice running when the capture started begins at capture.start_ts; the one running at the end ends at capture.end_ts.
-- @col cpu: CPU
-- @col ts: slice start, ns since boot
-- @col dur: slice length, ns
-- @col end_ts: ts + dur
-- @col tid: thread that ran (0 = idle)
-- @col tgid: its process (0 for idle)
-- @col prio: kernel prio while it ran (0..139, lower is higher priority)
-- @col end_state: state it left the CPU in: R (yielded, runnable), R+ (preempted), S, D, ... ; NULL when the slice ran to the end of the capture
-- @col end_state_raw: prev_state of the ending sched_switch
-- @col clipped: true when the slice was cut by the start or the end of the capture
-- @col inferred: true when the slice starts at a switch the kernel did not report (a kernel_gap loss): ts is when the task arrived on the CPU (the kernel's sched_info, losses.resume_ts), or, when that is unknown, 1 ns after the hidden task was switched in
-- @col migrated: true when the thread's previous run was on another CPU (a migration), as the recorder saw it; NULL when unknown: its first run in the capture, a switch the kernel did not report, or a capture before format 1.2
CREATE OR REPLACE VIEW sched_slices AS
WITH sw AS (
  SELECT cpu, ts, next_tid AS tid, next_prio AS prio,
         lead(ts) OVER w AS next_ts, lead(prev_state) OVER w AS end_state_raw, inferred, next_flags
  FROM _switches WINDOW w AS (PARTITION BY cpu ORDER BY ts)
), first_sw AS (
  SELECT cpu, min(ts) AS ts, arg_min(prev_tid, ts) AS tid, arg_min(prev_prio, ts) AS prio, arg_min(prev_state, ts) AS end_state_raw, false AS inferred, NULL::UTINYINT AS next_flags
  FROM _switches GROUP BY cpu
), s AS (
  SELECT sw.cpu, sw.ts, coalesce(sw.next_ts, c.end_ts) - sw.ts AS dur, sw.tid, sw.prio, sw.end_state_raw, sw.next_ts IS NULL AS clipped, sw.inferred,
         CASE WHEN sw.next_flags & 8 <> 0 THEN sw.next_flags & 4 <> 0 END AS migrated
  FROM sw, _capture c
  UNION ALL
  SELECT f.cpu, c.start_ts, f.ts - c.start_ts, f.tid, f.prio, f.end_state_raw, true, false, NULL
  FROM first_sw f, _capture c WHERE f.ts > c.start_ts
)
SELECT s.cpu, s.ts, s.dur, s.ts + s.dur AS end_ts, s.tid, m.tgid, s.prio,
       _state_name(s.end_state_raw) AS end_state, s.end_state_raw, s.clipped, s.inferred, s.migrated
FROM s LEFT JOIN _tgid_map m ON m.tid = s.tid AND s.ts >= m.from_ts AND s.ts < m.to_ts;

-- Internal (cpu report): sched_slices plus _migrated (never NULL): the thread's previous slice ran on
-- another CPU. _derived: from the slices themselves (a window pass per thread). Captures from format 1.2
-- on are opened with _sched_slices_mig = _paired: the recorder's flag, which agrees except on slices that
-- start at a switch the kernel did not report (the recorder did not see those). In a --db database this
-- is a table and sched_slices reads it.
CREATE OR REPLACE VIEW _sched_slices_mig_derived AS
SELECT *, coalesce(lag(cpu) OVER (PARTITION BY tid ORDER BY ts) <> cpu, false) AS _migrated FROM sched_slices;

CREATE OR REPLACE VIEW _sched_slices_mig_paired AS
SELECT *, coalesce(migrated, false) AS _migrated FROM sched_slices;

CREATE OR REPLACE VIEW _sched_slices_mig AS SELECT * FROM _sched_slices_mig_derived;
