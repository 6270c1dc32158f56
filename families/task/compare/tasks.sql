-- Tasks: how many threads/processes, created/exited during the capture, lifetimes of those that did both.
SELECT g.grp,
  count(*) AS threads,
  count(DISTINCT t.tgid) AS processes,
  count(*) FILTER (WHERE t.clone_flags IS NOT NULL) AS started,
  count(*) FILTER (WHERE t.end_ts IS NOT NULL) AS exited,
  count(*) FILTER (WHERE t.clone_flags IS NOT NULL AND t.lifetime IS NOT NULL) AS lived,
  avg(t.lifetime) FILTER (WHERE t.clone_flags IS NOT NULL)::DOUBLE AS lifetime_mean,
  max(t.lifetime) FILTER (WHERE t.clone_flags IS NOT NULL)::BIGINT AS lifetime_max
FROM threads t JOIN _cmp_groups g ON g.tid = t.tid
GROUP BY g.grp
