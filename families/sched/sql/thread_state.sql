-- requires: sched/switches task/tgid_map
-- @view thread_state: What each thread was doing over time, as in Perfetto's thread_state: Running on a CPU; R (woken or yielded, runnable, waiting for a CPU); R+ (preempted, runnable); S (sleeping); D (uninterruptible); I (idle kernel thread); T, t, X, Z, P. A state starts at a sched_switch or at the wakeup (sched_waking) that ended a sleep, and lasts until the next one; the last state of a thread lasts until the end of the capture. A task on a CPU when the capture started is Running from capture.start_ts (as in sched_slices); otherwise, before a thread's first event its state is unknown (no row). After an exec from a non-leader thread the thread's states continue under the leader's tid (task_exec.old_tid -> tid): Running from the exec on, and its old tid's last state ends at the exec.
-- @col ts: state start, ns since boot
-- @col dur: how long it lasted, ns
-- @col end_ts: ts + dur
-- @col tid: thread
-- @col tgid: its process
-- @col state: Running, R, R+, S, D, I, T, t, X, Z, P (or a combination like S|D); NULL = unknown (it left the CPU in a switch the kernel did not report, see losses)
-- @col cpu: Running: the CPU it ran on; R after a wakeup: the CPU it was queued on; R+/S/D: the CPU it left
-- @col waker_tid: R after a wakeup: the thread that woke it (0 = interrupt/idle); S/D/I: the thread whose wakeup ended this state; else NULL
-- @col clipped: true for the last state of a thread, cut by the end of the capture
CREATE OR REPLACE VIEW thread_state AS
-- One window pass per thread. Events: k 0 = switched in (Running), 1 = switched out (st = prev_state),
-- 2 = wakeup, 3 = the thread's tid ends (it exec'd from a non-leader thread: from then on the kernel
-- reports it under the leader's tid, task_exec.old_tid -> tid). Two more kinds of Running start: the task
-- a CPU's first switch switches out ran from the capture start (as in sched_slices), and the exec'ing
-- thread runs under its new tid from the exec on (on the exec's CPU; its old tid gets k 3, which starts
-- no row; see xe for a switch-out under the new tid before the exec). A wakeup starts a state (R) only when it ends a sleep (the previous event is a switch-out in a
-- state other than R/R+, or in an unknown state: sched_waking fires only for a task that is not
-- runnable) or is the first event of the thread (or of its tid after k 3); other wakeups are dropped.
-- The state a row starts lasts until the next kept event, which is the very next event after a sleeping
-- (or unknown) switch-out and the next non-wakeup event otherwise (the wakeups in between are the
-- dropped ones).
WITH first_sw AS (
  SELECT cpu, min(ts) AS ts, arg_min(prev_tid, ts) AS tid FROM _switches GROUP BY cpu
), xl AS (
  -- each exec from a non-leader thread, with old_tid's last switch-in before it
  SELECT x.tid, x.old_tid, x.ts, x.cpu, max(s.ts) AS in_ts, arg_max(s.cpu, s.ts) AS in_cpu
  FROM _task_exec x LEFT JOIN _switches s ON s.next_tid = x.old_tid AND s.ts < x.ts
  WHERE x.old_tid <> x.tid GROUP BY x.tid, x.old_tid, x.ts, x.cpu
), xe AS (
  -- The tid changes inside the exec (de_thread), before task_exec is emitted: when the exec'ing thread
  -- left its CPU in between (e.g. blocked in a page fault while loading), that switch-out already names
  -- the new tid. out_ts: the first switch on that CPU after old_tid's switch-in, when it is before the
  -- exec and switches out the new tid; old_tid's states end there and tid's own events carry on.
  SELECT xl.tid, xl.old_tid, xl.ts, xl.cpu,
         CASE WHEN arg_min(s.prev_tid, s.ts) = xl.tid THEN min(s.ts) END AS out_ts
  FROM xl LEFT JOIN _switches s ON s.cpu = xl.in_cpu AND s.ts > xl.in_ts AND s.ts < xl.ts
  GROUP BY xl.tid, xl.old_tid, xl.ts, xl.cpu
), ev AS (
  SELECT next_tid AS tid, ts, 0 AS k, NULL::USMALLINT AS st, cpu, NULL::INTEGER AS waker_tid FROM _switches WHERE next_tid <> 0
  UNION ALL
  SELECT prev_tid, ts, 1, prev_state, cpu, NULL FROM _switches WHERE prev_tid <> 0
  UNION ALL
  SELECT tid, ts, 2, NULL, target_cpu, waker_tid FROM _sched_waking WHERE tid <> 0
  UNION ALL
  SELECT f.tid, c.start_ts, 0, NULL, f.cpu, NULL FROM first_sw f, _capture c WHERE f.ts > c.start_ts AND f.tid <> 0
  UNION ALL
  SELECT tid, ts, 0, NULL, cpu, NULL FROM xe WHERE out_ts IS NULL
  UNION ALL
  SELECT old_tid, coalesce(out_ts, ts), 3, NULL, cpu, NULL FROM xe
), o AS (
  SELECT *, lag(k) OVER w AS pk, lag(st) OVER w AS pst,
         lead(ts) OVER w AS nts, lead(k) OVER w AS nk, lead(waker_tid) OVER w AS nwaker,
         lead(CASE WHEN k <> 2 THEN ts END IGNORE NULLS) OVER w AS nts_sw
  FROM ev WINDOW w AS (PARTITION BY tid ORDER BY ts, k)
), d AS (
  SELECT tid, ts, CASE k WHEN 0 THEN 'Running' WHEN 2 THEN 'R' ELSE _state_name(st) END AS state, cpu,
         CASE WHEN k = 2 THEN waker_tid WHEN k = 1 AND st NOT IN (0, 256) AND nk = 2 THEN nwaker END AS waker_tid,
         CASE WHEN k = 1 AND (st IS NULL OR st NOT IN (0, 256)) THEN nts ELSE nts_sw END AS next_ts
  FROM o
  WHERE k < 2 OR (k = 2 AND (pk IS NULL OR pk = 3 OR (pk = 1 AND (pst IS NULL OR pst NOT IN (0, 256)))))
)
SELECT d.ts, coalesce(d.next_ts, greatest(c.end_ts, d.ts)) - d.ts AS dur, coalesce(d.next_ts, greatest(c.end_ts, d.ts)) AS end_ts,
       d.tid, m.tgid, d.state, d.cpu, d.waker_tid, d.next_ts IS NULL AS clipped
