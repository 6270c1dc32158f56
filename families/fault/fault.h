/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault family: wire structs (the one definition, shared by fault.bpf.c and
 * the TypeScript decoder through formats/gen/events.gen.ts). Rules as in
 * bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts).
 */
#ifndef KTAPE_FAULT_H
#define KTAPE_FAULT_H

#include "../../bpf/events.h"

enum kt_fault_kind {
	KT_FAULT = 22,      /* exceptions:page_fault_user and page_fault_kernel (kt_fault.user tells which) */
	KT_FAULT_EXIT = 23, /* sched:sched_process_exit: the exiting task's fault counters, final */
	KT_FAULT_FILE = 24, /* filemap:mm_filemap_fault and mm_filemap_map_pages: a fault reached a file's pages */
};

/* A page fault exception, at its entry (before the kernel handles it).
 * subject = the faulting task (current). min_flt/maj_flt: current's own
 * counters (task_struct min_flt/maj_flt) at the entry: they do not count
 * this fault yet. */
struct kt_fault {
	struct kt_hdr h;
	__u32 tgid;
	__u32 error_code; /* x86 page fault error code (X86_PF_*: 1 present, 2 write, 4 user, 16 instruction fetch, ...) */
	__u64 address;    /* the faulting address (cr2) */
	__u64 ip;         /* regs->ip: the instruction that faulted (a kernel address for kernel-mode faults) */
	__u64 min_flt;
	__u64 maj_flt;
	__u32 user; /* 1 page_fault_user (user mode), 0 page_fault_kernel */
	__u32 _pad0;
};

/* subject = the exiting task (current); its counters as the kernel leaves them */
struct kt_fault_exit {
	struct kt_hdr h;
	__u32 tgid;
	__u32 _pad0;
	__u64 min_flt;
	__u64 maj_flt;
};

/* A fault on a file mapping reached the page cache. subject = current (the
 * faulting task, or a get_user_pages() caller). min_flt/maj_flt as in
 * kt_fault: current's counters now, still without the fault in progress. */
struct kt_fault_file {
	struct kt_hdr h;
	__u32 tgid;
	__u32 event; /* 0 mm_filemap_fault (the page is read or looked up), 1 mm_filemap_map_pages (fault-around of cached pages) */
	__u32 dev;   /* the inode's superblock s_dev (kernel encoding: major << 20 | minor) */
	__u32 _pad0;
	__u64 ino;
	__u64 first; /* page index in the file (mm_filemap_map_pages: first page mapped) */
	__u64 last;  /* last page index (= first for mm_filemap_fault) */
	__u64 min_flt;
	__u64 maj_flt;
};

/* a file's name, once per inode (kt_fault_names map, read at the end) */
#define KT_FAULT_NAME_PARTS 4
#define KT_FAULT_NAME_LEN 48

#endif /* KTAPE_FAULT_H */
