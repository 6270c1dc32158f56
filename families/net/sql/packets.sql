-- Packets per device: net_packets (net:net_dev_queue, net_dev_xmit, netif_receive_skb), net_drops (skb:kfree_skb),
-- net_devices (each device's name at its first transmit or receive), net_drop_reasons (the capture kernel's reason names).
--
-- Devices. A device is (netns, ifindex): the same ifindex means another device in another namespace. Its name is
-- the one recorded at its first transmit or receive (a rename during the capture is not seen); 'if<ifindex>' if none.
--
-- Pairing (netpack). A packet is known by its address (net_packets.skb) from net_dev_queue to net_dev_xmit on
-- one device. Each transmit is paired with the latest queue event of the same address on the same device, if
-- that queue came after the address's previous accepted transmit there (a transmit the driver refused,
-- NETDEV_TX_BUSY, is requeued and tried again: every try pairs with the same queue): else (the packet was queued before the capture,
-- or sent without dev_queue_xmit, e.g. by AF_PACKET or after GSO segmentation into new buffers) its transmit
-- latency is NULL. A packet that goes through stacked devices (a VLAN, a bond, a bridge port) is queued and
-- transmitted on each: one row per device. A queued packet never transmitted (dropped by the qdisc) has no row.
--
-- Counting. tx: transmits the driver accepted (rc = 0), bytes as queued (the frame, link-layer header
-- included), as drivers count tx_packets and tx_bytes; a refused transmit (NETDEV_TX_BUSY) is requeued and
-- counted again when it goes. rx: packets entering the stack (netif_receive_skb), bytes = len + mac_len (the
-- frame before the stack pulled its link-layer header), as drivers count rx_bytes. Packets GRO merged before
-- the stack count once.
-- requires: (only capture tables)

-- @view net_devices_named: Devices seen in the capture, with the name they show as.
-- @col netns: inode number of its network namespace
-- @col ifindex: its ifindex there
-- @col device: its name at its first transmit or receive
CREATE OR REPLACE VIEW net_devices_named AS
SELECT netns, ifindex, arg_min(name, ts) AS device FROM _net_devices GROUP BY netns, ifindex;

CREATE OR REPLACE TABLE _net_dev AS SELECT * FROM net_devices_named;

-- transmits with their queue event (ASOF: the latest queue of the address on the device at or before it; prev_ts: its previous accepted transmit)
CREATE OR REPLACE TABLE _net_tx AS
WITH x AS (
  SELECT *, max(CASE WHEN rc = 0 THEN ts END) OVER (PARTITION BY skb, netns, ifindex ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_ts
  FROM _net_packets WHERE event = 1
), q AS (SELECT ts, skb, netns, ifindex FROM _net_packets WHERE event = 0)
SELECT x.ts, x.cpu, x.tid, x.tgid, x.skb, x.netns, x.ifindex, x.len, x.rc,
  CASE WHEN x.prev_ts IS NULL OR q.ts > x.prev_ts THEN q.ts END AS queue_ts
FROM x ASOF LEFT JOIN q ON q.skb = x.skb AND q.netns = x.netns AND q.ifindex = x.ifindex AND x.ts >= q.ts;

-- @view net_transmits: One row per transmit (net_dev_xmit), with its queue time (see the pairing rule above).
-- @col ts: the transmit, ns since boot
-- @col netns: device's network namespace (inode number)
-- @col ifindex: device's ifindex
-- @col device: its name
-- @col len: bytes (the frame)
-- @col rc: what the driver returned (0 NETDEV_TX_OK)
-- @col queue_ts: its net_dev_queue (NULL: not seen, see above)
-- @col queue_ns: queue → transmit (netpack)
-- @col skb: the packet's address
-- @col tid: task current at the transmit
-- @col tgid: its process
-- @col cpu: CPU of the transmit
CREATE OR REPLACE VIEW net_transmits AS
SELECT t.ts, t.netns, t.ifindex, coalesce(d.device, 'if' || t.ifindex) AS device, t.len, t.rc, t.queue_ts, t.ts - t.queue_ts AS queue_ns,
  t.skb, t.tid, t.tgid, t.cpu
FROM _net_tx t LEFT JOIN _net_dev d ON d.netns = t.netns AND d.ifindex = t.ifindex;

-- @view net_receives: One row per received packet entering the stack (netif_receive_skb).
-- @col ts: ns since boot
-- @col netns: device's network namespace (inode number)
-- @col ifindex: device's ifindex
-- @col device: its name
-- @col len: bytes after the link-layer header
-- @col frame_len: len + the link-layer header: the bytes the driver counted
-- @col skb: the packet's address
-- @col cpu: CPU it was received on
CREATE OR REPLACE VIEW net_receives AS
SELECT p.ts, p.netns, p.ifindex, coalesce(d.device, 'if' || p.ifindex) AS device, p.len, p.len + p.mac_len AS frame_len, p.skb, p.cpu
FROM _net_packets p LEFT JOIN _net_dev d ON d.netns = p.netns AND d.ifindex = p.ifindex WHERE p.event = 2;

-- @view net_drop_events: One row per dropped packet (skb:kfree_skb), with its reason's name.
-- @col ts: ns since boot
-- @col netns: its device's network namespace (0: no device)
-- @col ifindex: its device's ifindex, else the one it arrived on (0: none)
-- @col device: its name ('' when there is no device)
-- @col reason: enum skb_drop_reason
-- @col reason_name: the capture kernel's name for it (net_drop_reasons), else 'reason_<n>'
-- @col len: bytes
-- @col protocol: skb->protocol (2048 IPv4, 34525 IPv6, 2054 ARP)
-- @col location: kernel text address that dropped it
-- @col skb: the packet's address
-- @col tid: task current then
-- @col tgid: its process
CREATE OR REPLACE VIEW net_drop_events AS
SELECT e.ts, e.netns, e.ifindex, CASE WHEN e.ifindex = 0 THEN '' ELSE coalesce(d.device, 'if' || e.ifindex) END AS device, e.reason,
  coalesce((SELECT any_value(r.name) FROM _net_drop_reasons r WHERE r.reason = e.reason), 'reason_' || e.reason) AS reason_name,
  e.len, e.protocol, e.location, e.skb, e.tid, e.tgid
FROM _net_drops e LEFT JOIN _net_dev d ON d.netns = e.netns AND d.ifindex = e.ifindex;
