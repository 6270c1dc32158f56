-- Export (tcp): the connections overlapping the export window with a known owner, one row per connection
-- (tcp_connections: the task that connected or accepted it, not the task current at its events), from its
-- SYN (else its first event) to CLOSE (the window end if still open); and their retransmits in the window.
-- With --pid/--comm a connection is kept when its owner is selected.
-- Needs: tcp_connections, tcp_retransmits (families/tcp/sql/connections.sql), _export_window, _export_keep (select.sql).
CREATE OR REPLACE TEMP TABLE _export_tcp AS
SELECT c.sk, c.tid, c.tgid, coalesce(c.comm, '') AS comm, c.role, c.local, c.remote,
       greatest(coalesce(c.syn_ts, c.ts), w.lo) AS b_ts, least(coalesce(c.close_ts, w.hi), w.hi) AS e_ts,
       c.connect_ns, c.accept_ns, c.retransmits, c.resets_sent, c.resets_received, c.bytes_received, c.bytes_acked, c.state
FROM tcp_connections c CROSS JOIN _export_window w
WHERE c.tid IS NOT NULL AND coalesce(c.close_ts, w.hi) >= w.lo AND c.ts <= w.hi AND _export_keep(c.tid, c.tgid)
ORDER BY c.tgid, b_ts, e_ts;

CREATE OR REPLACE TEMP TABLE _export_tcp_retransmits AS
SELECT r.ts, r.sk, r.tid, r.tgid, r.state, r.err, r.remote FROM tcp_retransmits r CROSS JOIN _export_window w
WHERE r.tid IS NOT NULL AND r.ts BETWEEN w.lo AND w.hi AND _export_keep(r.tid, r.tgid)
ORDER BY r.ts;
