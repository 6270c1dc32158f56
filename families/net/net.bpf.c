/* SPDX-License-Identifier: GPL-2.0 */
/*
 * net family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c.
 *
 * Packets are a device's, not a process's: most of these events run in
 * softirq or in whichever task flushed a queue, so the net events are
 * recorded whatever the process filter (-p/--comm, a followed command).
 * A device is named once per recording: its first transmit or receive
 * (per network namespace and ifindex) also records its name
 * (KT_NET_DEVICE, by the kt_net_name_* programs), so that the analyzer
 * names devices of namespaces gone by the end of the capture.
 * Fields are read by direct (BTF, CO-RE relocated) loads from the
 * tracepoints' typed arguments, not bpf_probe_read_kernel() calls.
 */
#include "../../bpf/common.bpf.h"
#include <bpf/bpf_endian.h>
#include "net.h"

struct kt_net_dkey {
	__u32 netns;
	__u32 ifindex;
};

/* devices already named in this recording (an LRU: an evicted device is named again, which is harmless) */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct kt_net_dkey);
	__type(value, __u32);
} kt_net_devs SEC(".maps");

/* per CPU: the device named or found named last ((netns << 32) | ifindex, one store), so that a
 * packet storm on one device skips the hash lookup; 0 matches no device (no namespace is inode 0) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} kt_net_last SEC(".maps");

static __always_inline __u32 kt_net_netns(const struct net_device *dev)
{
	return dev->nd_net.net->ns.inum;
}

/* the device's name, at its first transmit or receive in the recording */
static __always_inline void kt_net_name(const struct net_device *dev)
{
	if (!dev)
		return;
	struct kt_net_dkey k = { .netns = kt_net_netns(dev), .ifindex = dev->ifindex };
	__u64 id = ((__u64)k.netns << 32) | k.ifindex;
	__u32 zero = 0;
	__u64 *last = bpf_map_lookup_elem(&kt_net_last, &zero);
	if (!last || *last == id)
		return;
	if (bpf_map_lookup_elem(&kt_net_devs, &k)) {
		*last = id;
		return;
	}
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_net_dev *r = reserve(sizeof(*r), KT_NET_DEVICE, ts);
	if (!r)
		return; /* not marked as named: its next event tries again */
	__u32 one = 1;
	bpf_map_update_elem(&kt_net_devs, &k, &one, BPF_ANY);
	*last = id;
	fill_hdr(&r->h, ts, KT_NET_DEVICE, tid);
	r->netns = k.netns;
	r->ifindex = k.ifindex;
	bpf_probe_read_kernel_str(r->name, sizeof(r->name), dev->name);
	bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
}

static __always_inline void kt_net_pkt(const struct sk_buff *skb, const struct net_device *dev, __u32 kind, __u32 len, __s32 rc, __u32 mac_len)
{
	__u64 cur = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_boot_ns();
	__u32 netns = dev ? kt_net_netns(dev) : 0, ifindex = dev ? dev->ifindex : 0;
	struct kt_net_pkt *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return;
	fill_hdr(&e->h, ts, kind, (__u32)cur);
	e->tgid = cur >> 32;
	e->netns = netns;
	e->skb = (__u64)skb;
	e->ifindex = ifindex;
	e->len = len;
	e->rc = rc;
	e->mac_len = mac_len;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

SEC("tp_btf/net_dev_queue")
int BPF_PROG(kt_net_queue, struct sk_buff *skb)
{
	kt_net_pkt(skb, skb->dev, KT_NET_QUEUE, skb->len, 0, 0);
	return 0;
}

/* the skb may be freed by now: only its address is used */
SEC("tp_btf/net_dev_xmit")
int BPF_PROG(kt_net_xmit, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len)
{
	kt_net_pkt(skb, dev, KT_NET_XMIT, len, rc, 0);
	return 0;
}

/* skb->len no longer counts the link-layer header (eth_type_trans pulled it): mac_len says how much that was */
SEC("tp_btf/netif_receive_skb")
int BPF_PROG(kt_net_receive, struct sk_buff *skb)
{
	__u16 mh = skb->mac_header;
	__u64 off = (__u64)skb->data - (__u64)skb->head;
	__u32 pulled = mh != (__u16)~0U && off >= mh ? off - mh : 0;
	kt_net_pkt(skb, skb->dev, KT_NET_RECEIVE, skb->len, 0, pulled);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(kt_net_drop, struct sk_buff *skb, void *location, enum skb_drop_reason reason, struct sock *rx_sk)
{
	__u64 cur = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct net_device *dev = skb->dev;
	__u32 netns = dev ? kt_net_netns(dev) : 0, ifindex = dev ? dev->ifindex : skb->skb_iif;
	struct kt_net_drop *e = reserve(sizeof(*e), KT_NET_DROP, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_NET_DROP, (__u32)cur);
	e->tgid = cur >> 32;
	e->netns = netns;
	e->skb = (__u64)skb;
	e->location = (__u64)location;
	e->ifindex = ifindex;
	e->reason = reason;
	e->len = skb->len;
	e->protocol = bpf_ntohs(skb->protocol);
	e->_pad0 = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* the naming programs: their own kind (KT_NET_DEVICE), on the transmit and receive tracepoints */
SEC("tp_btf/net_dev_xmit")
int BPF_PROG(kt_net_name_tx, struct sk_buff *skb, int rc, struct net_device *dev, unsigned int len)
{
	kt_net_name(dev);
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int BPF_PROG(kt_net_name_rx, struct sk_buff *skb)
{
	kt_net_name(skb->dev);
	return 0;
}
