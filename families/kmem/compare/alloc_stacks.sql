-- Allocation stacks per group (folded: root first, ';'-separated).
SELECT g.grp, st.folded, count(*) AS n, coalesce(sum(a.bytes), 0)::BIGINT AS bytes
FROM allocations a JOIN _cmp_groups g ON g.tid = a.tid
LEFT JOIN stacks st ON st.stack_id = a.stack_id
GROUP BY g.grp, st.folded
