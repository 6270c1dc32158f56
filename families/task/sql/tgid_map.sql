-- tid → tgid over time: every source that names both, the first entry of a
-- tid extended back to the beginning of time so that earlier events (e.g.
-- sched_switch, which has no tgid) resolve too. Use with (a hash join on tid)
--   LEFT JOIN _tgid_map m ON m.tid = x.tid AND x.ts >= m.from_ts AND x.ts < m.to_ts
-- requires: (only capture tables)
CREATE OR REPLACE TABLE _tgid_map AS
WITH src AS (
  SELECT ts, tid, tgid FROM _task_ids
  UNION ALL SELECT ts, child_tid, child_tgid FROM _task_newtask
  UNION ALL SELECT ts, tid, tgid FROM _task_exec
  UNION ALL SELECT ts, tid, tgid FROM _process_snapshot
  UNION ALL SELECT ts, tid, tgid FROM _task_exit
), d AS (
  SELECT tid, ts, any_value(tgid) AS tgid FROM src GROUP BY tid, ts
), c AS (
  SELECT tid, ts, tgid, lag(tgid) OVER (PARTITION BY tid ORDER BY ts) AS prev FROM d
)
, r AS (
  SELECT tid, tgid, CASE WHEN prev IS NULL THEN -9223372036854775807 ELSE ts END AS from_ts
  FROM c WHERE prev IS NULL OR prev <> tgid
)
SELECT tid, tgid, from_ts,
       coalesce(lead(from_ts) OVER (PARTITION BY tid ORDER BY from_ts), 9223372036854775807) AS to_ts
FROM r
UNION ALL SELECT 0, 0, -9223372036854775807, 9223372036854775807;
