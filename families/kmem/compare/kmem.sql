-- Slab allocations per kind ('kmalloc', 'kmem_cache').
SELECT g.grp, a.kind,
  count(*) AS n,
  coalesce(sum(a.bytes), 0)::BIGINT AS bytes,
  count(*) FILTER (WHERE a.outstanding) AS outstanding_n,
  coalesce(sum(a.bytes) FILTER (WHERE a.outstanding), 0)::BIGINT AS outstanding_bytes
FROM allocations a JOIN _cmp_groups g ON g.tid = a.tid
GROUP BY g.grp, a.kind
