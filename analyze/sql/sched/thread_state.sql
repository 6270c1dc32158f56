-- @view thread_state: What each thread was doing over time, as in Perfetto's thread_state: Running on a CPU; R (woken or yielded, runnable, waiting for a CPU); R+ (preempted, runnable); S (sleeping); D (uninterruptible); I (idle kernel thread); T, t, X, Z, P. A state starts at a sched_switch or at the wakeup (sched_waking) that ended a sleep, and lasts until the next one; the last state of a thread lasts until the end of the capture. Before a thread's first event its state is unknown (no row).
-- @col ts: state start, ns since boot
-- @col dur: how long it lasted, ns
-- @col end_ts: ts + dur
-- @col tid: thread
-- @col tgid: its process
-- @col state: Running, R, R+, S, D, I, T, t, X, Z, P (or a combination like S|D)
-- @col cpu: Running: the CPU it ran on; R after a wakeup: the CPU it was queued on; R+/S/D: the CPU it left
-- @col waker_tid: R after a wakeup: the thread that woke it (0 = interrupt/idle); S/D/I: the thread whose wakeup ended this state; else NULL
-- @col clipped: true for the last state of a thread, cut by the end of the capture
CREATE OR REPLACE VIEW thread_state AS
WITH ev AS (
  SELECT next_tid AS tid, ts, 0 AS k, 'Running' AS state, cpu, NULL::INTEGER AS waker_tid FROM _sched_switch WHERE next_tid <> 0
  UNION ALL
  SELECT prev_tid, ts, 1, _state_name(prev_state), cpu, NULL FROM _sched_switch WHERE prev_tid <> 0
  UNION ALL
  SELECT tid, ts, 2, 'R', target_cpu, waker_tid FROM _sched_waking WHERE tid <> 0
), o AS (
  SELECT *, lag(k) OVER w AS pk, lag(state) OVER w AS pstate
  FROM ev WINDOW w AS (PARTITION BY tid ORDER BY ts, k)
), f AS (
  -- a wakeup starts R only when it ends a sleep (or is the thread's first event)
  SELECT tid, ts, k, state, cpu, waker_tid FROM o
  WHERE k <> 2 OR pk IS NULL OR (pk = 1 AND pstate NOT IN ('R', 'R+'))
), d AS (
  SELECT tid, ts, state, cpu,
         CASE WHEN k = 2 THEN waker_tid WHEN lead(k) OVER w = 2 THEN lead(waker_tid) OVER w END AS waker_tid,
         lead(ts) OVER w AS next_ts
  FROM f WINDOW w AS (PARTITION BY tid ORDER BY ts, k)
)
SELECT d.ts, coalesce(d.next_ts, greatest(c.end_ts, d.ts)) - d.ts AS dur, coalesce(d.next_ts, greatest(c.end_ts, d.ts)) AS end_ts,
       d.tid, m.tgid, d.state, d.cpu, d.waker_tid, d.next_ts IS NULL AS clipped
FROM d CROSS JOIN _capture c
LEFT JOIN _tgid_map m ON m.tid = d.tid AND d.ts >= m.from_ts AND d.ts < m.to_ts;
