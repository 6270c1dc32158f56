-- Export (cache): per process, the running totals of page cache read hits, read misses and pages dirtied
-- (cache_pages: the rule in families/cache/sql/cache.sql), stepped at each event time inside the export window
-- that changed one of them. With --pid/--comm a process is kept when the task current at the event is selected.
-- Needs: cache_pages (families/cache/sql/cache.sql), processes (task), _export_window, _export_keep (select.sql).
CREATE OR REPLACE TEMP TABLE _export_cache AS
WITH s AS (
  SELECT c.tgid, c.ts,
         count(*) FILTER (WHERE c.class = 'read_hit') AS hits, count(*) FILTER (WHERE c.class = 'read_miss') AS misses,
         count(*) FILTER (WHERE c.event = 'dirty') AS dirtied
  FROM cache_pages c CROSS JOIN _export_window w
  WHERE c.ts BETWEEN w.lo AND w.hi AND _export_keep(c.tid, c.tgid)
  GROUP BY c.tgid, c.ts
  HAVING hits + misses + dirtied > 0
)
SELECT s.tgid, coalesce(pr.comm, '') AS comm, s.ts,
       sum(s.hits) OVER w AS read_hits, sum(s.misses) OVER w AS read_misses, sum(s.dirtied) OVER w AS dirtied
FROM s LEFT JOIN processes pr ON pr.tgid = s.tgid
WINDOW w AS (PARTITION BY s.tgid ORDER BY s.ts ROWS UNBOUNDED PRECEDING)
ORDER BY s.tgid, s.ts;
