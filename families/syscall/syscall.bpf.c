/* SPDX-License-Identifier: GPL-2.0 */
/*
 * syscall family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 */
#include "../../bpf/common.bpf.h"
#include "syscall.h"

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
