-- Export (net): per device, running totals of the bytes transmitted and received in the export window, one
-- point per 10 ms with traffic (the total at the end of that interval), ordered by device and time.
-- Needs: net_transmits, net_receives (families/net/sql/packets.sql), _export_window (select.sql).
CREATE OR REPLACE TEMP TABLE _export_net_counters AS
WITH p AS (
  SELECT t.device, t.netns, t.ts, t.len AS tx, 0 AS rx FROM net_transmits t, _export_window w WHERE t.rc = 0 AND t.ts BETWEEN w.lo AND w.hi
  UNION ALL SELECT r.device, r.netns, r.ts, 0, r.frame_len FROM net_receives r, _export_window w WHERE r.ts BETWEEN w.lo AND w.hi
), b AS (
  SELECT device, netns, max(ts) AS ts, sum(tx) AS tx, sum(rx) AS rx FROM p GROUP BY device, netns, ts // 10000000
)
SELECT device, netns, ts, sum(tx) OVER w AS tx_bytes, sum(rx) OVER w AS rx_bytes FROM b
WINDOW w AS (PARTITION BY device, netns ORDER BY ts ROWS UNBOUNDED PRECEDING)
ORDER BY device, netns, ts;
