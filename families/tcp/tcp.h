/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcp family: wire structs (the one definition, shared by tcp.bpf.c and the
 * TypeScript decoder through formats/gen/events.gen.ts). Rules as in
 * bpf/events.h. Kind numbers are unique across families.
 */
#ifndef KTAPE_TCP_H
#define KTAPE_TCP_H

#include "../../bpf/events.h"

enum kt_tcp_kind {
	KT_TCP_STATE = 32,      /* sock:inet_sock_set_state: a socket changed state */
	KT_TCP_RETRANSMIT = 33, /* tcp:tcp_retransmit_skb: a segment (or a SYN) was retransmitted */
	KT_TCP_SEND_RESET = 34, /* tcp:tcp_send_reset: this host sent a RST */
	KT_TCP_RECV_RESET = 35, /* tcp:tcp_receive_reset: a RST was received */
	KT_TCP_OWNER = 36,      /* a task became a socket's owner: connect (CLOSE → SYN_SENT), listen, accept */
};

/* How a task became the owner (kt_tcp_owner.how). */
#define KT_TCP_BY_CONNECT 0 /* the state change CLOSE → SYN_SENT, in connect() */
#define KT_TCP_BY_LISTEN 1  /* CLOSE → LISTEN, in listen() */
#define KT_TCP_BY_ACCEPT 2  /* accept()/accept4() returned the socket (syscalls:sys_exit_accept*) */

/* One event of a socket. h.tid and tgid: current (often an interrupted task
 * in softirq). Addresses as 128-bit numbers in two halves, host order:
 * IPv6 as is, IPv4 as the IPv4-mapped ::ffff:a.b.c.d. own_*: the socket's
 * owner remembered in a BPF map (see tcp.bpf.c); 0 when unknown. */
struct kt_tcp_ev {
	struct kt_hdr h;
	__u32 tgid;
	__u16 family;   /* AF_INET 2, AF_INET6 10 */
	__u16 protocol; /* IPPROTO_TCP 6 (inet_sock_set_state also fires for DCCP 33, SCTP 132, MPTCP) */
	__u64 sk;       /* struct sock address: the socket's identity while it lives */
	__u64 saddr_hi;
	__u64 saddr_lo;
	__u64 daddr_hi;
	__u64 daddr_lo;
	__u16 sport;    /* local port, host order */
	__u16 dport;    /* remote port, host order */
	__u8 oldstate;  /* TCP_* (1 ESTABLISHED ... 12 NEW_SYN_RECV); state events only, else the current state */
	__u8 newstate;
	__u16 _pad0;
	__u32 netns;    /* inode number of the socket's network namespace */
	__u32 own_tid;  /* owner thread (0: unknown) */
	__u32 own_tgid; /* its process */
	__u32 total_retrans; /* tcp_sock.total_retrans: segments retransmitted so far (TCP only) */
	__s32 arg;      /* retransmit: err (0 sent); send_reset: enum sk_rst_reason; else 0 */
	__u32 _pad1;
	__u64 bytes_received; /* tcp_sock.bytes_received (RFC 4898 tcpEStatsAppHCThruOctetsReceived) */
	__u64 bytes_acked;    /* tcp_sock.bytes_acked (RFC 4898 tcpEStatsAppHCThruOctetsAcked) */
};

/* A task became the owner of a socket (in process context). h.tid: that task. */
struct kt_tcp_owner {
	struct kt_hdr h;
	__u32 tgid;
	__u32 how; /* KT_TCP_BY_* */
	__u64 sk;
	char comm[KT_COMM_LEN];
};

#endif /* KTAPE_TCP_H */
