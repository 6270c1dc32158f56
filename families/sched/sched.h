/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sched family: wire structs (the one definition, shared by sched.bpf.c
 * and the TypeScript decoder through formats/gen/events.gen.ts). Rules as
 * in bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts).
 */
#ifndef KTAPE_SCHED_H
#define KTAPE_SCHED_H

#include "../../bpf/events.h"

enum kt_sched_kind {
	KT_SCHED_SWITCH = 1,
	KT_SCHED_WAKING = 2,
	KT_SCHED_WAKEUP_NEW = 3,
};

/* Settings: section .rodata.sched, set by userspace before load. */
struct kt_sched_config {
	__u32 pair_waits; /* 1 = pair waits with switch-ins and flag migrations (kt_task_sched) */
	__u32 _pad0;
};

/* subject = prev task */
struct kt_sched_switch {
	struct kt_hdr h;
	__u32 prev_tgid;
	__u32 next_tid;
	__u32 next_tgid;
	__u32 prev_state; /* as the sched_switch tracepoint reports it (TASK_REPORT bits, 0x100 = preempted) */
	__s32 prev_prio;
	__s32 next_prio;
	/* when prev last arrived on this CPU: its sched_info.last_arrival, in
	 * the kernel's rq clock (sched_clock ns, NOT ts's clock); 0 = unknown.
	 * The decoder calibrates it against the recorded switch-ins to place a
	 * switch the kernel did not report (a kernel_gap). */
	__u64 prev_arrival;
	/* next's wait paired in the kernel, as runqlat does: from when it became
	 * runnable (the switch-out that left it R/R+, or the wakeup that ended
	 * its sleep) to this switch-in, ns; valid when next_flags has
	 * KT_NEXT_WAIT. With KT_NEXT_UNWOKEN instead: how long next slept (from
	 * its sleeping switch-out; no wakeup was seen). Stored in the
	 * sched_switch row (next_wait_ns, format 1.9 on); the raw events stay
	 * recorded: this is a shortcut for the analyzer. */
	__u64 next_wait;
	__u32 next_flags; /* KT_NEXT_* */
	/* KT_NEXT_WAIT (| KT_NEXT_WOKEN) when prev was still waiting as far as
	 * the kernel reported (its switch-in was not reported: a kernel_gap):
	 * that wait began at prev_wait_since */
	__u32 prev_wait_flags;
	__u64 prev_wait_since;
};

#define KT_NEXT_WAIT 1     /* next_wait is valid */
#define KT_NEXT_WOKEN 2    /* the wait began with a wakeup (else: preempted or yielded) */
#define KT_NEXT_MIGRATED 4 /* next last ran on another CPU */
#define KT_NEXT_CPU_KNOWN 8 /* the CPU next last ran on is known (KT_NEXT_MIGRATED is meaningful) */
/* next was still asleep as far as the recorder saw: switched in with no
 * wakeup seen since its sleeping switch-out (the wakeup raced that
 * switch-out: it fired first, while next was still on its CPU). next_wait
 * holds how long it slept. */
#define KT_NEXT_UNWOKEN 16

/* KT_SCHED_WAKING and KT_SCHED_WAKEUP_NEW. subject = woken task; waker = current */
struct kt_sched_wake {
	struct kt_hdr h;
	__u32 tgid;
	__u32 waker_tid;
	__u32 waker_tgid;
	__s32 prio;
	__u32 target_cpu;
	/* the sleep this wakeup ended, paired in the kernel (format 1.9 on):
	 * the state the task was switched out in (TASK_REPORT bit, as
	 * kt_sched_switch.prev_state), 0 = it ended no sleep the recorder saw */
	__u32 slept_state;
	__u64 slept_ns; /* how long it slept: from that switch-out to this wakeup, ns (0 when slept_state is 0) */
};

#endif /* KTAPE_SCHED_H */
