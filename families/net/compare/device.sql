-- Packets per device, as groups named '[net <device>]' (devices of the same name in several namespaces are one group).
WITH tx AS (SELECT device, count(*) FILTER (WHERE rc = 0) AS tx_packets, coalesce(sum(len) FILTER (WHERE rc = 0), 0) AS tx_bytes,
    count(queue_ns) FILTER (WHERE rc = 0) AS timed, quantile_disc(queue_ns, 0.99) FILTER (WHERE rc = 0) AS xmit_p99 FROM net_transmits GROUP BY device),
  rx AS (SELECT device, count(*) AS rx_packets, coalesce(sum(frame_len), 0) AS rx_bytes FROM net_receives GROUP BY device),
  dr AS (SELECT device, count(*) AS drops FROM net_drop_events WHERE device <> '' GROUP BY device)
SELECT '[net ' || coalesce(tx.device, rx.device) || ']' AS grp,
  coalesce(tx.tx_packets, 0) + coalesce(rx.rx_packets, 0) AS packets,
  coalesce(tx.tx_bytes, 0) AS tx_bytes, coalesce(rx.rx_bytes, 0) AS rx_bytes,
  coalesce(tx.timed, 0) AS timed, tx.xmit_p99, coalesce(dr.drops, 0) AS drops
FROM tx FULL JOIN rx ON rx.device = tx.device LEFT JOIN dr ON dr.device = coalesce(tx.device, rx.device)
