/* SPDX-License-Identifier: GPL-2.0 */
/*
 * signal family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 *
 * Filter: with -p/--comm or a followed command, a generated signal is kept
 * when its sender OR its target is wanted (a signal sent TO the recorded
 * process by another process is recorded), a delivery when the receiving
 * thread is wanted. OOM victims are always recorded (they are rare and
 * system-wide by nature).
 */
#include "../../bpf/common.bpf.h"
#include "signal.h"

/* include/linux/signal_types.h / sched/signal.h: special siginfo pointers */
#define KT_SEND_SIG_NOINFO 0UL
#define KT_SEND_SIG_PRIV 1UL
#define KT_SI_USER 0
#define KT_SI_KERNEL 0x80

/* as TP_STORE_SIGINFO in include/trace/events/signal.h */
static __always_inline void siginfo_of(struct kernel_siginfo *info, __s32 *code, __s32 *err)
{
	unsigned long p = (unsigned long)info;
	if (p == KT_SEND_SIG_NOINFO) {
		*code = KT_SI_USER;
		*err = 0;
	} else if (p == KT_SEND_SIG_PRIV) {
		*code = KT_SI_KERNEL;
		*err = 0;
	} else {
		*code = BPF_CORE_READ(info, si_code);
		*err = BPF_CORE_READ(info, si_errno);
	}
}

/* wanted() for a task that is not current */
static __always_inline int task_wanted(struct task_struct *t)
{
	return task_ids_wanted(t->tgid, t->pid, t);
}

SEC("tp_btf/signal_generate")
int BPF_PROG(kt_signal_generate, int sig, struct kernel_siginfo *info, struct task_struct *task, int group, int result)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur) && !task_wanted(task))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_signal_generate *e = reserve(sizeof(*e), KT_SIGNAL_GENERATE, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_SIGNAL_GENERATE, (__u32)cur);
	e->tgid = cur >> 32;
	e->target_tid = task->pid;
	e->target_tgid = task->tgid;
	e->sig = sig;
	siginfo_of(info, &e->si_code, &e->si_errno);
	e->result = result;
	e->group_signal = group ? 1 : 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->target_comm, sizeof(e->target_comm), task->comm);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/signal_deliver")
int BPF_PROG(kt_signal_deliver, int sig, struct kernel_siginfo *info, struct k_sigaction *ka)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_signal_deliver *e = reserve(sizeof(*e), KT_SIGNAL_DELIVER, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_SIGNAL_DELIVER, (__u32)cur);
	e->tgid = cur >> 32;
	e->sig = sig;
	siginfo_of(info, &e->si_code, &e->si_errno);
	e->sa_handler = (__u64)BPF_CORE_READ(ka, sa.sa_handler);
	e->sa_flags = BPF_CORE_READ(ka, sa.sa_flags);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* kernels before 6.2 kept the RSS counters as atomics (struct mm_rss_stat) */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));
struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));

/* get_mm_counter(): percpu_counter_read_positive() (the kernel's own approximation) */
static __always_inline __u64 mm_counter(struct mm_struct *mm, int member)
{
	struct mm_struct___old *old = (void *)mm;
	__s64 v;
	if (bpf_core_field_exists(old->rss_stat.count))
		v = BPF_CORE_READ(old, rss_stat.count[member].counter);
	else
		v = BPF_CORE_READ(mm, rss_stat[member].count);
	return v < 0 ? 0 : v;
}

SEC("tp_btf/mark_victim")
int BPF_PROG(kt_oom_mark_victim, struct task_struct *task, uid_t uid)
{
	__u64 cur = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_oom_victim *e = reserve(sizeof(*e), KT_OOM_MARK_VICTIM, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_OOM_MARK_VICTIM, task->pid);
	e->tgid = task->tgid;
	e->uid = uid;
	e->killer_tid = (__u32)cur;
	e->killer_tgid = cur >> 32;
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	if (mm) {
		e->total_vm_pages = BPF_CORE_READ(mm, total_vm);
		e->anon_rss_pages = mm_counter(mm, 1 /* MM_ANONPAGES */);
		e->file_rss_pages = mm_counter(mm, 0 /* MM_FILEPAGES */);
		e->shmem_rss_pages = mm_counter(mm, 3 /* MM_SHMEMPAGES */);
		e->pgtables_bytes = BPF_CORE_READ(mm, pgtables_bytes.counter);
	} else {
		e->total_vm_pages = e->anon_rss_pages = e->file_rss_pages = e->shmem_rss_pages = e->pgtables_bytes = 0;
	}
	e->oom_score_adj = BPF_CORE_READ(task, signal, oom_score_adj);
	e->_pad0 = 0;
	e->_pad1 = 0;
	bpf_probe_read_kernel_str(e->comm, sizeof(e->comm), task->comm);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}
