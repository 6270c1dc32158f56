/** The net family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

const CUR = [c('tid', 'i32', 'the task current when the event fired (in softirq: whoever was interrupted, or 0 idle)'), c('tgid', 'i32', 'its process')];

export const TABLES: TableDef[] = [
  {
    name: 'net_packets',
    role: 'event',
    group: 'net',
    since: '1.7',
    doc: "One row per packet event of a device: net:net_dev_queue (handed to the device's queue), net:net_dev_xmit (the driver took it, or refused it) and net:netif_receive_skb (a received packet entered the stack). The net_transmits view pairs queue and transmit by the packet's address. Recorded whatever the process filter (packets are a device's).",
    columns: [
      TS,
      CPU,
      c('event', 'u8', '0 queue (net_dev_queue), 1 transmit (net_dev_xmit), 2 receive (netif_receive_skb)'),
      ...CUR,
      c('skb', 'u64', "the packet's kernel address (struct sk_buff): its identity from queue to transmit"),
      c('netns', 'u32', "inode number of the device's network namespace (0: no device)"),
      c('ifindex', 'u32', "the device's ifindex in that namespace"),
      c('len', 'u32', 'bytes: queue and transmit: the frame (link-layer header included); receive: after the stack pulled the link-layer header'),
      c('rc', 'i32', 'transmit: what the driver returned (0 NETDEV_TX_OK, 16 NETDEV_TX_BUSY, or a negative errno); else 0'),
      c('mac_len', 'u32', 'receive: bytes of link-layer header the stack pulled before (len + mac_len is the frame, as drivers count it); else 0'),
    ],
  },
  {
    name: 'net_drops',
    role: 'event',
    group: 'net',
    since: '1.7',
    doc: 'One row per dropped packet (skb:kfree_skb), with the reason the kernel gave. Recorded whatever the process filter.',
    columns: [
      TS,
      CPU,
      ...CUR,
      c('skb', 'u64', "the packet's kernel address"),
      c('netns', 'u32', "inode number of its device's network namespace (0: no device)"),
      c('ifindex', 'u32', "its device's ifindex, else the ifindex it arrived on (0: none)"),
      c('location', 'u64', 'kernel text address that dropped it (symbolize with kallsyms)'),
      c('reason', 'u32', 'enum skb_drop_reason (named in net_drop_reasons)'),
      c('len', 'u32', 'bytes (skb->len)'),
      c('protocol', 'u16', 'skb->protocol, host order: 2048 IPv4, 34525 IPv6, 2054 ARP, ...'),
    ],
  },
  {
    name: 'net_devices',
    role: 'event',
    group: 'net',
    since: '1.7',
    doc: "A device's name at its first transmit or receive in the recording (per network namespace and ifindex; again if the recorder's map of named devices evicted it). Names come from the kernel: any bytes but NUL and '/'.",
    columns: [
      TS,
      c('netns', 'u32', 'inode number of its network namespace'),
      c('ifindex', 'u32', 'its ifindex there'),
      c('name', 'utf8', 'its name (IFNAMSIZ)'),
    ],
  },
  {
    name: 'net_drop_reasons',
    role: 'meta',
    group: 'net',
    since: '1.7',
    doc: "The capture kernel's drop reasons (enum skb_drop_reason), from the skb:kfree_skb tracepoint's print format in tracefs, so that the analyzer never needs that kernel. Empty when net was not recorded or tracefs could not be read (the recorder mounts it when it is not mounted).",
    columns: [
      c('reason', 'u32', 'enum value'),
      c('name', 'utf8', "the kernel's name without SKB_DROP_REASON_ (NOT_SPECIFIED, NO_SOCKET, TCP_LISTEN_OVERFLOW, ...)"),
    ],
  },
];
