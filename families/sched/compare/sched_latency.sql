-- Wakeup → running: the R state that a wakeup starts, until the thread runs.
SELECT g.grp,
  count(*) AS n,
  quantile_disc(ts.dur, 0.50)::BIGINT AS p50,
  quantile_disc(ts.dur, 0.95)::BIGINT AS p95,
  quantile_disc(ts.dur, 0.99)::BIGINT AS p99,
  max(ts.dur)::BIGINT AS mx
FROM thread_state ts JOIN _cmp_groups g ON g.tid = ts.tid
WHERE ts.state = 'R' AND ts.waker_tid IS NOT NULL AND NOT ts.clipped
GROUP BY g.grp
