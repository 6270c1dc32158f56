/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ktape wire format, core part: the record header, loss records, counters
 * and core settings. Each family's records are in its own header,
 * families/<family>/<family>.h. Both are the ONE definition, shared by the
 * kernel side and by the TypeScript decoder, whose offsets are generated
 * into formats/gen/events.gen.ts by scripts/gen-events.mjs (npm run gen:events).
 *
 * Rules: fixed-width fields only, explicit padding, no bool, every struct a
 * multiple of 8 bytes. Change a struct => bump KT_WIRE_VERSION and regenerate.
 */
#ifndef KTAPE_EVENTS_H
#define KTAPE_EVENTS_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define KT_WIRE_VERSION 5
#define KT_COMM_LEN 16

/* Wire record kinds (kt_hdr.kind): each family's header numbers its own
 * (families/<family>/<family>.h), unique across families, below this. */
#define KT_KIND_MAX 64

/* Recorder counters kept per CPU in the kt_stats map (index = enum value). */
enum kt_stat {
	KT_STAT_STACK_COLLISION = 0, /* bpf_get_stackid() == -EEXIST: stack not stored */
	KT_STAT_STACK_ERROR = 1,     /* any other bpf_get_stackid() failure */
	KT_STAT_FILTER_FULL = 2,     /* follow-children tgid map was full */
	KT_STAT_SCHED_UNPAIRED = 3,  /* sched: a task's storage was unavailable (busy in a nested program), one wait left unpaired */
	/* KT_STAT_RESCUED + kind: events of that kind recorded by the nested
	 * ("rescue") program because the main program was busy on that CPU */
	KT_STAT_RESCUED = 16,
	KT_STAT_MAX = 80, /* KT_STAT_RESCUED + KT_KIND_MAX */
};

/* Common header. tid/cpu/ts describe the event's SUBJECT task (see each kind). */
struct kt_hdr {
	__u64 ts;   /* CLOCK_BOOTTIME ns, bpf_ktime_get_boot_ns() */
	__u16 kind; /* a family's enum kt_<family>_kind */
	__u16 cpu;  /* CPU the event fired on */
	__u32 tid;  /* subject task id */
};

/* Per-CPU, per-kind loss record in the kt_losses map (index = kind). */
struct kt_loss {
	__u64 count;    /* cumulative failed bpf_ringbuf_reserve() */
	__u64 first_ts; /* first loss ever on this CPU/kind (0 = none) */
	__u64 last_ts;  /* latest loss on this CPU/kind */
};

/* Core settings: section .rodata.cfg, set by userspace before load. Each
 * family's own settings are in its section .rodata.<family>. */
struct kt_config {
	__u32 self_tgid;       /* recorder's tgid: never emits syscall/kmem */
	__u32 filter_tgids;    /* 1 = syscall/kmem only for tgids in kt_tgids */
	__u32 follow_children; /* 1 = children of a filtered tgid join the filter */
	__u32 filter_comm;     /* 1 = syscall/kmem only when comm == comm */
	char comm[KT_COMM_LEN];
};

#endif /* KTAPE_EVENTS_H */
