/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tcp family: kernel programs (tp_btf and syscall tracepoints, CO-RE).
 * Compiled into the one BPF object by bpf/ktape.bpf.c.
 *
 * Attribution. Many state changes run in softirq (a SYN-ACK or a FIN
 * arriving), where current is whoever was interrupted. A socket's owner is
 * remembered in kt_tcp_owners, keyed by the socket's address, at the
 * events that run in the owner's own context:
 *  - connect(): the state change CLOSE → SYN_SENT runs in the connecting task;
 *  - listen(): CLOSE → LISTEN runs in the listening task, which is also
 *    remembered in kt_tcp_listeners under (network namespace, port);
 *  - a passive child socket is born in softirq (LISTEN → SYN_RECV at the
 *    handshake's last ACK): it takes the owner of its listener, if known;
 *  - accept()/accept4() (syscalls:sys_exit_accept*): the task that accepted
 *    the socket becomes its owner (the fd it returned, in current's table).
 * Each event carries the owner it had then (own_tid/own_tgid); a socket's
 * entry is forgotten when it reaches CLOSE. Sockets that connected or were
 * accepted before the recording have no owner (0).
 *
 * Filter: with -p/--comm or a followed command, an event is recorded when
 * its socket's owner is wanted; sockets without a known owner only when no
 * filter is set.
 *
 * Fields are read by direct (BTF, CO-RE relocated) loads from the
 * tracepoints' typed arguments, not bpf_probe_read_kernel() calls; only the
 * accepted socket, found through current's fd table, is read with them.
 */
#include "../../bpf/common.bpf.h"
#include <bpf/bpf_endian.h>
#include "tcp.h"

#define KT_AF_INET 2
#define KT_AF_INET6 10
#define KT_TCP_ST_ESTABLISHED 1
#define KT_TCP_ST_SYN_SENT 2
#define KT_TCP_ST_SYN_RECV 3
#define KT_TCP_ST_TIME_WAIT 6
#define KT_TCP_ST_CLOSE 7
#define KT_TCP_ST_LISTEN 10
#define KT_TCP_ST_NEW_SYN_RECV 12

struct kt_tcp_own {
	__u32 tid;
	__u32 tgid;
	__u32 wanted;
	__u32 _pad;
};

struct kt_tcp_lkey {
	__u32 netns;
	__u32 port;
};

/* socket address → owner, from the owning event to CLOSE (a plain hash: entries are deleted at CLOSE) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct kt_tcp_own);
} kt_tcp_owners SEC(".maps");

/* (netns, port) of a listening socket → its owner, from listen() to its CLOSE */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct kt_tcp_lkey);
	__type(value, struct kt_tcp_own);
} kt_tcp_listeners SEC(".maps");

static __always_inline void kt_tcp_addr(const struct in6_addr *a, __u64 *hi, __u64 *lo)
{
	const __u32 *w = a->in6_u.u6_addr32;
	*hi = ((__u64)bpf_ntohl(w[0]) << 32) | bpf_ntohl(w[1]);
	*lo = ((__u64)bpf_ntohl(w[2]) << 32) | bpf_ntohl(w[3]);
}

static __always_inline __u32 kt_tcp_netns(const struct sock *sk)
{
	return sk->__sk_common.skc_net.net->ns.inum;
}

/* the socket's fields; full: a full socket (not a request or time-wait one), whose struct sock and tcp_sock may be read */
static __always_inline void kt_tcp_fill(struct kt_tcp_ev *e, const struct sock *sk, int full)
{
	__u16 family = sk->__sk_common.skc_family;
	e->family = family;
	e->sk = (__u64)sk;
	if (family == KT_AF_INET6) {
		kt_tcp_addr(&sk->__sk_common.skc_v6_rcv_saddr, &e->saddr_hi, &e->saddr_lo);
		kt_tcp_addr(&sk->__sk_common.skc_v6_daddr, &e->daddr_hi, &e->daddr_lo);
	} else {
		e->saddr_hi = 0;
		e->daddr_hi = 0;
		e->saddr_lo = 0xffff00000000ULL | bpf_ntohl(sk->__sk_common.skc_rcv_saddr);
		e->daddr_lo = 0xffff00000000ULL | bpf_ntohl(sk->__sk_common.skc_daddr);
	}
	e->sport = sk->__sk_common.skc_num;
	e->dport = bpf_ntohs(sk->__sk_common.skc_dport);
	e->netns = kt_tcp_netns(sk);
	e->_pad0 = 0;
	e->_pad1 = 0;
	e->arg = 0;
	e->protocol = full ? sk->sk_protocol : IPPROTO_TCP;
	/* NULL unless a full TCP socket (sk_fullsock(), sk_protocol == IPPROTO_TCP) */
	const struct tcp_sock *tp = full ? bpf_skc_to_tcp_sock((void *)sk) : 0;
	if (tp) {
		e->total_retrans = tp->total_retrans;
		e->bytes_received = tp->bytes_received;
		e->bytes_acked = tp->bytes_acked;
	} else {
		e->total_retrans = 0;
		e->bytes_received = 0;
		e->bytes_acked = 0;
	}
}