FROM d CROSS JOIN _capture c
LEFT JOIN _tgid_map m ON m.tid = d.tid AND d.ts >= m.from_ts AND d.ts < m.to_ts;

-- Internal (sched-latency report): the runnable states of thread_state that ended by running,
-- i.e. thread_state WHERE state IN ('R', 'R+') AND NOT clipped, with
-- wake = (state = 'R' AND waker_tid IS NOT NULL): R after a wakeup. _runnable is one of the two views
-- below, chosen when the capture is opened (a table in a --db database); unit tests check both against
-- thread_state.
--
-- _runnable_derived: from the raw events (and the same extra events), with only the window functions those rows need.
-- Cheaper than thread_state's pass: (ts, k) is packed into one sort key tk = ts * 4 + k, and the next
-- switch-in is found without IGNORE NULLS: between a runnable state's start and the switch-in there is
-- at most one wakeup (after an R+ switch-out of a task preempted while going to sleep: that wakeup makes
-- it TASK_RUNNING, and a running task is never woken again), so it is lead 1, or lead 2 past a wakeup.
CREATE OR REPLACE VIEW _runnable_derived AS
WITH first_sw AS (
  SELECT cpu, min(ts) AS ts, arg_min(prev_tid, ts) AS tid FROM _switches GROUP BY cpu
), ev AS (
  SELECT next_tid AS tid, ts * 4 AS tk, NULL::USMALLINT AS st FROM _switches WHERE next_tid <> 0
  UNION ALL
  SELECT prev_tid, ts * 4 + 1, prev_state FROM _switches WHERE prev_tid <> 0
  UNION ALL
  SELECT tid, ts * 4 + 2, NULL FROM _sched_waking WHERE tid <> 0
  UNION ALL
  SELECT f.tid, c.start_ts * 4, NULL FROM first_sw f, _capture c WHERE f.ts > c.start_ts AND f.tid <> 0
  UNION ALL
  SELECT tid, ts * 4, NULL FROM _task_exec WHERE old_tid <> tid
  UNION ALL
  SELECT old_tid, ts * 4 + 3, NULL FROM _task_exec WHERE old_tid <> tid
), o AS (
  SELECT tid, tk, st, lag(tk) OVER w AS ptk, lag(st) OVER w AS pst, lead(tk) OVER w AS ntk, lead(tk, 2) OVER w AS ntk2
  FROM ev WINDOW w AS (PARTITION BY tid ORDER BY tk)
), r AS (
  SELECT tid, tk // 4 AS ts, (CASE WHEN ntk % 4 = 2 THEN ntk2 ELSE ntk END) // 4 AS next_ts, tk % 4 = 2 AS wake FROM o
  WHERE ntk IS NOT NULL
    AND ((tk % 4 = 1 AND st IN (0, 256))
      OR (tk % 4 = 2 AND (ptk IS NULL OR ptk % 4 = 3 OR (ptk % 4 = 1 AND (pst IS NULL OR pst NOT IN (0, 256))))))
)
SELECT r.ts, r.next_ts - r.ts AS dur, r.next_ts AS end_ts, r.tid, m.tgid, r.wake
FROM r LEFT JOIN _tgid_map m ON m.tid = r.tid AND r.ts >= m.from_ts AND r.ts < m.to_ts
WHERE r.next_ts IS NOT NULL;


