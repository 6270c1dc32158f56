/* SPDX-License-Identifier: Apache-2.0 */
/*
 * signal family: wire structs (the one definition, shared by signal.bpf.c
 * and the TypeScript decoder through formats/gen/events.gen.ts). Rules as
 * in bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts).
 */
#ifndef KTAPE_SIGNAL_H
#define KTAPE_SIGNAL_H

#include "../../bpf/events.h"

enum kt_signal_kind {
	KT_SIGNAL_GENERATE = 15,
	KT_SIGNAL_DELIVER = 16,
	KT_OOM_MARK_VICTIM = 17,
};

/* signal:signal_generate. subject = the sender: the task current when the
 * signal was generated (kill(2) caller, the exiting child for SIGCHLD, the
 * faulting task for SIGSEGV, whatever ran for signals raised in interrupts). */
struct kt_signal_generate {
	struct kt_hdr h;
	__u32 tgid;          /* sender's process */
	__u32 target_tid;    /* task the signal was sent to */
	__u32 target_tgid;   /* its process */
	__s32 sig;
	__s32 si_code;       /* SI_USER = 0, SI_KERNEL = 0x80, SI_TKILL = -6, ... */
	__s32 si_errno;
	__s32 result;        /* enum trace_signal_deliver: DELIVERED 0, IGNORED 1, ALREADY_PENDING 2, OVERFLOW_FAIL 3, LOSE_INFO 4 */
	__u32 group_signal;  /* 1: sent to the whole thread group (kill), 0: to one thread (tgkill) */
	char comm[KT_COMM_LEN];        /* sender's comm */
	char target_comm[KT_COMM_LEN]; /* target's comm */
};

/* signal:signal_deliver. subject = the receiving thread (current), as it
 * takes the signal off its pending set (before the handler runs). */
struct kt_signal_deliver {
	struct kt_hdr h;
	__u32 tgid;
	__s32 sig;
	__s32 si_code;
	__s32 si_errno;
	__u64 sa_handler; /* disposition: SIG_DFL = 0, SIG_IGN = 1, else the handler's address */
	__u64 sa_flags;   /* SA_SIGINFO = 4, SA_RESTART = 0x10000000, ... */
	char comm[KT_COMM_LEN];
};

/* oom:mark_victim. subject = the OOM victim (not current: current is the
 * task whose allocation ran the OOM killer). Memory figures in pages, as
 * the kernel counts them (the tracepoint prints them in kB). */
struct kt_oom_victim {
	struct kt_hdr h;
	__u32 tgid;
	__u32 uid;
	__u32 killer_tid;  /* current: the task that invoked the OOM killer */
	__u32 killer_tgid;
	__u64 total_vm_pages;
	__u64 anon_rss_pages;
	__u64 file_rss_pages;
	__u64 shmem_rss_pages;
	__u64 pgtables_bytes;
	__s16 oom_score_adj;
	__u16 _pad0;
	__u32 _pad1;
	char comm[KT_COMM_LEN];
};

#endif /* KTAPE_SIGNAL_H */