/* reserve an event of sk with its owner o (or none); NULL when not recorded */
static __always_inline struct kt_tcp_ev *kt_tcp_event(const struct sock *sk, __u32 kind, struct kt_tcp_own *o, int full)
{
	if (o ? !o->wanted : (kt_cfg.filter_tgids || kt_cfg.filter_comm))
		return 0;
	__u64 cur = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_tcp_ev *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, kind, (__u32)cur);
	e->tgid = cur >> 32;
	kt_tcp_fill(e, sk, full);
	e->own_tid = o ? o->tid : 0;
	e->own_tgid = o ? o->tgid : 0;
	__u8 st = sk->__sk_common.skc_state;
	e->oldstate = st;
	e->newstate = st;
	return e;
}

/* current becomes the owner of sk (how: KT_TCP_BY_*), written to *o as it was stored (no lookup back) */
static __always_inline void kt_tcp_own(const struct sock *sk, __u32 how, struct kt_tcp_own *o)
{
	__u64 cur = bpf_get_current_pid_tgid();
	__u64 key = (__u64)sk;
	o->tid = (__u32)cur;
	o->tgid = cur >> 32;
	o->wanted = wanted(cur);
	o->_pad = 0;
	bpf_map_update_elem(&kt_tcp_owners, &key, o, BPF_ANY);
	if (how == KT_TCP_BY_LISTEN) {
		struct kt_tcp_lkey lk = { .netns = kt_tcp_netns(sk), .port = sk->__sk_common.skc_num };
		bpf_map_update_elem(&kt_tcp_listeners, &lk, o, BPF_ANY);
	}
	if (o->wanted) {
		__u64 ts = bpf_ktime_get_boot_ns();
		struct kt_tcp_owner *r = reserve(sizeof(*r), KT_TCP_OWNER, ts);
		if (r) {
			fill_hdr(&r->h, ts, KT_TCP_OWNER, (__u32)cur);
			r->tgid = cur >> 32;
			r->how = how;
			r->sk = key;
			bpf_get_current_comm(r->comm, sizeof(r->comm));
			bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
		}
	}
}

/* the owner of sk, or NULL; a passive child without one takes its listener's */
static __always_inline struct kt_tcp_own *kt_tcp_owner_of(const struct sock *sk, int newstate)
{
	__u64 key = (__u64)sk;
	struct kt_tcp_own *o = bpf_map_lookup_elem(&kt_tcp_owners, &key);
	if (o || newstate != KT_TCP_ST_SYN_RECV)
		return o;
	struct kt_tcp_lkey lk = { .netns = kt_tcp_netns(sk), .port = sk->__sk_common.skc_num };
	struct kt_tcp_own *l = bpf_map_lookup_elem(&kt_tcp_listeners, &lk);
	if (!l)
		return 0;
	struct kt_tcp_own c = *l;
	bpf_map_update_elem(&kt_tcp_owners, &key, &c, BPF_ANY);
	return bpf_map_lookup_elem(&kt_tcp_owners, &key);
}

static __always_inline void kt_tcp_state_change(const struct sock *sk, int oldstate, int newstate)
{
	struct kt_tcp_own mine, *o = &mine;
	if (oldstate == KT_TCP_ST_CLOSE && newstate == KT_TCP_ST_SYN_SENT)
		kt_tcp_own(sk, KT_TCP_BY_CONNECT, &mine);
	else if (oldstate == KT_TCP_ST_CLOSE && newstate == KT_TCP_ST_LISTEN)
		kt_tcp_own(sk, KT_TCP_BY_LISTEN, &mine);
	else
		o = kt_tcp_owner_of(sk, newstate);
	struct kt_tcp_ev *e = kt_tcp_event(sk, KT_TCP_STATE, o, 1);
	if (e) {
		e->oldstate = oldstate;
		e->newstate = newstate;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}
	if (newstate == KT_TCP_ST_CLOSE) {
		__u64 key = (__u64)sk;
		bpf_map_delete_elem(&kt_tcp_owners, &key);
		if (oldstate == KT_TCP_ST_LISTEN) {
			struct kt_tcp_lkey lk = { .netns = kt_tcp_netns(sk), .port = sk->__sk_common.skc_num };
			bpf_map_delete_elem(&kt_tcp_listeners, &lk);
		}
	}
}

