-- Task exit accounting (format 1.7): what the kernel accounted for each thread, read at its
-- sched_process_exit, per thread and summed per process as wait4(2) sums a child's rusage.
--
-- The rule, against wait4's rusage of a reaped child (kernel/exit.c wait_task_zombie -> getrusage(RUSAGE_BOTH)):
-- - In 6.18 sched_process_exit fires in do_exit() after exit_signals, the group_dead decrement (which
--   stores the mm's high-water RSS in signal->maxrss), taskstats_exit and before exit_mm. What the thread
--   does after it (exit_mm, exit_files, exit_notify, the final switch in do_task_dead) is not in the row
--   and is in wait4's: the final switch into TASK_DEAD is one more voluntary switch (ru_nvcsw = nvcsw + 1,
--   or + 0 when the parent's wait4 reads before that switch), a preemption in the exit path one more
--   involuntary one, and its CPU time adds to ru_utime + ru_stime.
-- - ru_minflt, ru_majflt, ru_nvcsw, ru_nivcsw: the sums over the process's threads (signal->* of the
--   threads already released plus each live thread's own), plus the process's reaped children (the c*
--   fields). Here: the sums over the process's thread exit rows; reaped children are not added.
-- - ru_utime, ru_stime: thread_group_cputime_adjusted(): the tick-sampled utime and stime (task->utime,
--   stime: a tick each, less the steal time of a VM) scaled so that they add up to the runtime (se.sum_exec_runtime):
--   stime' = runtime * stime / (stime + utime), utime' = runtime - stime' (cputime_adjust; stime 0 gives
--   utime' = runtime, utime 0 gives stime' = runtime). utime_adj_ns and stime_adj_ns are that formula over
--   the sums; the kernel also keeps them monotonic against earlier reads (signal->prev_cputime), which is
--   not recorded. se.sum_exec_runtime as read lags by the running slice since its last update (tick,
--   switch): up to one tick.
-- - ru_maxrss: max(signal->maxrss, signal->cmaxrss) in KiB: the last thread's maxrss_bytes / 1024, when
--   the process reaped no child larger than itself.
-- requires: (only capture tables)

