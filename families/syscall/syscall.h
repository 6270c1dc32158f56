/* SPDX-License-Identifier: Apache-2.0 */
/*
 * syscall family: wire structs (the one definition, shared by syscall.bpf.c
 * and the TypeScript decoder through formats/gen/events.gen.ts). Rules as
 * in bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts).
 */
#ifndef KTAPE_SYSCALL_H
#define KTAPE_SYSCALL_H

#include "../../bpf/events.h"

enum kt_syscall_kind {
	KT_SYS_ENTER = 9,
	KT_SYS_EXIT = 10,
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

#endif /* KTAPE_SYSCALL_H */
