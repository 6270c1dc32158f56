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

#endif /* KTAPE_TASK_H */