-- cputime_adjust()'s system share of the runtime (kernel/sched/cputime.c), without the monotonic clamp
CREATE OR REPLACE MACRO _task_stime_adj(ut, st, rt) AS
  CASE WHEN st = 0 THEN 0 WHEN ut = 0 THEN rt ELSE (st::HUGEINT * rt // (st + ut))::BIGINT END;

-- @view task_accounting: One row per thread exit that carries the kernel's accounting (captures of format 1.7 on).
-- @col ts: exit time, ns since boot
-- @col tid: exiting thread
-- @col tgid: its process
-- @col comm: comm at exit
-- @col group_dead: true when it was the last thread of its process
-- @col is_leader: tid = tgid (the thread group leader)
-- @col prio: kernel priority (0..99 real-time, 100..139 normal: 120 + nice)
-- @col nice: nice value
-- @col policy: scheduling policy number (0 SCHED_OTHER, 1 FIFO, 2 RR, 3 BATCH, 5 IDLE, 6 DEADLINE, 7 EXT)
-- @col policy_name: 'other', 'fifo', 'rr', 'batch', 'idle', 'deadline', 'ext'
-- @col rt_priority: real-time priority (FIFO/RR)
-- @col nvcsw: voluntary context switches
-- @col nivcsw: involuntary context switches
-- @col min_flt: minor page faults
-- @col maj_flt: major page faults
-- @col utime_ns: user time sampled by ticks (task->utime), ns
-- @col stime_ns: system time sampled by ticks (task->stime), ns
-- @col runtime_ns: CPU time (se.sum_exec_runtime), ns
-- @col utime_adj_ns: user time as getrusage(RUSAGE_THREAD) and /proc/TID/stat show it: the tick split scaled to runtime_ns, ns
-- @col stime_adj_ns: system time likewise, ns
-- @col vm_bytes: VM size at exit (mm->total_vm), bytes; 0 for a kernel thread
-- @col vm_fork_bytes: VM size at the fork that created the thread, bytes; NULL if the fork is not in the capture
-- @col maxrss_bytes: peak RSS of its process so far, bytes (for the last thread: what wait4 reports as ru_maxrss)
CREATE OR REPLACE VIEW task_accounting AS
WITH e AS (
  SELECT * FROM _task_exit WHERE runtime_ns IS NOT NULL
)
SELECT e.ts, e.tid, e.tgid, e.comm, e.group_dead = 1 AS group_dead, e.tid = e.tgid AS is_leader,
       e.prio, e.nice, e.policy,
       CASE e.policy WHEN 0 THEN 'other' WHEN 1 THEN 'fifo' WHEN 2 THEN 'rr' WHEN 3 THEN 'batch' WHEN 5 THEN 'idle'
         WHEN 6 THEN 'deadline' WHEN 7 THEN 'ext' ELSE 'policy ' || e.policy END AS policy_name,
       e.rt_priority, e.nvcsw, e.nivcsw, e.min_flt, e.maj_flt, e.utime_ns, e.stime_ns, e.runtime_ns,
       e.runtime_ns - _task_stime_adj(e.utime_ns, e.stime_ns, e.runtime_ns) AS utime_adj_ns,
       _task_stime_adj(e.utime_ns, e.stime_ns, e.runtime_ns) AS stime_adj_ns,
       e.vm_pages * h.page_size AS vm_bytes,
       f.vm_pages * h.page_size AS vm_fork_bytes,
       e.maxrss_pages * h.page_size AS maxrss_bytes
FROM e CROSS JOIN _task_host h
-- the latest fork of the tid before its exit (a tid may be reused)
ASOF LEFT JOIN _task_newtask f ON f.child_tid = e.tid AND f.ts <= e.ts;

-- @view process_accounting: One row per process whose last thread's exit carries the accounting: its threads' sums, as wait4 sums them.
-- @col tgid: process
-- @col comm: comm of its last thread at exit
-- @col end_ts: time its last thread exited, ns since boot
-- @col threads: thread exits summed (the leader's and every other thread's of this instance of the tgid)
-- @col prio: the leader's priority at its exit (else the last thread's)
-- @col nice: the leader's nice value
-- @col policy: the leader's policy number
-- @col policy_name: the leader's policy name
-- @col rt_priority: the leader's real-time priority
-- @col nvcsw: voluntary context switches, all threads (wait4 ru_nvcsw counts one more: the final switch)
-- @col nivcsw: involuntary context switches, all threads
-- @col min_flt: minor page faults, all threads
-- @col maj_flt: major page faults, all threads
-- @col utime_ns: tick-sampled user time, all threads, ns
-- @col stime_ns: tick-sampled system time, all threads, ns
-- @col runtime_ns: CPU time, all threads, ns
-- @col utime_adj_ns: user time as wait4 reports it (ru_utime): the sums' tick split scaled to runtime_ns, ns
-- @col stime_adj_ns: system time as wait4 reports it (ru_stime), ns
-- @col vm_bytes: VM size at the last thread's exit, bytes
-- @col vm_fork_bytes: VM size at the fork of the leader, bytes (NULL if not in the capture)
-- @col maxrss_bytes: peak RSS of the process (signal->maxrss), bytes: wait4 ru_maxrss * 1024
CREATE OR REPLACE VIEW process_accounting AS
WITH gd AS (
  SELECT ts, tgid FROM task_accounting WHERE group_dead
), t AS (
  -- each thread exit belongs to the next group exit of its tgid (a tgid may be reused)
  SELECT a.*, g.ts AS end_ts FROM task_accounting a ASOF JOIN gd g ON g.tgid = a.tgid AND g.ts >= a.ts
), s AS (
  SELECT tgid, end_ts, count(*) AS threads,
         arg_max(comm, ts) AS comm,
         coalesce(any_value(prio) FILTER (WHERE is_leader), arg_max(prio, ts)) AS prio,
         coalesce(any_value(nice) FILTER (WHERE is_leader), arg_max(nice, ts)) AS nice,
         coalesce(any_value(policy) FILTER (WHERE is_leader), arg_max(policy, ts)) AS policy,
         coalesce(any_value(policy_name) FILTER (WHERE is_leader), arg_max(policy_name, ts)) AS policy_name,
         coalesce(any_value(rt_priority) FILTER (WHERE is_leader), arg_max(rt_priority, ts)) AS rt_priority,
         sum(nvcsw)::BIGINT AS nvcsw, sum(nivcsw)::BIGINT AS nivcsw, sum(min_flt)::BIGINT AS min_flt, sum(maj_flt)::BIGINT AS maj_flt,
         sum(utime_ns)::BIGINT AS utime_ns, sum(stime_ns)::BIGINT AS stime_ns, sum(runtime_ns)::BIGINT AS runtime_ns,
         arg_max(vm_bytes, ts) AS vm_bytes, any_value(vm_fork_bytes) FILTER (WHERE is_leader) AS vm_fork_bytes,
         max(maxrss_bytes) AS maxrss_bytes
  FROM t GROUP BY tgid, end_ts
)
SELECT tgid, comm, end_ts, threads, prio, nice, policy, policy_name, rt_priority, nvcsw, nivcsw, min_flt, maj_flt, utime_ns, stime_ns, runtime_ns,
       runtime_ns - _task_stime_adj(utime_ns, stime_ns, runtime_ns) AS utime_adj_ns,
       _task_stime_adj(utime_ns, stime_ns, runtime_ns) AS stime_adj_ns,
       vm_bytes, vm_fork_bytes, maxrss_bytes
FROM s;
