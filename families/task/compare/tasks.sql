-- Tasks: how many threads/processes, created/exited during the capture, lifetimes of those that did both,
-- and what the kernel accounted at the exits (task_accounting, format 1.7 on).
WITH acct AS (
  SELECT tid, count(*) AS exits, sum(nvcsw) AS nvcsw, sum(nivcsw) AS nivcsw, sum(min_flt) AS min_flt, sum(maj_flt) AS maj_flt,
         max(maxrss_bytes) AS maxrss_bytes
  FROM task_accounting GROUP BY tid
)
SELECT g.grp,
  count(*) AS threads,
  count(DISTINCT t.tgid) AS processes,
  count(*) FILTER (WHERE t.clone_flags IS NOT NULL) AS started,
  count(*) FILTER (WHERE t.end_ts IS NOT NULL) AS exited,
  count(*) FILTER (WHERE t.clone_flags IS NOT NULL AND t.lifetime IS NOT NULL) AS lived,
  avg(t.lifetime) FILTER (WHERE t.clone_flags IS NOT NULL)::DOUBLE AS lifetime_mean,
  max(t.lifetime) FILTER (WHERE t.clone_flags IS NOT NULL)::BIGINT AS lifetime_max,
  coalesce(sum(a.exits), 0)::BIGINT AS acct_exits,
  sum(a.nvcsw)::BIGINT AS exit_nvcsw,
  sum(a.nivcsw)::BIGINT AS exit_nivcsw,
  sum(a.min_flt)::BIGINT AS exit_min_flt,
  sum(a.maj_flt)::BIGINT AS exit_maj_flt,
  max(a.maxrss_bytes)::BIGINT AS exit_maxrss_bytes
FROM threads t JOIN _cmp_groups g ON g.tid = t.tid
LEFT JOIN acct a ON a.tid = t.tid
GROUP BY g.grp
