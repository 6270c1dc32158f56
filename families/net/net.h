/* SPDX-License-Identifier: Apache-2.0 */
/*
 * net family: wire structs (the one definition, shared by net.bpf.c and the
 * TypeScript decoder through formats/gen/events.gen.ts). Rules as in
 * bpf/events.h. Kind numbers are unique across families.
 */
#ifndef KTAPE_NET_H
#define KTAPE_NET_H

#include "../../bpf/events.h"

enum kt_net_kind {
	KT_NET_QUEUE = 37,   /* net:net_dev_queue: a packet handed to a device's queue (dev_queue_xmit) */
	KT_NET_XMIT = 38,    /* net:net_dev_xmit: the driver took (or refused) it */
	KT_NET_RECEIVE = 39, /* net:netif_receive_skb: a received packet entered the stack */
	KT_NET_DROP = 40,    /* skb:kfree_skb: a packet was dropped, with the reason */
	KT_NET_DEVICE = 41,  /* the name of a device, at its first transmit or receive in the recording */
};

/* One packet event. h.tid and tgid: current (often an interrupted task in softirq). */
struct kt_net_pkt {
	struct kt_hdr h;
	__u32 tgid;
	__u32 netns;   /* inode number of the device's network namespace */
	__u64 skb;     /* struct sk_buff address: the packet's identity from queue to transmit */
	__u32 ifindex; /* the device's ifindex (in netns) */
	__u32 len;     /* queue, xmit: skb->len (the frame, link-layer header included); receive: skb->len after the stack pulled the link-layer header */
	__s32 rc;      /* xmit: netdev_tx_t (0 NETDEV_TX_OK, 16 NETDEV_TX_BUSY) or a negative errno; else 0 */
	__u32 mac_len; /* receive: bytes of link-layer header already pulled (skb->data - mac header); else 0 */
};

/* A dropped packet (skb:kfree_skb). */
struct kt_net_drop {
	struct kt_hdr h;
	__u32 tgid;
	__u32 netns;    /* the device's namespace (0: no device) */
	__u64 skb;
	__u64 location; /* kernel text address that dropped it */
	__u32 ifindex;  /* skb->dev's ifindex, else skb->skb_iif (0: none) */
	__u32 reason;   /* enum skb_drop_reason; its names are in the net_drop_reasons table */
	__u32 len;      /* skb->len */
	__u16 protocol; /* skb->protocol, host order (ETH_P_IP 0x0800, ETH_P_IPV6 0x86dd, ...) */
	__u16 _pad0;
};

/* A device's name (IFNAMSIZ), recorded once per (netns, ifindex) per recording (again if the map evicted it). */
struct kt_net_dev {
	struct kt_hdr h;
	__u32 netns;
	__u32 ifindex;
	char name[KT_COMM_LEN];
};

#endif /* KTAPE_NET_H */
