-- TCP connections: one row per connection, from the events of its socket in tcp_events (sock:inet_sock_set_state,
-- tcp:tcp_retransmit_skb, tcp_send_reset, tcp_receive_reset) and the owners in tcp_owners.
--
-- Pairing. A socket is known by its kernel address (tcp_events.sk) from its first state change to CLOSE; the
-- kernel then reuses the address. The events of one address, in time order, are cut into lives: a life begins
-- at CLOSE → SYN_SENT (connect), CLOSE → LISTEN (listen), LISTEN → SYN_RECV (a passive child, born when the
-- handshake's last ACK arrives), or at the first event after a change to CLOSE. Events of request and
-- time-wait sockets (a reset sent in NEW_SYN_RECV or TIME_WAIT: those are other structures than the socket)
-- are not part of any life. A life whose first state was LISTEN is a listener, not a connection.
--  - active (connect): connect latency = SYN_SENT → the first ESTABLISHED (as tcpconnlat), including the SYN
--    retransmissions when the peer dropped SYNs (about 1 s, then 2 s ... each);
--  - passive (accepted): born in SYN_RECV → ESTABLISHED at once; accept latency = ESTABLISHED → the accept()
--    that returned it (its time in the listener's accept queue); NULL while not accepted in the capture;
--  - unknown: the connection began before the capture.
-- Lifetime (tcplife) = from its first state change (SYN_SENT or SYN_RECV) to CLOSE. Bytes are the tcp_sock
-- counters at its last event, the kernel's own accounting (RFC 4898): bytes_received counts the sequence space
-- received after the SYN (the payload, plus 1 for a FIN received), bytes_acked the sequence space the peer
-- acknowledged (the payload, plus 1 for a SYN sent by connect() and 1 for a FIN sent and acknowledged).
-- Ports and addresses are those of its last event with both ports set (connect() picks the local port after
-- the change to SYN_SENT; the change to CLOSE releases it).
--
-- Attribution. A connection belongs to the task that opened or accepted it, never to the task current at an
-- event (most state changes run in softirq, where current is whoever was interrupted): the task that accepted
-- it (tcp_owners how = 2, accept()/accept4() returning its fd), else the one that connected it (how = 0: the
-- change CLOSE → SYN_SENT runs in connect()), else the owner the recorder carried on its events (own_tid: for a
-- passive child not accepted in the capture, the task that called listen() on its port in that namespace).
-- A connection that began before the capture has no owner (tid, tgid and comm NULL).
-- requires: (only capture tables)

-- TCP_* state → its name
CREATE OR REPLACE MACRO _tcp_state(s) AS CASE s
  WHEN 1 THEN 'ESTABLISHED' WHEN 2 THEN 'SYN_SENT' WHEN 3 THEN 'SYN_RECV' WHEN 4 THEN 'FIN_WAIT1' WHEN 5 THEN 'FIN_WAIT2'
  WHEN 6 THEN 'TIME_WAIT' WHEN 7 THEN 'CLOSE' WHEN 8 THEN 'CLOSE_WAIT' WHEN 9 THEN 'LAST_ACK' WHEN 10 THEN 'LISTEN'
  WHEN 11 THEN 'CLOSING' WHEN 12 THEN 'NEW_SYN_RECV' ELSE 'STATE_' || s END;

CREATE OR REPLACE MACRO _tcp_ip4(v) AS ((v >> 24) & 255) || '.' || ((v >> 16) & 255) || '.' || ((v >> 8) & 255) || '.' || (v & 255);

-- a 128-bit address (two u64 halves) as text: IPv4 (and IPv4-mapped IPv6) dotted, IPv6 in hex groups with the
-- first run of two or more zero groups written '::'
CREATE OR REPLACE MACRO _tcp_addr(family, hi, lo) AS CASE
  WHEN hi = 0 AND (lo >> 32) = 65535 THEN CASE WHEN family = 2 THEN '' ELSE '::ffff:' END || _tcp_ip4(lo & 4294967295)
  ELSE coalesce(nullif(regexp_replace(printf('%x:%x:%x:%x:%x:%x:%x:%x', (hi >> 48) & 65535, (hi >> 32) & 65535, (hi >> 16) & 65535,
    hi & 65535, (lo >> 48) & 65535, (lo >> 32) & 65535, (lo >> 16) & 65535, lo & 65535), '(^|:)0(:0)+(:|$)', '::'), '0:0:0:0:0:0:0:0'), '::') END;

-- address:port (IPv6 in brackets)
CREATE OR REPLACE MACRO _tcp_endpoint(family, hi, lo, port) AS
  CASE WHEN family = 10 AND NOT (hi = 0 AND (lo >> 32) = 65535) THEN '[' || _tcp_addr(family, hi, lo) || ']' ELSE _tcp_addr(family, hi, lo) END || ':' || port;

-- the events of full sockets cut into lives (life numbers the lives of one address)
CREATE OR REPLACE TABLE _tcp_life AS
WITH e AS (
  SELECT *, coalesce(lag(event = 0 AND newstate = 7) OVER (PARTITION BY sk ORDER BY ts, cpu), false) AS after_close
  FROM _tcp_events WHERE event = 0 OR newstate NOT IN (6, 12)
)
SELECT *, sport <> 0 AND dport <> 0 AS bound, sum(CASE WHEN after_close OR (event = 0 AND (oldstate = 7 OR (oldstate = 10 AND newstate = 3))) THEN 1 ELSE 0 END)
  OVER (PARTITION BY sk ORDER BY ts, cpu ROWS UNBOUNDED PRECEDING) AS life
FROM e;

CREATE OR REPLACE TABLE _tcp_lives AS
SELECT sk, life, min(ts) AS first_ts,
  min(ts) FILTER (WHERE event = 0 AND oldstate = 7 AND newstate = 2) AS syn_sent_ts,
  min(ts) FILTER (WHERE event = 0 AND newstate = 3) AS syn_recv_ts,
  min(ts) FILTER (WHERE event = 0 AND newstate = 10) AS listen_ts,
  min(ts) FILTER (WHERE event = 0 AND newstate = 1) AS established_ts,
  min(ts) FILTER (WHERE event = 0 AND newstate = 7) AS close_ts,
  count(*) FILTER (WHERE event = 0) AS state_changes,
  arg_max(newstate, ts) AS last_state, arg_max(oldstate, ts) FILTER (WHERE event = 0 AND newstate = 7) AS closed_from,
  count(*) FILTER (WHERE event = 1) AS retransmits, count(*) FILTER (WHERE event = 1 AND arg <> 0) AS retransmit_errors,
  count(*) FILTER (WHERE event = 2) AS resets_sent, count(*) FILTER (WHERE event = 3) AS resets_received,
  max(total_retrans) AS total_retrans, max(bytes_received) AS bytes_received, max(bytes_acked) AS bytes_acked,
  arg_max(family, ts) AS family, arg_max(protocol, ts) AS protocol, arg_max(netns, ts) AS netns,
  coalesce(arg_max(saddr_hi, ts) FILTER (WHERE bound), arg_max(saddr_hi, ts)) AS saddr_hi,
  coalesce(arg_max(saddr_lo, ts) FILTER (WHERE bound), arg_max(saddr_lo, ts)) AS saddr_lo,
  coalesce(arg_max(daddr_hi, ts) FILTER (WHERE bound), arg_max(daddr_hi, ts)) AS daddr_hi,
  coalesce(arg_max(daddr_lo, ts) FILTER (WHERE bound), arg_max(daddr_lo, ts)) AS daddr_lo,
  coalesce(arg_max(sport, ts) FILTER (WHERE bound), arg_max(sport, ts)) AS sport,
  coalesce(arg_max(dport, ts) FILTER (WHERE bound), arg_max(dport, ts)) AS dport,
  arg_max(own_tid, ts) FILTER (WHERE own_tid <> 0) AS own_tid, arg_max(own_tgid, ts) FILTER (WHERE own_tid <> 0) AS own_tgid
FROM _tcp_life GROUP BY sk, life;

-- each life's span on its address: until the next life's first event
CREATE OR REPLACE TABLE _tcp_span AS
SELECT *, lead(first_ts) OVER (PARTITION BY sk ORDER BY first_ts) AS next_ts FROM _tcp_lives;

-- the owner rows of each life: its accept and its connect (the first of each in its span)
CREATE OR REPLACE TABLE _tcp_life_owner AS
SELECT l.sk, l.life,
  arg_min(o.ts, o.ts) FILTER (WHERE o.how = 2) AS accept_ts,
  arg_min(o.tid, o.ts) FILTER (WHERE o.how = 2) AS acc_tid, arg_min(o.tgid, o.ts) FILTER (WHERE o.how = 2) AS acc_tgid,
  arg_min(o.comm, o.ts) FILTER (WHERE o.how = 2) AS acc_comm,
  arg_min(o.tid, o.ts) FILTER (WHERE o.how = 0) AS con_tid, arg_min(o.tgid, o.ts) FILTER (WHERE o.how = 0) AS con_tgid,
  arg_min(o.comm, o.ts) FILTER (WHERE o.how = 0) AS con_comm
FROM _tcp_span l JOIN _tcp_owners o ON o.sk = l.sk AND o.ts >= l.first_ts AND (l.next_ts IS NULL OR o.ts < l.next_ts)
GROUP BY l.sk, l.life;

-- @view tcp_connections: One row per TCP connection (see the pairing and attribution rules above).
-- @col ts: first event of the connection in the capture, ns since boot
-- @col role: 'active' (connected), 'passive' (accepted from a listener) or 'unknown' (began before the capture)
-- @col family: 'ipv4' or 'ipv6'
-- @col protocol: IPPROTO_* (6 TCP; 262 MPTCP)
-- @col netns: inode number of its network namespace
-- @col local: local address:port
-- @col remote: remote address:port
-- @col laddr: local address
-- @col lport: local port
-- @col raddr: remote address
-- @col rport: remote port
-- @col tid: owning thread (accepted it, else connected it, else its listener's); NULL if unknown
-- @col tgid: its process
-- @col comm: its comm when it became the owner
-- @col syn_ts: SYN_SENT (active) or SYN_RECV (passive), ns since boot
-- @col established_ts: first change to ESTABLISHED (NULL: never established in the capture)
-- @col accept_ts: passive: the accept() that returned it (NULL: not accepted in the capture)
-- @col close_ts: change to CLOSE (NULL: open at the end)
-- @col connect_ns: active: SYN_SENT → ESTABLISHED (tcpconnlat)
-- @col accept_ns: passive: ESTABLISHED → accept() (time in the accept queue)
-- @col lifetime_ns: syn_ts (else its first event) → close_ts (tcplife)
-- @col state: its last state
-- @col closed_from: the state it changed to CLOSE from (NULL: not closed)
-- @col retransmits: tcp_retransmit_skb events (SYN retransmissions included)
-- @col retransmit_errors: of those, retransmissions that failed (err <> 0)
-- @col total_retrans: the kernel's tcp_sock.total_retrans at its last event
-- @col resets_sent: resets it sent
-- @col resets_received: resets it received
-- @col bytes_received: tcp_sock.bytes_received at its last event: payload received, plus 1 for a FIN received
-- @col bytes_acked: tcp_sock.bytes_acked at its last event: payload sent and acknowledged, plus 1 for its SYN (active) and 1 for its FIN once acknowledged
-- @col sk: the socket's kernel address
CREATE OR REPLACE VIEW tcp_connections AS
SELECT l.first_ts AS ts,
  CASE WHEN l.syn_sent_ts IS NOT NULL THEN 'active' WHEN l.syn_recv_ts IS NOT NULL THEN 'passive' ELSE 'unknown' END AS role,
  CASE l.family WHEN 2 THEN 'ipv4' WHEN 10 THEN 'ipv6' ELSE 'family_' || l.family END AS family, l.protocol, l.netns,
  _tcp_endpoint(l.family, l.saddr_hi, l.saddr_lo, l.sport) AS local, _tcp_endpoint(l.family, l.daddr_hi, l.daddr_lo, l.dport) AS remote,
  _tcp_addr(l.family, l.saddr_hi, l.saddr_lo) AS laddr, l.sport AS lport, _tcp_addr(l.family, l.daddr_hi, l.daddr_lo) AS raddr, l.dport AS rport,
  coalesce(o.acc_tid, o.con_tid, l.own_tid) AS tid, coalesce(o.acc_tgid, o.con_tgid, l.own_tgid) AS tgid,
  coalesce(o.acc_comm, o.con_comm,
    (SELECT arg_max(x.comm, x.ts) FROM _tcp_owners x WHERE x.tid = l.own_tid AND x.ts <= l.first_ts)) AS comm,
  coalesce(l.syn_sent_ts, l.syn_recv_ts) AS syn_ts, l.established_ts, o.accept_ts, l.close_ts,
  l.established_ts - l.syn_sent_ts AS connect_ns,
  CASE WHEN l.syn_sent_ts IS NULL THEN o.accept_ts - l.established_ts END AS accept_ns,
  l.close_ts - coalesce(l.syn_sent_ts, l.syn_recv_ts, l.first_ts) AS lifetime_ns,
  _tcp_state(l.last_state) AS state, _tcp_state(l.closed_from) AS closed_from,
  l.retransmits, l.retransmit_errors, l.total_retrans, l.resets_sent, l.resets_received, l.bytes_received, l.bytes_acked, l.sk
FROM _tcp_span l LEFT JOIN _tcp_life_owner o ON o.sk = l.sk AND o.life = l.life
WHERE l.listen_ts IS NULL;

-- @view tcp_retransmits: One row per retransmission (tcp:tcp_retransmit_skb), with its connection's owner.
-- @col ts: ns since boot
-- @col state: the socket's state then (SYN_SENT: a SYN retransmitted)
-- @col err: the retransmission's error (0: sent)
-- @col local: local address:port
-- @col remote: remote address:port
-- @col tid: the connection's owner (tcp_connections.tid)
-- @col tgid: its process
-- @col comm: its comm
-- @col sk: the socket's kernel address
-- @col cpu: CPU it fired on
CREATE OR REPLACE VIEW tcp_retransmits AS
SELECT e.ts, _tcp_state(e.newstate) AS state, e.arg AS err,
  _tcp_endpoint(e.family, e.saddr_hi, e.saddr_lo, e.sport) AS local, _tcp_endpoint(e.family, e.daddr_hi, e.daddr_lo, e.dport) AS remote,
  c.tid, c.tgid, c.comm, e.sk, e.cpu
FROM _tcp_events e LEFT JOIN tcp_connections c ON c.sk = e.sk AND e.ts >= c.ts AND (c.close_ts IS NULL OR e.ts <= c.close_ts)
WHERE e.event = 1;
