-- requires: (only capture tables)
-- @view task_events: Lifecycle events in one timeline: fork, exec, exit, rename, free.
-- @col ts: event time, ns since boot
-- @col event: 'fork', 'exec', 'exit', 'rename' or 'free'
-- @col tid: thread the event is about (fork: the new thread)
-- @col tgid: its process
-- @col comm: its name after the event
-- @col parent_tid: fork: the thread that called fork/clone
-- @col parent_tgid: fork: its process
-- @col clone_flags: fork: clone flags
-- @col filename: exec: executed file
-- @col old_tid: exec: tid that called exec (differs when a non-leader thread exec'd)
-- @col exit_code: exit: wait(2) status, (code << 8) | signal
-- @col group_dead: exit: true when this was the last thread of the process
-- @col old_comm: rename: name before
CREATE OR REPLACE VIEW task_events AS
SELECT ts, 'fork' AS event, child_tid AS tid, child_tgid AS tgid, comm, parent_tid, parent_tgid, clone_flags,
       NULL::VARCHAR AS filename, NULL::INTEGER AS old_tid, NULL::INTEGER AS exit_code, NULL::BOOLEAN AS group_dead, NULL::VARCHAR AS old_comm
FROM _task_newtask
UNION ALL SELECT ts, 'exec', tid, tgid, comm, NULL, NULL, NULL, filename, old_tid, NULL, NULL, NULL FROM _task_exec
UNION ALL SELECT ts, 'exit', tid, tgid, comm, NULL, NULL, NULL, NULL, NULL, exit_code, group_dead = 1, NULL FROM _task_exit
UNION ALL SELECT ts, 'rename', tid, tgid, newcomm, NULL, NULL, NULL, NULL, NULL, NULL, NULL, oldcomm FROM _task_rename
UNION ALL SELECT ts, 'free', tid, tgid, comm, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM _task_free;
