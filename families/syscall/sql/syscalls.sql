-- requires: task/tgid_map files/file_calls
-- @view syscalls: One row per system call, entry paired with its exit (same thread, same syscall number; across an exec from a non-leader thread, the execve entered under the old tid returns under the leader's). A call already running when the capture started has NULL ts and args; a call still running at the end (or that never returns, like exit_group) has NULL end_ts, dur and ret.
-- @col ts: entry time, ns since boot (NULL: entered before the capture)
-- @col end_ts: return time, ns since boot (NULL: no return seen)
-- @col dur: end_ts - ts, ns
-- @col tid: calling thread
-- @col tgid: its process
-- @col cpu: CPU of the entry (of the exit when the entry is missing)
-- @col nr: syscall number in the capture host's table
-- @col name: syscall name from the capture host's architecture table (x86_64, aarch64), or syscall_<nr> if unknown
-- @col ret: return value (negative errno on failure)
-- @col failed: ret < 0 (and > -4096, the errno range)
-- @col arg0: argument 1 (raw 64-bit value)
-- @col arg1: argument 2
-- @col arg2: argument 3
-- @col arg3: argument 4
-- @col arg4: argument 5
-- @col arg5: argument 6
-- @col path: the call's first path argument, when the files family recorded it (file_entries; NULL otherwise)
-- @col path2: its second path argument (rename, link, ...)
CREATE OR REPLACE VIEW syscalls AS
-- Pairing: per task, an entry and the very next event of the task when that is an exit of the same
-- syscall number, or of number -1: rt_sigreturn sets the number to -1 (so that the call the signal
-- interrupted is not restarted) and its exit is reported so, with that call's restored return value (on
-- the fixtures: sh's wait4 returns a pid, the SIGCHLD handler runs, rt_sigreturn 15 exits as -1 with the
-- pid; perf trace and strace show one rt_sigreturn call). Any
-- other exit is a call whose entry is missing (an exit of another number cannot end the call: events
-- were lost in between). The task is the tid, except after an exec from a non-leader
-- thread: the kernel then reports the exec'ing thread (old_tid) under the leader's tid, so from that exec
-- until the tid's next such exec or fork, the tid's events are paired with old_tid's (the execve
-- entered by old_tid returns in tid). Rows keep the tid each event names.
WITH xm AS (
  SELECT x.tid, x.old_tid, x.ts AS from_ts,
         coalesce(lead(x.ts) OVER (PARTITION BY x.tid ORDER BY x.ts), 9223372036854775807) AS to_ts
  FROM (SELECT tid, old_tid, ts FROM _task_exec WHERE old_tid <> tid
        UNION ALL SELECT child_tid, NULL, ts FROM _task_newtask
          WHERE child_tid IN (SELECT tid FROM _task_exec WHERE old_tid <> tid)) x
), ev AS (
  SELECT tid, ts, 1 AS k, nr, NULL::BIGINT AS ret, cpu, arg0, arg1, arg2, arg3, arg4, arg5 FROM _syscall_enter
  UNION ALL
  SELECT tid, ts, 0, nr, ret, cpu, NULL, NULL, NULL, NULL, NULL, NULL FROM _syscall_exit
), kv AS (
  SELECT ev.*, coalesce(xm.old_tid, ev.tid) AS task
  FROM ev LEFT JOIN xm ON xm.tid = ev.tid AND ev.ts >= xm.from_ts AND ev.ts < xm.to_ts AND xm.old_tid IS NOT NULL
), o AS (
  SELECT *, lead(k) OVER w AS nk, lead(nr) OVER w AS nnr, lead(ts) OVER w AS nts, lead(ret) OVER w AS nret,
         lag(k) OVER w AS pk, lag(nr) OVER w AS pnr
  FROM kv WINDOW w AS (PARTITION BY task ORDER BY ts, k)
), p AS (
  SELECT ts, CASE WHEN nk = 0 AND (nnr = nr OR nnr = -1) THEN nts END AS end_ts, tid, cpu, nr,
         CASE WHEN nk = 0 AND (nnr = nr OR nnr = -1) THEN nret END AS ret,
         arg0, arg1, arg2, arg3, arg4, arg5, ts AS order_ts
  FROM o WHERE k = 1
  UNION ALL
  SELECT NULL, ts, tid, cpu, nr, ret, NULL, NULL, NULL, NULL, NULL, NULL, ts
  FROM o WHERE k = 0 AND (pk IS DISTINCT FROM 1 OR (pnr <> nr AND nr <> -1))
)
SELECT p.ts, p.end_ts, p.end_ts - p.ts AS dur, p.tid, m.tgid, p.cpu, p.nr,
       coalesce(n.name, 'syscall_' || p.nr) AS name, p.ret, p.ret < 0 AND p.ret > -4096 AS failed,
       p.arg0, p.arg1, p.arg2, p.arg3, p.arg4, p.arg5, fe.path, fe.path2
FROM p
LEFT JOIN file_entries fe ON fe.tid = p.tid AND fe.call_ts = p.ts
LEFT JOIN _syscall_names n ON n.nr = p.nr
LEFT JOIN _tgid_map m ON m.tid = p.tid AND p.order_ts >= m.from_ts AND p.order_ts < m.to_ts;
