// SPDX-License-Identifier: GPL-2.0
/*
 * ktape kernel side. Tracepoints only (tp_btf), CO-RE, one ring buffer.
 * Every record is submitted with BPF_RB_NO_WAKEUP; userspace drains on a
 * timer. A failed reserve is counted per CPU and per kind in kt_losses.
 * Wire structs: bpf/events.h (shared with the decoder).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "events.h"

char LICENSE[] SEC("license") = "GPL";

#ifndef EEXIST
#define EEXIST 17
#endif

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

/* Per task: what the sched programs last saw it do, to pair each wait
 * with the switch-in that ends it (see kt_sched_switch.next_wait). */
#define KT_CPU_UNKNOWN 0xffffffffu
enum kt_run { KT_RUN_UNKNOWN = 0, KT_RUN_RUNNING, KT_RUN_RUNNABLE, KT_RUN_WOKEN, KT_RUN_SLEEPING };
struct kt_task_sched {
	__u64 since; /* RUNNABLE/WOKEN: when the wait began */
	__u32 state; /* enum kt_run */
	__u32 cpu;   /* CPU of its last run, KT_CPU_UNKNOWN if not seen running */
};
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kt_task_sched);
} kt_task_sched SEC(".maps");

/* tgids whose syscall/kmem events are recorded when cfg.filter_tgids */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u32);
} kt_tgids SEC(".maps");

/* No BPF_F_REUSE_STACKID: a hash collision returns -EEXIST instead of
 * overwriting a bucket, so an id never changes meaning during a capture. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 32768); /* resized by userspace */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KT_STACK_DEPTH * sizeof(__u64));
} kt_stacks SEC(".maps");

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

