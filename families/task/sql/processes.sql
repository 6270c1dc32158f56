-- requires: task/threads task/tgid_map
-- @view processes: One row per process (tgid) seen in the capture.
-- @col tgid: process id
-- @col comm: name of its main thread (last known)
-- @col cmdline: command line from the start snapshot ("" for kernel threads, NULL for processes started during the capture)
-- @col exec_filename: file of its last exec during the capture, NULL if none
-- @col parent_tgid: parent process id (creator)
-- @col start_ts: creation time of the main thread, ns since boot
-- @col end_ts: time its last thread exited, ns since boot; NULL if still alive at the end
-- @col lifetime: end_ts - start_ts, ns
-- @col exit_code: wait(2) status of the process, (code << 8) | signal; NULL if it did not exit
-- @col exit_status: exit_code >> 8
-- @col exit_signal: exit_code & 0x7f
-- @col threads: number of threads (tids) seen in it (a tid reused by another process counts in both)
-- @col from_snapshot: true when it was alive when recording started
-- @col kernel_thread: true for kernel threads
CREATE OR REPLACE VIEW processes AS
WITH g AS (
  -- every tid that belonged to the process at some time (_tgid_map: a reused tid counts in each of its processes)
  SELECT tgid, count(DISTINCT tid) AS threads FROM _tgid_map WHERE tid <> 0 GROUP BY tgid
), gd AS (
  SELECT tgid, arg_max(ts, ts) AS ts, arg_max(exit_code, ts) AS exit_code FROM _task_exit WHERE group_dead = 1 GROUP BY tgid
), cmd AS (
  SELECT tgid, any_value(cmdline) AS cmdline FROM _process_snapshot GROUP BY tgid
), exe AS (
  SELECT tgid, arg_max(filename, ts) AS filename FROM _task_exec GROUP BY tgid
)
SELECT g.tgid, t.comm, cmd.cmdline, exe.filename AS exec_filename,
       CASE WHEN t.from_snapshot THEN t.parent_tgid ELSE t.parent_tgid END AS parent_tgid,
       t.start_ts, gd.ts AS end_ts, gd.ts - t.start_ts AS lifetime,
       gd.exit_code, gd.exit_code >> 8 AS exit_status, gd.exit_code & 127 AS exit_signal,
       g.threads, coalesce(t.from_snapshot, false) AS from_snapshot, coalesce(t.kernel_thread, false) AS kernel_thread
FROM g
LEFT JOIN threads t ON t.tid = g.tgid AND t.tgid = g.tgid -- the leader, unless its tid was reused by another process since
LEFT JOIN gd ON gd.tgid = g.tgid
LEFT JOIN cmd ON cmd.tgid = g.tgid
LEFT JOIN exe ON exe.tgid = g.tgid;
