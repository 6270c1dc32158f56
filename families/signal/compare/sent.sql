-- Signals per group of the sending thread.
SELECT g.grp, count(*) AS sent
FROM signals s JOIN _cmp_groups g ON g.tid = s.sender_tid
GROUP BY g.grp
