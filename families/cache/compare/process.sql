-- Page cache per group of the task current at each event (cache_pages: the rule in families/cache/sql/cache.sql), in pages.
SELECT g.grp,
  count(*) FILTER (WHERE c.class = 'read_hit') AS read_hits,
  count(*) FILTER (WHERE c.class = 'read_miss') AS read_misses,
  count(*) FILTER (WHERE c.class = 'write_hit') AS write_hits,
  count(*) FILTER (WHERE c.event = 'dirty') AS dirtied,
  count(*) AS pages
FROM cache_pages c JOIN _cmp_groups g ON g.tid = c.tid
GROUP BY g.grp
