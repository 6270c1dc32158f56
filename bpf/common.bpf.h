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

/* Per CPU and kind: 1 while the main program of that kind runs. The kernel
 * skips a program that is already running on the CPU (an interrupt that
 * frees memory while kt_kfree runs); the *_nested copy of the program runs
 * then instead and records the event. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KT_KIND_MAX);
	__type(key, __u32);
	__type(value, __u32);
} kt_busy SEC(".maps");

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

/* Main program: marks itself busy on this CPU around the work. */
#define KT_MAIN(kind, call)                                        \
	do {                                                       \
		__u32 k_ = (kind);                                 \
		__u32 *busy_ = bpf_map_lookup_elem(&kt_busy, &k_); \
		if (busy_)                                         \
			*busy_ = 1;                                \
		call;                                              \
		if (busy_)                                         \
			*busy_ = 0;                                \
	} while (0)

/* Nested program: records only events the busy main program cannot. */
#define KT_NESTED(kind, call)                                      \
	do {                                                       \
		__u32 k_ = (kind);                                 \
		__u32 *busy_ = bpf_map_lookup_elem(&kt_busy, &k_); \
		if (!busy_ || !*busy_)                             \
			return 0;                                  \
		count_stat(KT_STAT_RESCUED + k_);                  \
		call;                                              \
	} while (0)

#endif /* KTAPE_COMMON_BPF_H */
