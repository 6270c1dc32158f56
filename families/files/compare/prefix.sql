-- Path syscalls per path prefix, as groups named '[path <prefix>]' (every process): the first two components of
-- the first path argument ('/usr/lib' of '/usr/lib/x/libc.so', 'a/b' of 'a/b/c'); a path with fewer is itself.
WITH f AS (
  SELECT *, CASE WHEN path LIKE '/%' THEN '/' || array_to_string(string_split(path, '/')[2:3], '/')
                 ELSE array_to_string(string_split(path, '/')[1:2], '/') END AS prefix
  FROM file_calls
)
SELECT '[path ' || prefix || ']' AS grp,
  count(*) AS calls,
  count(*) FILTER (WHERE name IN ('open', 'openat', 'openat2', 'creat')) AS opens,
  count(*) FILTER (WHERE name IN ('open', 'openat', 'openat2', 'creat') AND failed) AS open_errors,
  count(dur) FILTER (WHERE name IN ('open', 'openat', 'openat2', 'creat')) AS timed_opens,
  quantile_disc(dur, 0.99) FILTER (WHERE name IN ('open', 'openat', 'openat2', 'creat')) AS open_p99
FROM f
GROUP BY prefix
