-- OOM kills per group of the victim.
SELECT g.grp, count(*) AS kills
FROM oom_kills k JOIN _cmp_groups g ON g.tid = k.tid
GROUP BY g.grp
