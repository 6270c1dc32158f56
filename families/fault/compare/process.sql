-- Page faults per group of the faulting thread (faults: classified by the task's own counters).
SELECT g.grp,
  count(*) AS faults,
  count(*) FILTER (WHERE f.class = 'minor') AS minor,
  count(*) FILTER (WHERE f.class = 'major') AS major
FROM faults f JOIN _cmp_groups g ON g.tid = f.tid
GROUP BY g.grp