-- _waits: the waits the recorder paired in the kernel with the switch-in that ends them, by the same rules
-- (ts = the switch-in, tid, wait_ns, woken): formats 1.2 to 1.8 in the sched_wait table, from 1.9 on in
-- the switch rows (next_flags 1, next_wait_ns); the view is chosen when the capture is opened.
CREATE OR REPLACE VIEW _waits_table AS SELECT ts, tid, wait_ns, woken FROM _sched_wait;
CREATE OR REPLACE VIEW _waits_on_switch AS
SELECT ts, next_tid AS tid, next_wait_ns AS wait_ns, (next_flags & 2) >> 1 AS woken FROM _sched_switch WHERE next_flags & 1 <> 0;
CREATE OR REPLACE VIEW _waits AS SELECT * FROM _waits_table;

-- _runnable_paired (captures from format 1.2 on): the waits paired in the kernel (_waits), so no window
-- pass over the events; plus, for each kernel_gap, the wait of the task that resumed at the switch the
-- kernel did not report (losses.resume_wait_from), ending where _switches places that switch.
CREATE OR REPLACE VIEW _runnable_paired AS
WITH w AS (
  SELECT ts - wait_ns AS ts, ts AS end_ts, tid, woken = 1 AS wake FROM _waits
  UNION ALL
  SELECT l.resume_wait_from, coalesce(l.resume_ts, l.ts_start + 1), l.resume_tid, l.resume_woken = 1
  FROM _losses l
  WHERE l.reason = 'kernel_gap' AND l.ts_end > l.ts_start + 1 AND l.resume_wait_from IS NOT NULL AND l.resume_tid IS NOT NULL
    AND l.resume_wait_from < coalesce(l.resume_ts, l.ts_start + 1)
)
SELECT w.ts, w.end_ts - w.ts AS dur, w.end_ts, w.tid, m.tgid, w.wake
FROM w LEFT JOIN _tgid_map m ON m.tid = w.tid AND w.ts >= m.from_ts AND w.ts < m.to_ts;

-- until the capture is opened: the derived rows (valid for every capture)
CREATE OR REPLACE VIEW _runnable AS SELECT * FROM _runnable_derived;
