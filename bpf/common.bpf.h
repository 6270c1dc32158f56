/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every family's BPF programs share: the one ring buffer, loss and
 * stat counters, the core settings (.rodata.cfg), the recorder/tgid/comm
 * filter and the record header. Kernel-only. Every record is submitted
 * with BPF_RB_NO_WAKEUP; userspace drains on a timer. A failed reserve is
 * counted per CPU and per kind in kt_losses.
 */
#ifndef KTAPE_COMMON_BPF_H
#define KTAPE_COMMON_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

SEC(".rodata.cfg") const volatile struct kt_config kt_cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 << 20); /* resized by userspace (--buffer-mb) */
} kt_ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KT_KIND_MAX);
	__type(key, __u32);
	__type(value, struct kt_loss);
} kt_losses SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KT_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} kt_stats SEC(".maps");

/* tgids whose syscall/kmem events are recorded when cfg.filter_tgids */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} kt_tgids SEC(".maps");

/* CO-RE flavour for kernels where the cpu lives in task_struct */
struct task_struct___cpu {
	unsigned int cpu;
};

static __always_inline __u32 task_cpu_of(struct task_struct *p)
{
	struct task_struct___cpu *pc = (void *)p;
	if (bpf_core_field_exists(pc->cpu))
		return pc->cpu;
	return p->thread_info.cpu;
}

static __always_inline void count_loss(__u32 kind, __u64 ts)
{
	struct kt_loss *l = bpf_map_lookup_elem(&kt_losses, &kind);
	if (!l)
		return;
	l->count++;
	if (!l->first_ts)
		l->first_ts = ts;
	l->last_ts = ts;
}

static __always_inline void count_stat(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&kt_stats, &idx);
	if (v)
		(*v)++;
}

static __always_inline void *reserve(__u64 size, __u32 kind, __u64 ts)
{
	void *e = bpf_ringbuf_reserve(&kt_ring, size, 0);
	if (!e)
		count_loss(kind, ts);
	return e;
}

static __always_inline void fill_hdr(struct kt_hdr *h, __u64 ts, __u32 kind, __u32 tid)
{
	h->ts = ts;
	h->kind = kind;
	h->cpu = bpf_get_smp_processor_id();
	h->tid = tid;
}

/*
 * The syscall/kmem filter: the recorder excluded; the tgid (or tid) set and the comm filter.
 * t is the task, or NULL for current (its comm is then read the cheap way).
 */
static __always_inline int task_ids_wanted(__u32 tgid, __u32 tid, struct task_struct *t)
{
	if (tgid == kt_cfg.self_tgid)
		return 0;
	if (kt_cfg.filter_tgids && !bpf_map_lookup_elem(&kt_tgids, &tgid) && !bpf_map_lookup_elem(&kt_tgids, &tid))
		return 0;
	if (kt_cfg.filter_comm) {
		char comm[KT_COMM_LEN];
		if (t)
			bpf_probe_read_kernel_str(comm, sizeof(comm), t->comm);
		else
			bpf_get_current_comm(comm, sizeof(comm));
		for (int i = 0; i < KT_COMM_LEN; i++) {
			if (comm[i] != kt_cfg.comm[i])
				return 0;
			if (!comm[i])
				break;
		}
	}
	return 1;
}

/* the filter for current */
static __always_inline int wanted(__u64 pid_tgid)
{
	return task_ids_wanted(pid_tgid >> 32, (__u32)pid_tgid, NULL);
}

