/* SPDX-License-Identifier: Apache-2.0 */
/*
 * task family: wire structs (the one definition, shared by task.bpf.c
 * and the TypeScript decoder through formats/gen/events.gen.ts). Rules as
 * in bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts).
 */
#ifndef KTAPE_TASK_H
#define KTAPE_TASK_H

#include "../../bpf/events.h"

#define KT_FILENAME_LEN 256

enum kt_task_kind {
	KT_TASK_NEWTASK = 4,
	KT_TASK_EXEC = 5,
	KT_TASK_EXIT = 6,
	KT_TASK_RENAME = 7,
	KT_TASK_FREE = 8,
};

/* Settings: section .rodata.task. */
struct kt_task_config {
	__u32 emit_task; /* 1 = emit task events (0: the programs only maintain the follow-children filter) */
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
	__u64 vm_pages;         /* child's mm->total_vm at fork (a thread shares its parent's mm; 0: no mm) */
};

/* subject = the task that exec'ed (current, tid after de_thread) */
struct kt_task_exec {
	struct kt_hdr h;
	__u32 tgid;
	__u32 old_tid;
	char comm[KT_COMM_LEN];         /* comm after exec */
	char filename[KT_FILENAME_LEN]; /* bprm->filename, NUL terminated, truncated */
};

/*
 * subject = exiting task (current). The accounting is the thread's own,
 * read at sched_process_exit, which in 6.18 fires in do_exit() after
 * taskstats_exit() and before exit_mm(): the mm is still there, and when
 * group_dead signal->maxrss already holds the last mm's high-water RSS.
 * What each field means next to wait4's rusage: families/task/tables.ts.
 */
struct kt_task_exit {
	struct kt_hdr h;
	__u32 tgid;
	__s32 exit_code; /* task->exit_code (wait status encoding) */
	__u32 group_dead;
	__u32 _pad0;
	char comm[KT_COMM_LEN];
	__s32 prio;        /* task->prio (0..99 real-time, 100..139 normal: 120 + nice) */
	__s32 nice;        /* task->static_prio - 120 */
	__u32 policy;      /* task->policy (SCHED_NORMAL 0, FIFO 1, RR 2, BATCH 3, IDLE 5, DEADLINE 6, EXT 7) */
	__u32 rt_priority; /* task->rt_priority (1..99 for FIFO/RR) */
	__u64 nvcsw;       /* voluntary context switches */
	__u64 nivcsw;      /* involuntary context switches */
	__u64 min_flt;     /* minor faults */
	__u64 maj_flt;     /* major faults */
	__u64 utime_ns;    /* task->utime: tick-sampled user time, ns (not adjusted) */
	__u64 stime_ns;    /* task->stime: tick-sampled system time, ns (not adjusted) */
	__u64 runtime_ns;  /* task->se.sum_exec_runtime, ns (up to the last update_curr) */
	__u64 vm_pages;    /* mm->total_vm (0: no mm, a kernel thread) */
	__u64 maxrss_pages; /* max(signal->maxrss, mm->hiwater_rss, RSS now): the process's peak RSS so far */
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

#endif /* KTAPE_TASK_H */