/* A state change nested in kt_tcp_state on a CPU is recorded by kt_tcp_state_nested (bpf/common.bpf.h). */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(kt_tcp_state, const struct sock *sk, const int oldstate, const int newstate)
{
	KT_MAIN(KT_TCP_STATE, (__u64)sk, ((__u32)oldstate << 8) | (__u32)newstate, kt_tcp_state_change(sk, oldstate, newstate));
	return 0;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(kt_tcp_state_nested, const struct sock *sk, const int oldstate, const int newstate)
{
	KT_NESTED(KT_TCP_STATE, (__u64)sk, ((__u32)oldstate << 8) | (__u32)newstate, kt_tcp_state_change(sk, oldstate, newstate));
	return 0;
}

/* an event of a socket that is not changing state; full: see kt_tcp_fill */
static __always_inline void kt_tcp_mark(const struct sock *sk, __u32 kind, __s32 arg, int full)
{
	__u64 key = (__u64)sk;
	struct kt_tcp_own *o = bpf_map_lookup_elem(&kt_tcp_owners, &key);
	struct kt_tcp_ev *e = kt_tcp_event(sk, kind, o, full);
	if (!e)
		return;
	e->arg = arg;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(kt_tcp_retransmit, const struct sock *sk, const struct sk_buff *skb, int err)
{
	kt_tcp_mark(sk, KT_TCP_RETRANSMIT, err, 1);
	return 0;
}

/* sk may be NULL (a reset for a segment that matched no socket: not recorded), a request or a time-wait socket */
SEC("tp_btf/tcp_send_reset")
int BPF_PROG(kt_tcp_send_reset, const struct sock *sk, const struct sk_buff *skb, const enum sk_rst_reason reason)
{
	if (!sk)
		return 0;
	__u8 st = sk->__sk_common.skc_state;
	kt_tcp_mark(sk, KT_TCP_SEND_RESET, reason, st != KT_TCP_ST_TIME_WAIT && st != KT_TCP_ST_NEW_SYN_RECV);
	return 0;
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(kt_tcp_recv_reset, struct sock *sk)
{
	kt_tcp_mark(sk, KT_TCP_RECV_RESET, 0, 1);
	return 0;
}

/* syscalls:sys_exit_accept* (the per-syscall tracepoint: it costs nothing to other syscalls) */
struct kt_tcp_sys_exit {
	__u64 common;
	__s32 nr;
	__s32 _pad;
	__s64 ret;
};

/* the TCP socket behind current's fd, or NULL */
static __always_inline struct sock *kt_tcp_fd_sock(long fd)
{
	struct fdtable *fdt = bpf_get_current_task_btf()->files->fdt;
	if (fd < 0 || !fdt || fd >= fdt->max_fds)
		return 0;
	struct file **fds = fdt->fd;
	struct file *f = 0;
	if (bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]) || !f)
		return 0;
	struct socket *so = BPF_CORE_READ(f, private_data);
	if (!so || BPF_CORE_READ(so, file) != f)
		return 0;
	struct sock *sk = BPF_CORE_READ(so, sk);
	if (!sk)
		return 0;
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != KT_AF_INET && family != KT_AF_INET6) || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	return sk;
}

static __always_inline int kt_tcp_accepted(struct kt_tcp_sys_exit *ctx)
{
	struct sock *sk = kt_tcp_fd_sock(ctx->ret);
	struct kt_tcp_own o;
	if (sk)
		kt_tcp_own(sk, KT_TCP_BY_ACCEPT, &o);
	return 0;
}

SEC("tp/syscalls/sys_exit_accept4")
int kt_tcp_accept4(struct kt_tcp_sys_exit *ctx)
{
	return kt_tcp_accepted(ctx);
}

SEC("tp/syscalls/sys_exit_accept")
int kt_tcp_accept(struct kt_tcp_sys_exit *ctx)
{
	return kt_tcp_accepted(ctx);
}
