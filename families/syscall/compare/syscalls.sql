-- Per syscall name: calls, failures, time inside, p99 (over calls whose both ends were seen).
SELECT g.grp, s.name,
  count(*) AS n,
  count(*) FILTER (WHERE s.failed) AS errors,
  coalesce(sum(s.dur), 0)::BIGINT AS total_ns,
  count(s.dur) AS timed,
  quantile_disc(s.dur, 0.99)::BIGINT AS p99
FROM syscalls s JOIN _cmp_groups g ON g.tid = s.tid
GROUP BY g.grp, s.name
