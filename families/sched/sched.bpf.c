/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 */
#include "../../bpf/common.bpf.h"
#include "sched.h"

SEC(".rodata.sched") const volatile struct kt_sched_config kt_sched_cfg = {};

/* Per task: what the sched programs last saw it do, to pair each wait
 * with the switch-in that ends it (see kt_sched_switch.next_wait). */
#define KT_CPU_UNKNOWN 0xffffffffu
enum kt_run { KT_RUN_UNKNOWN = 0, KT_RUN_RUNNING, KT_RUN_RUNNABLE, KT_RUN_WOKEN, KT_RUN_SLEEPING };
struct kt_task_sched {
	__u64 since;       /* RUNNABLE/WOKEN: when the wait began; SLEEPING: when the sleep began */
	__u32 state;       /* enum kt_run */
	__u32 cpu;         /* CPU of its last run, KT_CPU_UNKNOWN if not seen running */
	__u32 sleep_state; /* SLEEPING: the state it was switched out in (TASK_REPORT bit) */
	__u32 _pad0;
};
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kt_task_sched);
} kt_task_sched SEC(".maps");

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
	if (!kt_sched_cfg.pair_waits)
		return 0;
	struct kt_task_sched *ps = prev->pid ? bpf_task_storage_get(&kt_task_sched, prev, 0, BPF_LOCAL_STORAGE_GET_F_CREATE) : NULL;
	if (!ps && prev->pid)
		count_stat(KT_STAT_SCHED_UNPAIRED);
	if (ps) {
		if (ps->state == KT_RUN_RUNNABLE || ps->state == KT_RUN_WOKEN) {
			/* switched out while still waiting: the kernel did not report its switch-in */
			*prev_flags = KT_NEXT_WAIT | (ps->state == KT_RUN_WOKEN ? KT_NEXT_WOKEN : 0);
			*prev_since = ps->since;
		}
		ps->since = ts;
		ps->cpu = cpu;
		ps->state = (prev_state == 0 || prev_state == 0x100) ? KT_RUN_RUNNABLE : KT_RUN_SLEEPING;
		ps->sleep_state = prev_state;
	}
	struct kt_task_sched *ns = next->pid ? bpf_task_storage_get(&kt_task_sched, next, 0, BPF_LOCAL_STORAGE_GET_F_CREATE) : NULL;
	if (!ns && next->pid)
		count_stat(KT_STAT_SCHED_UNPAIRED);
	if (ns) {
		if ((ns->state == KT_RUN_RUNNABLE || ns->state == KT_RUN_WOKEN) && ts >= ns->since) {
			*wait = ts - ns->since;
			flags = KT_NEXT_WAIT | (ns->state == KT_RUN_WOKEN ? KT_NEXT_WOKEN : 0);
		} else if (ns->state == KT_RUN_SLEEPING && ts >= ns->since) {
			/* its wakeup fired before its switch-out was seen (see KT_NEXT_UNWOKEN) */
			*wait = ts - ns->since;
			flags = KT_NEXT_UNWOKEN;
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
	struct kt_task_sched *s = p->pid && kt_sched_cfg.pair_waits ? bpf_task_storage_get(&kt_task_sched, p, 0, BPF_LOCAL_STORAGE_GET_F_CREATE) : NULL;
	if (!s && p->pid && kt_sched_cfg.pair_waits)
		count_stat(KT_STAT_SCHED_UNPAIRED);
	__u64 slept_ns = 0;
	__u32 slept_state = 0;
	if (s && (s->state == KT_RUN_UNKNOWN || s->state == KT_RUN_SLEEPING)) {
		if (s->state == KT_RUN_UNKNOWN)
			s->cpu = KT_CPU_UNKNOWN;
		else if (ts >= s->since) {
			/* the sleep this wakeup ends (the offcpu report's rows) */
			slept_ns = ts - s->since;
			slept_state = s->sleep_state;
		}
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
	e->slept_state = slept_state;
	e->slept_ns = slept_ns;
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
