-- Path syscalls per group of the calling thread (file_calls): all of them, the opens, their errors and latency.
SELECT g.grp,
  count(*) AS calls,
  count(*) FILTER (WHERE f.name IN ('open', 'openat', 'openat2', 'creat')) AS opens,
  count(*) FILTER (WHERE f.name IN ('open', 'openat', 'openat2', 'creat') AND f.failed) AS open_errors,
  count(f.dur) FILTER (WHERE f.name IN ('open', 'openat', 'openat2', 'creat')) AS timed_opens,
  quantile_disc(f.dur, 0.99) FILTER (WHERE f.name IN ('open', 'openat', 'openat2', 'creat')) AS open_p99
FROM file_calls f JOIN _cmp_groups g ON g.tid = f.tid
GROUP BY g.grp