/* syscall/kmem filter: recorder excluded; pid (tgid or tid) set and comm filters */
static __always_inline int wanted(__u64 pid_tgid)
{
	__u32 tgid = pid_tgid >> 32, tid = (__u32)pid_tgid;
	if (tgid == kt_cfg.self_tgid)
		return 0;
	if (kt_cfg.filter_tgids && !bpf_map_lookup_elem(&kt_tgids, &tgid) && !bpf_map_lookup_elem(&kt_tgids, &tid))
		return 0;
	if (kt_cfg.filter_comm) {
		char comm[KT_COMM_LEN];
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

/* ---- sched ---- */

/* Same mapping as the kernel's __trace_sched_switch_state() */
static __always_inline __u32 report_state(bool preempt, unsigned int state, struct task_struct *p)
{
	if (preempt)
		return 0x100; /* TASK_REPORT_MAX */
	unsigned int s = (state | p->exit_state) & 0x7f; /* TASK_REPORT */
	if ((state & 0x402) == 0x402) /* TASK_IDLE */
		s = 0x80;             /* TASK_REPORT_IDLE */
	if (state & 0x1000)           /* TASK_RTLOCK_WAIT */
		s = 0x2;
	if (!s)
		return 0;
	int fls = 0;
#pragma unroll
	for (int i = 0; i < 9; i++)
		if (s & (1u << i))
			fls = i + 1;
	return 1u << (fls - 1);
}

/* prev's sched_info.last_arrival (rq clock ns), 0 without CONFIG_SCHED_INFO */
static __always_inline __u64 arrival_of(struct task_struct *prev)
{
	if (!bpf_core_field_exists(prev->sched_info.last_arrival))
		return 0;
	return BPF_CORE_READ(prev, sched_info.last_arrival);
}

/*
 * Pair next's wait with this switch-in and say whether next migrated
 * (KT_NEXT_*); note prev's state and CPU. In task storage, whether or not
 * the record then fits in the ring.
 */
static __always_inline __u32 pair_wait(struct task_struct *prev, struct task_struct *next, __u32 prev_state,
				       __u64 ts, __u64 *wait, __u32 *prev_flags, __u64 *prev_since)
{
	__u32 flags = 0, cpu = bpf_get_smp_processor_id();
	*prev_flags = 0;
	*prev_since = 0;
	*wait = 0;
	if (!kt_cfg.pair_waits)
		return 0;
	struct kt_task_sched *ps = prev->pid ? bpf_task_storage_get(&kt_task_sched, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE) : NULL;
	if (ps) {
		if (ps->state == KT_RUN_RUNNABLE || ps->state == KT_RUN_WOKEN) {
			/* switched out while still waiting: the kernel did not report its switch-in */
			*prev_flags = KT_NEXT_WAIT | (ps->state == KT_RUN_WOKEN ? KT_NEXT_WOKEN : 0);
			*prev_since = ps->since;
		}
		ps->since = ts;
		ps->cpu = cpu;
		ps->state = (prev_state == 0 || prev_state == 0x100) ? KT_RUN_RUNNABLE : KT_RUN_SLEEPING;
	}
	struct kt_task_sched *ns = next->pid ? bpf_task_storage_get(&kt_task_sched, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE) : NULL;
	if (ns) {
		if ((ns->state == KT_RUN_RUNNABLE || ns->state == KT_RUN_WOKEN) && ts >= ns->since) {
			*wait = ts - ns->since;
			flags = KT_NEXT_WAIT | (ns->state == KT_RUN_WOKEN ? KT_NEXT_WOKEN : 0);
		}
		if (ns->state != KT_RUN_UNKNOWN && ns->cpu != KT_CPU_UNKNOWN)
			flags |= KT_NEXT_CPU_KNOWN | (ns->cpu != cpu ? KT_NEXT_MIGRATED : 0);
		ns->state = KT_RUN_RUNNING;
		ns->cpu = cpu;
	}
	return flags;
}

SEC("tp_btf/sched_switch")
int BPF_PROG(kt_sched_switch, bool preempt, struct task_struct *prev, struct task_struct *next,
	     unsigned int prev_state)
{
	__u64 ts = bpf_ktime_get_boot_ns(), wait, prev_since;
	__u32 state = report_state(preempt, prev_state, prev), prev_flags;
	__u32 flags = pair_wait(prev, next, state, ts, &wait, &prev_flags, &prev_since);
	struct kt_sched_switch *e = reserve(sizeof(*e), KT_SCHED_SWITCH, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_SCHED_SWITCH, prev->pid);
	e->prev_tgid = prev->tgid;
	e->next_tid = next->pid;
	e->next_tgid = next->tgid;
	e->prev_state = state;
	e->prev_prio = prev->prio;
	e->next_prio = next->prio;
	e->prev_arrival = arrival_of(prev);
	e->next_wait = wait;
	e->next_flags = flags;
	e->prev_wait_flags = prev_flags;
	e->prev_wait_since = prev_since;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline int emit_wake(struct task_struct *p, __u32 kind)
{
	__u64 ts = bpf_ktime_get_boot_ns();
	/* a wakeup starts a wait only when it ends a sleep, or is the first thing seen of the task */
	struct kt_task_sched *s = p->pid && kt_cfg.pair_waits ? bpf_task_storage_get(&kt_task_sched, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE) : NULL;
	if (s && (s->state == KT_RUN_UNKNOWN || s->state == KT_RUN_SLEEPING)) {
		if (s->state == KT_RUN_UNKNOWN)
			s->cpu = KT_CPU_UNKNOWN;
		s->since = ts;
		s->state = KT_RUN_WOKEN;
	}
	struct kt_sched_wake *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return 0;
	__u64 cur = bpf_get_current_pid_tgid();
	fill_hdr(&e->h, ts, kind, p->pid);
	e->tgid = p->tgid;
	e->waker_tid = (__u32)cur;
	e->waker_tgid = cur >> 32;
	e->prio = p->prio;
	e->target_cpu = task_cpu_of(p);
	e->_pad0 = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_waking")
int BPF_PROG(kt_sched_waking, struct task_struct *p)
{
	return emit_wake(p, KT_SCHED_WAKING);
}

SEC("tp_btf/sched_wakeup_new")
int BPF_PROG(kt_sched_wakeup_new, struct task_struct *p)
{
	return emit_wake(p, KT_SCHED_WAKEUP_NEW);
}

/* ---- task ---- */

SEC("tp_btf/task_newtask")
int BPF_PROG(kt_task_newtask, struct task_struct *task, u64 clone_flags)
{
	__u64 ts = bpf_ktime_get_boot_ns();
	__u64 cur = bpf_get_current_pid_tgid();
	__u32 child_tid = task->pid, child_tgid = task->tgid, parent_tgid = cur >> 32;

	/* follow the recorded command's process tree */
	if (kt_cfg.follow_children && child_tid == child_tgid &&
	    bpf_map_lookup_elem(&kt_tgids, &parent_tgid)) {
		__u32 one = 1;
		if (bpf_map_update_elem(&kt_tgids, &child_tgid, &one, BPF_ANY))
			count_stat(KT_STAT_FILTER_FULL);
	}
	if (!kt_cfg.emit_task)
		return 0;

	struct kt_task_newtask *e = reserve(sizeof(*e), KT_TASK_NEWTASK, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_TASK_NEWTASK, (__u32)cur);
	e->tgid = parent_tgid;
	e->child_tid = child_tid;
	e->child_tgid = child_tgid;
	e->_pad0 = 0;
	e->clone_flags = clone_flags;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_exec")
int BPF_PROG(kt_task_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_task_exec *e = reserve(sizeof(*e), KT_TASK_EXEC, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_TASK_EXEC, p->pid);
	e->tgid = p->tgid;
	e->old_tid = old_pid;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), bprm->filename) < 0)
		e->filename[0] = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kt_task_exit, struct task_struct *p, bool group_dead)
{
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_task_exit *e = reserve(sizeof(*e), KT_TASK_EXIT, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_TASK_EXIT, p->pid);
	e->tgid = p->tgid;
	e->exit_code = p->exit_code;
	e->group_dead = group_dead ? 1 : 0;
	e->_pad0 = 0;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/task_rename")
int BPF_PROG(kt_task_rename, struct task_struct *task, const char *comm)
{
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_task_rename *e = reserve(sizeof(*e), KT_TASK_RENAME, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_TASK_RENAME, task->pid);
	e->tgid = task->tgid;
	e->_pad0 = 0;
	bpf_probe_read_kernel_str(e->oldcomm, sizeof(e->oldcomm), task->comm);
	bpf_probe_read_kernel_str(e->newcomm, sizeof(e->newcomm), comm);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sched_process_free")
int BPF_PROG(kt_task_free, struct task_struct *p)
{
	__u64 ts = bpf_ktime_get_boot_ns();
	__u32 tgid = p->tgid;
	if (kt_cfg.follow_children && tgid == p->pid)
		bpf_map_delete_elem(&kt_tgids, &tgid); /* tgid may be reused */
	if (!kt_cfg.emit_task)
		return 0;
	struct kt_task_free *e = reserve(sizeof(*e), KT_TASK_FREE, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_TASK_FREE, p->pid);
	e->tgid = tgid;
	e->_pad0 = 0;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), p->comm);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* ---- raw syscalls ---- */

SEC("tp_btf/sys_enter")
int BPF_PROG(kt_sys_enter, struct pt_regs *regs, long id)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_sys_enter *e = reserve(sizeof(*e), KT_SYS_ENTER, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_SYS_ENTER, (__u32)cur);
	e->tgid = cur >> 32;
	e->nr = id;
#if defined(__TARGET_ARCH_x86)
	/* tp_btf: regs is a trusted BTF pointer, so these are plain loads */
	e->args[0] = regs->di;
	e->args[1] = regs->si;
	e->args[2] = regs->dx;
	e->args[3] = regs->r10;
	e->args[4] = regs->r8;
	e->args[5] = regs->r9;
#else
	e->args[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	e->args[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	e->args[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	e->args[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	e->args[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
#if defined(__TARGET_ARCH_arm64)
	e->args[5] = BPF_CORE_READ((struct user_pt_regs *)regs, regs[5]);
#else
	e->args[5] = 0;
#endif
#endif
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(kt_sys_exit, struct pt_regs *regs, long ret)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_sys_exit *e = reserve(sizeof(*e), KT_SYS_EXIT, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_SYS_EXIT, (__u32)cur);
	e->tgid = cur >> 32;
#if defined(__TARGET_ARCH_x86)
	e->nr = regs->orig_ax;
#elif defined(__TARGET_ARCH_arm64)
	e->nr = BPF_CORE_READ((struct user_pt_regs *)regs, syscallno);
#else
	e->nr = -1;
#endif
	e->ret = ret;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* ---- kmem ---- */

static __always_inline int emit_alloc(void *ctx, __u32 kind, __u64 call_site, const void *ptr,
				      __u64 req, __u64 alloc, __u32 gfp, int node)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	__s32 sid = -1;
	if (kt_cfg.kmem_stacks) {
		long r = bpf_get_stackid(ctx, &kt_stacks, 0);
		if (r == -EEXIST)
			count_stat(KT_STAT_STACK_COLLISION);
		else if (r < 0)
			count_stat(KT_STAT_STACK_ERROR);
		sid = r;
	}
	struct kt_kmem_alloc *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, kind, (__u32)cur);
	e->tgid = cur >> 32;
	e->stack_id = sid;
	e->ptr = (__u64)ptr;
	e->call_site = call_site;
	e->bytes_req = req;
	e->bytes_alloc = alloc;
	e->gfp_flags = gfp;
	e->node = node;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline int emit_free(__u32 kind, __u64 call_site, const void *ptr)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!ptr || !wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_kmem_free *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, kind, (__u32)cur);
	e->tgid = cur >> 32;
	e->_pad0 = 0;
	e->ptr = (__u64)ptr;
	e->call_site = call_site;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
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

SEC("tp_btf/kmalloc")
int BPF_PROG(kt_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	KT_MAIN(KT_KMALLOC, emit_alloc(ctx, KT_KMALLOC, call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node));
	return 0;
}

SEC("tp_btf/kmalloc")
int BPF_PROG(kt_kmalloc_nested, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	KT_NESTED(KT_KMALLOC, emit_alloc(ctx, KT_KMALLOC, call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node));
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(kt_kmem_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp_flags, int node)
{
	KT_MAIN(KT_KMEM_CACHE_ALLOC,
		emit_alloc(ctx, KT_KMEM_CACHE_ALLOC, call_site, ptr, s->object_size, s->size, gfp_flags, node));
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(kt_kmem_cache_alloc_nested, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp_flags, int node)
{
	KT_NESTED(KT_KMEM_CACHE_ALLOC,
		  emit_alloc(ctx, KT_KMEM_CACHE_ALLOC, call_site, ptr, s->object_size, s->size, gfp_flags, node));
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(kt_kfree, unsigned long call_site, const void *ptr)
{
	KT_MAIN(KT_KFREE, emit_free(KT_KFREE, call_site, ptr));
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(kt_kfree_nested, unsigned long call_site, const void *ptr)
{
	KT_NESTED(KT_KFREE, emit_free(KT_KFREE, call_site, ptr));
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(kt_kmem_cache_free, unsigned long call_site, const void *ptr, const struct kmem_cache *s)
{
	KT_MAIN(KT_KMEM_CACHE_FREE, emit_free(KT_KMEM_CACHE_FREE, call_site, ptr));
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(kt_kmem_cache_free_nested, unsigned long call_site, const void *ptr, const struct kmem_cache *s)
{
	KT_NESTED(KT_KMEM_CACHE_FREE, emit_free(KT_KMEM_CACHE_FREE, call_site, ptr));
	return 0;
}
