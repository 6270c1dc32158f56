-- Block I/O per device, as groups named '[block <device>]' (every request, whoever submitted it).
SELECT '[block ' || device || ']' AS grp,
  count(*) AS ops,
  coalesce(sum(bytes) FILTER (WHERE kind = 'read'), 0) AS read_bytes,
  coalesce(sum(bytes) FILTER (WHERE kind = 'write'), 0) AS write_bytes,
  count(total_ns) AS completed,
  quantile_disc(total_ns, 0.99) AS latency_p99,
  count(service_ns) AS serviced,
  quantile_disc(service_ns, 0.99) AS service_p99
FROM io_requests
GROUP BY device
