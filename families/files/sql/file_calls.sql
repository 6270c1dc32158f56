-- requires: task/threads
-- The files family's calls: one row per syscall that takes a path, from its file_paths rows (one per path argument,
-- all stamped with the files program's entry time), its file_argv rows (execve, execveat) and its file_exits row.
--
-- Pairing with the exit: an exit row is recorded only for a thread whose task storage holds a pending path call
-- (set at that call's entry, cleared at its exit), and carries the tid at entry (entry_tid: a non-leader thread's
-- execve returns under the leader's tid; a task's storage is its own and survives the exec). A call's exit is
-- therefore the first file_exits row of its entry_tid at or after its entry, if it comes before that thread's
-- next path entry (otherwise that exit is a later call's). A call with no exit (still running at the end of the
-- capture, the task killed in it, or its exit record lost) has NULL end_ts, dur and ret. (Captures before format
-- 1.8 also stored the entry time in each exit row; the same rule pairs them.)
--
-- Pairing with the syscall family's row (call_ts, for the syscalls view's path column): the files programs are
-- attached before the syscall family's to the same tracepoints, which run their programs in attach order, so a
-- call's path records are stamped just before its syscall_enter row, with nothing of that thread in between. The
-- row is therefore the thread's first syscall_enter at or after the path's ts, when it has the same syscall
-- number and comes before the thread's first syscall_exit after the path (otherwise the entry was lost, and the
-- enter found belongs to a later call): call_ts NULL then, and when the syscall family was not recorded.

-- @view file_entries: One row per path syscall entry (file_paths grouped by call), with the syscall family's entry time.
-- @col ts: entry time (the files program's), ns since boot
-- @col tid: calling thread
-- @col tgid: its process
-- @col cpu: CPU of the entry
-- @col nr: syscall number
-- @col path: the first path argument (at most 256 bytes)
-- @col path_cut: the first path was longer than 256 bytes and is cut
-- @col path_error: 0, or the negative errno of the failed read of the first path
-- @col path2: the second path argument (rename, link, symlink, mount, ...), NULL for the others
-- @col path2_cut: the second path is cut
-- @col path2_error: 0, or the failed read's negative errno
-- @col lossy: a path held bytes that are not UTF-8 (shown as U+FFFD)
-- @col call_ts: ts of the call's syscall_enter row (syscalls.ts), NULL when the syscall family did not record it
CREATE OR REPLACE VIEW file_entries AS
WITH g AS (
  SELECT tid, ts, any_value(tgid) AS tgid, any_value(cpu) AS cpu, any_value(nr) AS nr,
         arg_min(path, arg) AS path, arg_min(cut, arg) <> 0 AS path_cut, arg_min(read_error, arg) AS path_error,
         CASE WHEN count(*) > 1 THEN arg_max(path, arg) END AS path2,
         CASE WHEN count(*) > 1 THEN arg_max(cut, arg) <> 0 END AS path2_cut,
         CASE WHEN count(*) > 1 THEN arg_max(read_error, arg) END AS path2_error,
         bool_or(lossy <> 0) AS lossy
  FROM _file_paths GROUP BY tid, ts
), e AS (
  SELECT g.*, e.ts AS enter_ts, e.nr AS enter_nr
  FROM g ASOF LEFT JOIN _syscall_enter e ON e.tid = g.tid AND e.ts >= g.ts
), x AS (
  SELECT e.*, x.ts AS exit_ts FROM e ASOF LEFT JOIN _syscall_exit x ON x.tid = e.tid AND x.ts >= e.ts
)
SELECT ts, tid, tgid, cpu, nr, path, path_cut, path_error, path2, path2_cut, path2_error, lossy,
       CASE WHEN enter_nr = nr AND (exit_ts IS NULL OR exit_ts > enter_ts) THEN enter_ts END AS call_ts
FROM x;

-- @view file_calls: One row per syscall that takes a path (files family), with its result: opensnoop's rows.
-- @col ts: entry time, ns since boot (the files program's; call_ts is the syscall family's)
-- @col end_ts: return time, ns since boot (NULL: no return seen)
-- @col dur: end_ts - ts, ns
-- @col tid: calling thread
-- @col tgid: its process
-- @col comm: the thread's name at the call
-- @col cpu: CPU of the entry
-- @col nr: syscall number
-- @col name: syscall name (capture host's table), or syscall_<nr>
-- @col path: the first path argument (at most 256 bytes; "" when it could not be read)
-- @col path_cut: the path was longer than 256 bytes and is cut there
-- @col path_error: 0, or the negative errno of the failed read of the path (-14 EFAULT)
-- @col path2: the second path argument (rename, link, symlink, mount, ...), NULL for the others
-- @col path2_cut: the second path is cut
-- @col lossy: a path held bytes that are not UTF-8 (shown as U+FFFD)
-- @col argv: execve/execveat arguments (at most 32, each at most 256 bytes), NULL for other syscalls
-- @col argv_cut: an argument is cut
-- @col argv_more: arguments after the last one were not recorded
-- @col ret: return value (negative errno on failure), NULL when no return was seen
-- @col failed: ret in -4095..-1
-- @col errno: -ret when failed
-- @col error: the errno's name (ENOENT, EACCES, ...), NULL when not failed
-- @col call_ts: ts of the call's syscall_enter row (join syscalls ON tid and ts = call_ts), NULL without the syscall family
CREATE OR REPLACE VIEW file_calls AS
WITH c AS (
  SELECT tid, ts, lead(ts) OVER (PARTITION BY tid ORDER BY ts) AS next_ts FROM (SELECT DISTINCT tid, ts FROM _file_paths)
), x AS (
  SELECT c.tid, c.ts, x.ts AS end_ts, x.ret
  FROM c ASOF JOIN _file_exits x ON x.entry_tid = c.tid AND x.ts >= c.ts
  WHERE c.next_ts IS NULL OR x.ts < c.next_ts
), a AS (
  SELECT tid, ts, list(arg ORDER BY idx) AS argv, bool_or(cut <> 0) AS argv_cut, bool_or(more <> 0) AS argv_more
  FROM _file_argv GROUP BY tid, ts
)
SELECT f.ts, x.end_ts, x.end_ts - f.ts AS dur, f.tid, f.tgid, coalesce(c.comm, t.comm) AS comm, f.cpu, f.nr,
       coalesce(n.name, 'syscall_' || f.nr) AS name, f.path, f.path_cut, f.path_error, f.path2, f.path2_cut, f.lossy,
       a.argv, a.argv_cut, a.argv_more,
       x.ret, x.ret < 0 AND x.ret > -4096 AS failed,
       CASE WHEN x.ret < 0 AND x.ret > -4096 THEN -x.ret END::INTEGER AS errno,
       CASE WHEN x.ret < 0 AND x.ret > -4096 THEN coalesce(en.name, 'E' || -x.ret) END AS error,
       f.call_ts
FROM file_entries f
LEFT JOIN x ON x.tid = f.tid AND x.ts = f.ts
LEFT JOIN a ON a.tid = f.tid AND a.ts = f.ts
LEFT JOIN _syscall_names n ON n.nr = f.nr
LEFT JOIN _errno_names en ON en.errno = -x.ret
LEFT JOIN threads t ON t.tid = f.tid
ASOF LEFT JOIN thread_comms c ON c.tid = f.tid AND c.ts <= f.ts;
