-- TCP connections per group of the owning thread (tcp_connections: the task that connected or accepted it).
SELECT g.grp,
  count(*) AS connections,
  count(c.connect_ns) AS connected,
  quantile_disc(c.connect_ns, 0.99) AS connect_p99,
  coalesce(sum(c.retransmits), 0) AS retransmits
FROM tcp_connections c JOIN _cmp_groups g ON g.tid = c.tid
GROUP BY g.grp
