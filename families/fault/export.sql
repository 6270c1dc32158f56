-- Export (fault): per process, the running totals of minor and major faults (faults: classified by the task's
-- own counters) inside the export window, one step per millisecond that had faults (its last fault's time and
-- the totals then). With --pid/--comm a fault is kept when its thread is selected.
-- Needs: faults (families/fault/sql/faults.sql), _export_window, _export_keep (select.sql).
CREATE OR REPLACE TEMP TABLE _export_fault_counters AS
WITH run AS (
  SELECT f.tgid, f.ts,
         sum(CASE WHEN f.class = 'minor' THEN 1 ELSE 0 END) OVER acc AS minor,
         sum(CASE WHEN f.class = 'major' THEN 1 ELSE 0 END) OVER acc AS major
  FROM faults f CROSS JOIN _export_window w
  WHERE f.ts BETWEEN w.lo AND w.hi AND f.class IN ('minor', 'major') AND _export_keep(f.tid, f.tgid)
  WINDOW acc AS (PARTITION BY f.tgid ORDER BY f.ts, f.tid ROWS UNBOUNDED PRECEDING)
)
SELECT tgid, max(ts) AS ts, max(minor) AS minor, max(major) AS major FROM run GROUP BY tgid, ts // 1000000 ORDER BY tgid, ts;
