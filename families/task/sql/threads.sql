-- Threads: one row per tid seen in the capture (start snapshot, task events,
-- sched events). A tid reused within one capture shows its latest instance: its start, exit and exec are
-- that instance's (an instance begins at a fork of the tid, or at an exec from a non-leader thread, after
-- which the exec'ing thread has the leader's tid).
-- requires: task/tgid_map

-- @view thread_comms: Every name a thread had: at the start snapshot, at fork, at exec, at rename.
-- @col tid: thread id
-- @col ts: when it took this comm, ns since boot (snapshot: time the snapshot was read)
-- @col comm: the name
-- @col source: 'snapshot', 'fork', 'exec' or 'rename'
CREATE OR REPLACE VIEW thread_comms AS
SELECT tid, ts, comm, 'snapshot' AS source FROM _process_snapshot
UNION ALL SELECT child_tid, ts, comm, 'fork' FROM _task_newtask
UNION ALL SELECT tid, ts, comm, 'exec' FROM _task_exec
UNION ALL SELECT tid, ts, newcomm, 'rename' FROM _task_rename;

-- @view threads: One row per thread (tid) seen in the capture, including threads alive at the start.
-- @col tid: thread id
-- @col tgid: process id (thread group) it belongs to, last known
-- @col comm: last known name
-- @col comm_history: every name it had, in time order (snapshot/fork, exec, renames)
-- @col parent_tid: thread that created it (fork/clone); for threads from the start snapshot: the process leader for a non-leader thread, else the parent process id
-- @col parent_tgid: process that created it (for a thread from the snapshot: its own process if not the leader, else the parent process)
-- @col start_ts: creation time, ns since boot (fork; for snapshot threads /proc start time, clock-tick resolution)
-- @col end_ts: exit time, ns since boot, NULL if it did not exit during the capture (an exit of an earlier instance of the tid does not count)
-- @col lifetime: end_ts - start_ts, ns (NULL if either is unknown)
-- @col exec_ts: time of its last exec, NULL if none
-- @col exec_filename: file of its last exec, NULL if none
-- @col exit_code: wait(2) status at exit, (code << 8) | signal; NULL if it did not exit
-- @col exit_status: exit_code >> 8 (the value passed to exit())
-- @col exit_signal: exit_code & 0x7f (the signal that killed it, 0 if none)
-- @col clone_flags: flags of the clone that created it (NULL for snapshot threads)
-- @col from_snapshot: true when the thread was alive when recording started
-- @col kernel_thread: true for kernel threads (known for snapshot threads and their children)
-- @col is_leader: tid = tgid (the thread group leader, i.e. the process main thread)
CREATE OR REPLACE VIEW threads AS
WITH ids AS (
  SELECT tid FROM _process_snapshot
  UNION SELECT child_tid FROM _task_newtask
  UNION SELECT tid FROM _task_ids
  UNION SELECT tid FROM _task_exec
  UNION SELECT tid FROM _task_exit
  UNION SELECT next_tid FROM _sched_switch
  UNION SELECT prev_tid FROM _sched_switch
), fork AS (
  SELECT child_tid AS tid, arg_max(ts, ts) AS ts, arg_max(parent_tid, ts) AS parent_tid,
         arg_max(parent_tgid, ts) AS parent_tgid, arg_max(clone_flags, ts) AS clone_flags
  FROM _task_newtask GROUP BY child_tid
), snap AS (
  SELECT tid, any_value(tgid) AS tgid, any_value(ppid) AS ppid, any_value(start_ts) AS start_ts,
         any_value(kernel_thread) AS kernel_thread
  FROM _process_snapshot GROUP BY tid
), inst AS (
  -- when the latest instance of each tid began, if during the capture: its fork, or an exec from a
  -- non-leader thread, which gives the exec'ing thread the leader's tid (task_exec.old_tid <> tid; the
  -- old leader's exit before it is the old task's). Exits and execs before it belong to earlier instances.
  SELECT tid, max(ts) AS ts FROM (
    SELECT child_tid AS tid, ts FROM _task_newtask
    UNION ALL SELECT tid, ts FROM _task_exec WHERE old_tid <> tid
  ) GROUP BY tid
), ex AS (
  SELECT e.tid, arg_max(e.ts, e.ts) AS ts, arg_max(e.exit_code, e.ts) AS exit_code
  FROM _task_exit e LEFT JOIN inst ON inst.tid = e.tid
  WHERE inst.ts IS NULL OR e.ts >= inst.ts GROUP BY e.tid
), exe AS (
  SELECT x.tid, arg_max(x.ts, x.ts) AS ts, arg_max(x.filename, x.ts) AS filename
  FROM _task_exec x LEFT JOIN inst ON inst.tid = x.tid
  WHERE inst.ts IS NULL OR x.ts >= inst.ts GROUP BY x.tid
), names AS (
  SELECT tid, arg_max(comm, ts) AS comm, list(comm ORDER BY ts) AS comm_history FROM thread_comms GROUP BY tid
), lastnames AS (
  SELECT tid, arg_max(comm, ts) AS comm FROM _task_exit GROUP BY tid
), tg AS (
  SELECT tid, arg_max(tgid, from_ts) AS tgid FROM _tgid_map GROUP BY tid
)
SELECT i.tid,
       coalesce(tg.tgid, s.tgid) AS tgid,
       coalesce(n.comm, ln.comm) AS comm,
       coalesce(n.comm_history, CASE WHEN ln.comm IS NOT NULL THEN [ln.comm] END) AS comm_history,
       coalesce(f.parent_tid, CASE WHEN s.tid <> s.tgid THEN s.tgid ELSE s.ppid END) AS parent_tid,
       coalesce(f.parent_tgid, CASE WHEN s.tid <> s.tgid THEN s.tgid ELSE s.ppid END) AS parent_tgid,
       coalesce(f.ts, s.start_ts) AS start_ts,
       ex.ts AS end_ts,
       ex.ts - coalesce(f.ts, s.start_ts) AS lifetime,
       exe.ts AS exec_ts,
       exe.filename AS exec_filename,
       ex.exit_code,
       ex.exit_code >> 8 AS exit_status,
       ex.exit_code & 127 AS exit_signal,
       f.clone_flags,
       s.tid IS NOT NULL AND f.tid IS NULL AS from_snapshot,
       coalesce(s.kernel_thread, ps.kernel_thread, 0) = 1 AS kernel_thread,
       i.tid = coalesce(tg.tgid, s.tgid) AS is_leader
FROM ids i
LEFT JOIN fork f ON f.tid = i.tid
LEFT JOIN snap s ON s.tid = i.tid
LEFT JOIN snap ps ON ps.tid = f.parent_tid
LEFT JOIN ex ON ex.tid = i.tid
LEFT JOIN exe ON exe.tid = i.tid
LEFT JOIN names n ON n.tid = i.tid
LEFT JOIN lastnames ln ON ln.tid = i.tid
LEFT JOIN tg ON tg.tid = i.tid
WHERE i.tid <> 0;
