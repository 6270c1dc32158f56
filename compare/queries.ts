/**
 * SQL of `ktape compare`, on top of the analyzer's public views only
 * (threads, processes, sched_slices, thread_state, syscalls, allocations,
 * stacks, losses, capture). Kept in a TS module rather than compare/sql/*.sql
 * so that it ships inside dist/ without packaging changes.
 *
 * Every value (grouping mode, recorder tgid) is bound as a parameter.
 */

/**
 * thread → group key. $by: 'comm' | 'process' | 'exec'; $recorder: the
 * recorder's tgid (excluded: ktape measuring itself is not the workload).
 *  - comm:    the thread's own (last known) name
 *  - process: the name of its process' main thread (falls back to the thread's name)
 *  - exec:    the file its process exec'd during the capture, else the first word
 *             of its command line from the start snapshot, else [comm] (kernel threads)
 */
export const THREAD_GROUPS = `
CREATE OR REPLACE TEMP TABLE _cmp_groups AS
SELECT t.tid, t.tgid,
  CASE $by
    WHEN 'comm' THEN coalesce(t.comm, 'tid ' || t.tid)
    WHEN 'process' THEN coalesce(p.comm, t.comm, 'tid ' || t.tid)
    ELSE coalesce(p.exec_filename, t.exec_filename,
                  nullif(split_part(p.cmdline, ' ', 1), ''),
                  '[' || coalesce(p.comm, t.comm, 'tid ' || t.tid) || ']')
  END AS grp
FROM threads t LEFT JOIN processes p ON p.tgid = t.tgid
WHERE t.tgid IS DISTINCT FROM $recorder::INTEGER`;

/** CPU time and switches. involuntary = left the CPU still runnable (R, R+). */
export const CPU = `
SELECT g.grp,
  sum(s.dur)::BIGINT AS cpu_ns,
  count(*) AS slices,
  count(*) FILTER (WHERE s.end_state IS NOT NULL) AS switches,
  count(*) FILTER (WHERE s.end_state IS NOT NULL AND s.end_state NOT IN ('R', 'R+')) AS voluntary_switches,
  count(*) FILTER (WHERE s.end_state IN ('R', 'R+')) AS involuntary_switches
FROM sched_slices s JOIN _cmp_groups g ON g.tid = s.tid
WHERE s.tid <> 0
GROUP BY g.grp`;

/** Wakeup → running: the R state that a wakeup starts, until the thread runs. */
export const SCHED_LATENCY = `
SELECT g.grp,
  count(*) AS n,
  quantile_disc(ts.dur, 0.50)::BIGINT AS p50,
  quantile_disc(ts.dur, 0.95)::BIGINT AS p95,
  quantile_disc(ts.dur, 0.99)::BIGINT AS p99,
  max(ts.dur)::BIGINT AS mx
FROM thread_state ts JOIN _cmp_groups g ON g.tid = ts.tid
WHERE ts.state = 'R' AND ts.waker_tid IS NOT NULL AND NOT ts.clipped
GROUP BY g.grp`;

/** Per syscall name: calls, failures, time inside, p99 (over calls whose both ends were seen). */
export const SYSCALLS = `
SELECT g.grp, s.name,
  count(*) AS n,
  count(*) FILTER (WHERE s.failed) AS errors,
  coalesce(sum(s.dur), 0)::BIGINT AS total_ns,
  count(s.dur) AS timed,
  quantile_disc(s.dur, 0.99)::BIGINT AS p99
FROM syscalls s JOIN _cmp_groups g ON g.tid = s.tid
GROUP BY g.grp, s.name`;

/** Slab allocations per kind ('kmalloc', 'kmem_cache'). */
export const KMEM = `
SELECT g.grp, a.kind,
  count(*) AS n,
  coalesce(sum(a.bytes), 0)::BIGINT AS bytes,
  count(*) FILTER (WHERE a.outstanding) AS outstanding_n,
  coalesce(sum(a.bytes) FILTER (WHERE a.outstanding), 0)::BIGINT AS outstanding_bytes
FROM allocations a JOIN _cmp_groups g ON g.tid = a.tid
GROUP BY g.grp, a.kind`;

/** Tasks: how many threads/processes, created/exited during the capture, lifetimes of those that did both. */
export const TASKS = `
SELECT g.grp,
  count(*) AS threads,
  count(DISTINCT t.tgid) AS processes,
  count(*) FILTER (WHERE t.clone_flags IS NOT NULL) AS started,
  count(*) FILTER (WHERE t.end_ts IS NOT NULL) AS exited,
  count(*) FILTER (WHERE t.clone_flags IS NOT NULL AND t.lifetime IS NOT NULL) AS lived,
  avg(t.lifetime) FILTER (WHERE t.clone_flags IS NOT NULL)::DOUBLE AS lifetime_mean,
  max(t.lifetime) FILTER (WHERE t.clone_flags IS NOT NULL)::BIGINT AS lifetime_max
FROM threads t JOIN _cmp_groups g ON g.tid = t.tid
GROUP BY g.grp`;

/** Allocation stacks per group (folded: root first, ';'-separated). */
export const ALLOC_STACKS = `
SELECT g.grp, st.folded, count(*) AS n, coalesce(sum(a.bytes), 0)::BIGINT AS bytes
FROM allocations a JOIN _cmp_groups g ON g.tid = a.tid
LEFT JOIN stacks st ON st.stack_id = a.stack_id
GROUP BY g.grp, st.folded`;

export const LOSSES = `
SELECT reason, kind, sum(count)::BIGINT AS n FROM losses GROUP BY reason, kind ORDER BY reason, kind`;

export const CAPTURE = `SELECT start_ts, end_ts, dur, format_version, hostname, kernel_release, machine, complete FROM capture`;
