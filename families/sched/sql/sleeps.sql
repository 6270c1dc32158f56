-- requires: sched/thread_state sched/switches task/tgid_map
-- Internal (offcpu report): the sleeps of thread_state, i.e. its rows in a state other than Running, R and
-- R+ (S, D, I, T, ...; never NULL), with the same ts, dur, end_ts, tid, tgid, state, waker_tid and clipped.
-- _sleeps is one of the two views below, chosen when the capture is opened (a table in a --db database);
-- tests check both against thread_state.
--
-- _sleeps_derived: from thread_state (a window pass over every event).
CREATE OR REPLACE VIEW _sleeps_derived AS
SELECT ts, dur, end_ts, tid, tgid, state, waker_tid, clipped FROM thread_state
WHERE state IS NOT NULL AND state NOT IN ('Running', 'R', 'R+');

-- _sleeps_paired (format 1.9 on, waits paired in the kernel): each wakeup that ended a sleep carries it
-- (sched_waking.slept_ns, from the sleeping switch-out); a switch-in with next_flags 16 ends a sleep whose
-- wakeup raced its switch-out (no waker, as in thread_state), whose state is that switch-out's; and a
-- thread whose last event is a sleeping switch-out sleeps until the end of the capture (clipped). No window
-- pass: a scan of the wakeups, and per-thread maxima. Where the kernel did not report a switch (a
-- kernel_gap) the two views can differ by a sleep. In a flight recorder's dump, a sleep that began before
-- the window starts before it here (the reports clip it to the window); thread_state has no row for it.
CREATE OR REPLACE VIEW _sleeps_paired AS
WITH lo AS (
  SELECT prev_tid AS tid, max(ts) AS ts, arg_max(prev_state, ts) AS st FROM _switches WHERE prev_tid <> 0 GROUP BY prev_tid
), li AS (
  -- switched in, or running under this tid from an exec from a non-leader thread (as in thread_state)
  SELECT tid, max(ts) AS ts FROM (
    SELECT next_tid AS tid, ts FROM _switches WHERE next_tid <> 0
    UNION ALL
    SELECT tid, ts FROM _task_exec WHERE old_tid <> tid) GROUP BY tid
), lw AS (
  SELECT tid, max(ts) AS ts FROM _sched_waking WHERE tid <> 0 GROUP BY tid
), s AS (
  SELECT ts - slept_ns AS ts, ts AS end_ts, tid, slept_state AS st, waker_tid, false AS clipped FROM _sched_waking WHERE slept_state <> 0
  UNION ALL
  SELECT u.ts - u.next_wait_ns, u.ts, u.next_tid, o.prev_state, NULL, false
  FROM _sched_switch u JOIN _sched_switch o ON o.prev_tid = u.next_tid AND o.ts = u.ts - u.next_wait_ns
  WHERE u.next_flags & 16 <> 0
  UNION ALL
  SELECT lo.ts, greatest(c.end_ts, lo.ts), lo.tid, lo.st, NULL, true
  FROM lo CROSS JOIN _capture c LEFT JOIN li ON li.tid = lo.tid LEFT JOIN lw ON lw.tid = lo.tid
  WHERE lo.st NOT IN (0, 256) AND (li.ts IS NULL OR li.ts <= lo.ts) AND (lw.ts IS NULL OR lw.ts < lo.ts)
)
SELECT s.ts, s.end_ts - s.ts AS dur, s.end_ts, s.tid, m.tgid, _state_name(s.st) AS state, s.waker_tid, s.clipped
FROM s LEFT JOIN _tgid_map m ON m.tid = s.tid AND s.ts >= m.from_ts AND s.ts < m.to_ts;

-- until the capture is opened: the derived rows (valid for every capture)
CREATE OR REPLACE VIEW _sleeps AS SELECT * FROM _sleeps_derived;
