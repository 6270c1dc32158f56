-- Signals per group of the target thread: generated, delivered, and the pending time of delivered ones.
SELECT g.grp,
  count(*) AS received,
  count(*) FILTER (WHERE s.delivered) AS delivered,
  count(*) FILTER (WHERE s.sig = 9) AS sigkill,
  quantile_disc(s.latency, 0.99) FILTER (WHERE s.delivered)::BIGINT AS latency_p99
FROM signals s JOIN _cmp_groups g ON g.tid = s.target_tid
GROUP BY g.grp
