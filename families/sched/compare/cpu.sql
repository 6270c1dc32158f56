-- CPU time and switches. involuntary = left the CPU still runnable (R, R+).
SELECT g.grp,
  sum(s.dur)::BIGINT AS cpu_ns,
  count(*) AS slices,
  count(*) FILTER (WHERE s.end_state IS NOT NULL) AS switches,
  count(*) FILTER (WHERE s.end_state IS NOT NULL AND s.end_state NOT IN ('R', 'R+')) AS voluntary_switches,
  count(*) FILTER (WHERE s.end_state IN ('R', 'R+')) AS involuntary_switches
FROM sched_slices s JOIN _cmp_groups g ON g.tid = s.tid
WHERE s.tid <> 0
GROUP BY g.grp
