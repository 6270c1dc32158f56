-- Block I/O per group of the submitting thread (io_requests: the submitter, not the task that completed it).
SELECT g.grp,
  count(*) AS ops,
  coalesce(sum(r.bytes) FILTER (WHERE r.kind = 'read'), 0) AS read_bytes,
  coalesce(sum(r.bytes) FILTER (WHERE r.kind = 'write'), 0) AS write_bytes,
  count(r.total_ns) AS completed,
  quantile_disc(r.total_ns, 0.99) AS latency_p99,
  count(r.service_ns) AS serviced,
  quantile_disc(r.service_ns, 0.99) AS service_p99
FROM io_requests r JOIN _cmp_groups g ON g.tid = r.tid
GROUP BY g.grp
