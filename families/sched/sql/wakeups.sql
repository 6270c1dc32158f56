-- requires: task/tgid_map
-- @view wakeups: Every wakeup (sched_waking, and sched_wakeup_new for new tasks) with the processes of both sides.
-- @col ts: wakeup time, ns since boot
-- @col cpu: CPU the wakeup was issued on
-- @col tid: woken thread
-- @col tgid: its process
-- @col target_cpu: CPU it was queued on
-- @col prio: kernel prio of the woken thread
-- @col wakeup_new: true for the first wakeup of a new task
-- @col waker_tid: thread that issued the wakeup (0 = interrupt/idle)
-- @col waker_tgid: its process
CREATE OR REPLACE VIEW wakeups AS
SELECT w.ts, w.cpu, w.tid, m.tgid, w.target_cpu, w.prio, w.wakeup_new = 1 AS wakeup_new, w.waker_tid, m2.tgid AS waker_tgid
FROM _sched_waking w
LEFT JOIN _tgid_map m ON m.tid = w.tid AND w.ts >= m.from_ts AND w.ts < m.to_ts
LEFT JOIN _tgid_map m2 ON m2.tid = w.waker_tid AND w.ts >= m2.from_ts AND w.ts < m2.to_ts;

-- @view context_switches: Every context switch with state names.
-- @col ts: switch time, ns since boot
-- @col cpu: CPU
-- @col prev_tid: thread switched out (0 = idle)
-- @col prev_tgid: its process
-- @col prev_state: state it left in (R, R+, S, D, ...)
-- @col next_tid: thread switched in (0 = idle)
-- @col next_tgid: its process
-- @col prev_prio: kernel prio of prev
-- @col next_prio: kernel prio of next
CREATE OR REPLACE VIEW context_switches AS
SELECT s.ts, s.cpu, s.prev_tid, m.tgid AS prev_tgid, _state_name(s.prev_state) AS prev_state,
       s.next_tid, m2.tgid AS next_tgid, s.prev_prio, s.next_prio
FROM _sched_switch s
LEFT JOIN _tgid_map m ON m.tid = s.prev_tid AND s.ts >= m.from_ts AND s.ts < m.to_ts
LEFT JOIN _tgid_map m2 ON m2.tid = s.next_tid AND s.ts >= m2.from_ts AND s.ts < m2.to_ts;