/*
 * Nested-program rescue. The kernel skips a tp_btf program already active on
 * the CPU (an interrupt whose event fires the same tracepoint), counting a
 * recursion miss; the kind's *_nested program, attached after the main one,
 * runs for every event and records those the main program did not see. A
 * busy flag set inside the main program is not enough: the kernel counts the
 * program active a little before its first instruction and after its last
 * (more with --bpf-stats), and an event there found the flag clear.
 *
 * So the main program pushes a note (the event's 64-bit key, e.g. the socket
 * or the allocation pointer) on a per-CPU, per-kind stack, first thing, and
 * the nested program pops the note it matches (searching down from the top);
 * no match: the main program did not run for this event, which it records.
 * Nesting is LIFO, so for an event E on one CPU:
 *  - interrupt I inside main(E) (in its window or in its body): main(I) is
 *    skipped, nested(I) finds no note of I (E's, if pushed, has E's key) and
 *    records I; then nested(E) pops E's note.
 *  - I between main(E) and nested(E): main(I) pushes above E, nested(I)
 *    pops it, nested(E) pops E's. Deeper nesting stacks the same way.
 *  - I inside nested(E): main(I) records and pushes I above E's note,
 *    nested(I) is skipped. If before nested(E)'s search, E's note is found
 *    below I's, and every note above a match is such an orphan (a note
 *    pushed after E's whose nested run is still to come would be of an event
 *    enclosing E, pushed before E's), so the match pops them too. If after
 *    the search, I's note stays: the one inexact case.
 * The busy flag is kept as a fast path: set inside the main program, it
 * means main is running, so the event was skipped; no search. The match
 * is then wrong only when a note left over from an interrupt after nested's
 * search has the key of a later event skipped in main's windows.
 * count_stat(KT_STAT_RESCUED + kind) counts the rescues; session.ts takes
 * them from the main program's recursion misses as losses. Notes pushed
 * before the nested programs were attached would stay: user space clears
 * the stacks once every program is attached (record/bpf.ts clearSeen).
 */
#define KT_SEEN_DEPTH 4 /* power of 2; task, softirq, hardirq, NMI */

struct kt_seen {
	__u32 top;
	__u32 busy;
	__u64 scratch; /* turns a BTF pointer key into a scalar (the verifier allows no arithmetic on it) */
	__u64 key[KT_SEEN_DEPTH];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KT_KIND_MAX);
	__type(key, __u32);
	__type(value, struct kt_seen);
} kt_seen SEC(".maps");

/* the stored form of (key, tag): tag in the top 16 bits (all ones in a kernel address); 0 is the empty slot, so 1 */
static __always_inline __u64 kt_seen_key(struct kt_seen *s, __u64 key, __u32 tag)
{
	s->scratch = key;
	__u64 k = *(volatile __u64 *)&s->scratch ^ ((__u64)tag << 48);
	return k ?: 1;
}

/* main program: note the event */
static __always_inline struct kt_seen *kt_seen_push(__u32 kind, __u64 key, __u32 tag)
{
	struct kt_seen *s = bpf_map_lookup_elem(&kt_seen, &kind);
	if (!s)
		return 0;
	s->busy = 1;
	__u32 t = s->top;
	s->key[t & (KT_SEEN_DEPTH - 1)] = kt_seen_key(s, key, tag);
	s->top = t + 1;
	return s;
}

/* nested program: 1 when the main program saw the event (its note is popped), else 0 */
static __always_inline int kt_seen_pop(__u32 kind, __u64 key, __u32 tag)
{
	struct kt_seen *s = bpf_map_lookup_elem(&kt_seen, &kind);
	if (!s || s->busy)
		return 0;
	__u64 k = kt_seen_key(s, key, tag);
	__u32 t = s->top;
	for (__u32 i = 0; i < KT_SEEN_DEPTH; i++) {
		if (s->key[(t - 1 - i) & (KT_SEEN_DEPTH - 1)] != k)
			continue;
		for (__u32 j = 0; j <= i; j++)
			s->key[(t - 1 - j) & (KT_SEEN_DEPTH - 1)] = 0;
		s->top = t - 1 - i;
		return 1;
	}
	return 0;
}

/* Main program of kind: notes the event (key, tag) first, busy around the work. */
#define KT_MAIN(kind, key, tag, call)                                       \
	do {                                                                \
		struct kt_seen *seen_ = kt_seen_push((kind), (key), (tag)); \
		call;                                                \
		if (seen_)                                           \
			seen_->busy = 0;                             \
	} while (0)

/* Nested program: records only the events the main program did not see. */
#define KT_NESTED(kind, key, tag, call)                \
	do {                                           \
		if (kt_seen_pop((kind), (key), (tag))) \
			return 0;                      \
		count_stat(KT_STAT_RESCUED + (kind)); \
		call;                                  \
	} while (0)

#endif /* KTAPE_COMMON_BPF_H */
