/* SPDX-License-Identifier: GPL-2.0 */
/*
 * task family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 */
#include "../../bpf/common.bpf.h"
#include "task.h"

SEC(".rodata.task") const volatile struct kt_task_config kt_task_cfg = {};

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
	if (!kt_task_cfg.emit_task)
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
	/* read through bpf_probe_read_kernel: see exit_accounting() */
	e->vm_pages = BPF_CORE_READ(task, mm, total_vm);
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

/* RSS pages as get_mm_rss() counts them (file + anon + shmem; the percpu counters' shared count) */
static __always_inline __u64 mm_rss(struct mm_struct *mm)
{
	__s64 n = BPF_CORE_READ(mm, rss_stat[MM_FILEPAGES].count) + BPF_CORE_READ(mm, rss_stat[MM_ANONPAGES].count) +
		  BPF_CORE_READ(mm, rss_stat[MM_SHMEMPAGES].count);
	return n > 0 ? n : 0;
}

/*
 * What the kernel accounted for the exiting thread (do_exit, before exit_mm). The pointers (signal, mm) are
 * followed with bpf_probe_read_kernel (BPF_CORE_READ), not as trusted BTF pointers: for each pointer loaded
 * from a trusted one the verifier looks up `<struct>__safe_trusted`, `__safe_trusted_or_null` and `__safe_rcu`
 * by name in the kernel's BTF, a linear scan of its ~150k types, which made this program the slowest to load
 * (several ms of the recorder's start-up for this one). A failed read gives 0, as a faulting BTF load does.
 */
static __always_inline void exit_accounting(struct kt_task_exit *e, struct task_struct *p)
{
	e->prio = p->prio;
	e->nice = p->static_prio - 120;
	e->policy = p->policy;
	e->rt_priority = p->rt_priority;
	e->nvcsw = p->nvcsw;
	e->nivcsw = p->nivcsw;
	e->min_flt = p->min_flt;
	e->maj_flt = p->maj_flt;
	e->utime_ns = p->utime;
	e->stime_ns = p->stime;
	e->runtime_ns = p->se.sum_exec_runtime;
	__u64 peak = BPF_CORE_READ(p, signal, maxrss);
	struct mm_struct *mm = BPF_CORE_READ(p, mm);
	e->vm_pages = 0;
	if (mm) {
		__u64 hw = BPF_CORE_READ(mm, hiwater_rss), rss = mm_rss(mm);
		e->vm_pages = BPF_CORE_READ(mm, total_vm);
		if (hw > peak)
			peak = hw;
		if (rss > peak)
			peak = rss;
	}
	e->maxrss_pages = peak;
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
	exit_accounting(e, p);
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
	if (!kt_task_cfg.emit_task)
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
