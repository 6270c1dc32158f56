/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktape wire format: the ONE definition of every record that crosses the
 * BPF ring buffer, shared by bpf/ktape.bpf.c (kernel side) and by the
 * TypeScript decoder, whose offsets are generated from this file into
 * formats/gen/events.gen.ts by scripts/gen-events.mjs (npm run gen:events).
 *
 * Rules: fixed-width fields only, explicit padding, no bool, every struct a
 * multiple of 8 bytes. Change a struct => bump KT_WIRE_VERSION and regenerate.
 */
#ifndef KTAPE_EVENTS_H
#define KTAPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KT_WIRE_VERSION 3
#define KT_COMM_LEN 16
#define KT_FILENAME_LEN 256
#define KT_STACK_DEPTH 64

enum kt_kind {
	KT_SCHED_SWITCH = 1,
	KT_SCHED_WAKING = 2,
	KT_SCHED_WAKEUP_NEW = 3,
	KT_TASK_NEWTASK = 4,
	KT_TASK_EXEC = 5,
	KT_TASK_EXIT = 6,
	KT_TASK_RENAME = 7,
	KT_TASK_FREE = 8,
	KT_SYS_ENTER = 9,
	KT_SYS_EXIT = 10,
	KT_KMALLOC = 11,
	KT_KFREE = 12,
	KT_KMEM_CACHE_ALLOC = 13,
	KT_KMEM_CACHE_FREE = 14,
	KT_KIND_MAX = 15,
};

/* Recorder counters kept per CPU in the kt_stats map (index = enum value). */
enum kt_stat {
	KT_STAT_STACK_COLLISION = 0, /* bpf_get_stackid() == -EEXIST: stack not stored */
	KT_STAT_STACK_ERROR = 1,     /* any other bpf_get_stackid() failure */
	KT_STAT_FILTER_FULL = 2,     /* follow-children tgid map was full */
	/* KT_STAT_RESCUED + kind: events of that kind recorded by the nested
	 * ("rescue") program because the main program was busy on that CPU */
	KT_STAT_RESCUED = 16,
	KT_STAT_MAX = 32,
};

/* Common header. tid/cpu/ts describe the event's SUBJECT task (see each kind). */
struct kt_hdr {
	__u64 ts;   /* CLOCK_BOOTTIME ns, bpf_ktime_get_boot_ns() */
	__u16 kind; /* enum kt_kind */
	__u16 cpu;  /* CPU the event fired on */
	__u32 tid;  /* subject task id */
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
	 * KT_NEXT_WAIT. The decoder stores it in the sched_wait table; the raw
	 * events stay recorded: this is a shortcut for the analyzer. */
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

/* KT_SCHED_WAKING and KT_SCHED_WAKEUP_NEW. subject = woken task; waker = current */
struct kt_sched_wake {
	struct kt_hdr h;
	__u32 tgid;
	__u32 waker_tid;
	__u32 waker_tgid;
	__s32 prio;
	__u32 target_cpu;
	__u32 _pad0;
};

/* subject = parent (current) */
struct kt_task_newtask {
	struct kt_hdr h;
	__u32 tgid;
	__u32 child_tid;
	__u32 child_tgid;
	__u32 _pad0;
	__u64 clone_flags;
	char comm[KT_COMM_LEN]; /* child's comm (inherited) */
};

/* subject = the task that exec'ed (current, tid after de_thread) */
struct kt_task_exec {
	struct kt_hdr h;
	__u32 tgid;
	__u32 old_tid;
	char comm[KT_COMM_LEN];         /* comm after exec */
	char filename[KT_FILENAME_LEN]; /* bprm->filename, NUL terminated, truncated */
};

/* subject = exiting task (current) */
struct kt_task_exit {
	struct kt_hdr h;
	__u32 tgid;
	__s32 exit_code; /* task->exit_code (wait status encoding) */
	__u32 group_dead;
	__u32 _pad0;
	char comm[KT_COMM_LEN];
};

/* subject = renamed task (not necessarily current) */
struct kt_task_rename {
	struct kt_hdr h;
	__u32 tgid;
	__u32 _pad0;
	char oldcomm[KT_COMM_LEN];
	char newcomm[KT_COMM_LEN];
};

/* subject = freed task (current is usually an RCU callback context) */
struct kt_task_free {
	struct kt_hdr h;
	__u32 tgid;
	__u32 _pad0;
	char comm[KT_COMM_LEN];
};

/* subject = current */
struct kt_sys_enter {
	struct kt_hdr h;
	__u32 tgid;
	__s32 nr;
	__u64 args[6];
};

/* subject = current */
struct kt_sys_exit {
	struct kt_hdr h;
	__u32 tgid;
	__s32 nr;
	__s64 ret;
};

/* KT_KMALLOC and KT_KMEM_CACHE_ALLOC. subject = current */
struct kt_kmem_alloc {
	struct kt_hdr h;
	__u32 tgid;
	__s32 stack_id; /* kt_stacks id, or -errno (-EEXIST = hash collision, never reused) */
	__u64 ptr;
	__u64 call_site;
	__u64 bytes_req;
	__u64 bytes_alloc;
	__u32 gfp_flags;
	__s32 node;
};

/* KT_KFREE and KT_KMEM_CACHE_FREE. subject = current */
struct kt_kmem_free {
	struct kt_hdr h;
	__u32 tgid;
	__u32 _pad0;
	__u64 ptr;
	__u64 call_site;
};

/* Per-CPU, per-kind loss record in the kt_losses map (index = enum kt_kind). */
struct kt_loss {
	__u64 count;    /* cumulative failed bpf_ringbuf_reserve() */
	__u64 first_ts; /* first loss ever on this CPU/kind (0 = none) */
	__u64 last_ts;  /* latest loss on this CPU/kind */
};

/* Settings: placed in section .rodata.cfg, set by userspace before load. */
struct kt_config {
	__u32 self_tgid;       /* recorder's tgid: never emits syscall/kmem */
	__u32 filter_tgids;    /* 1 = syscall/kmem only for tgids in kt_tgids */
	__u32 follow_children; /* 1 = children of a filtered tgid join the filter */
	__u32 filter_comm;     /* 1 = syscall/kmem only when comm == comm */
	char comm[KT_COMM_LEN];
	__u32 kmem_stacks;     /* 1 = capture kernel stacks for allocations */
	__u32 emit_task;       /* 1 = emit task events (0: task programs only maintain the filter) */
	__u32 pair_waits;      /* 1 = pair waits with switch-ins and flag migrations (kt_task_sched) */
	__u32 _pad0;
};

#endif /* KTAPE_EVENTS_H */
