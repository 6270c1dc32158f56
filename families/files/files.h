/* SPDX-License-Identifier: Apache-2.0 */
/*
 * files family: wire structs (the one definition, shared by files.bpf.c and
 * the TypeScript decoder through formats/gen/events.gen.ts). Rules as in
 * bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts); this family owns 42 to 45.
 */
#ifndef KTAPE_FILES_H
#define KTAPE_FILES_H

#include "../../bpf/events.h"

enum kt_files_kind {
	KT_FILES_PATH = 42, /* raw_syscalls:sys_enter of a syscall that takes a path: one record per path argument */
	KT_FILES_ARGV = 43, /* raw_syscalls:sys_enter of execve/execveat: its argv */
	KT_FILES_EXIT = 44, /* raw_syscalls:sys_exit of a task with a path syscall pending */
};

/* syscall numbers the settings table covers (x86_64 and aarch64 tables end below 470) */
#define KT_FILES_NR_MAX 512
/* bytes of a path kept; a longer one is cut there */
#define KT_FILES_PATH_MAX 256
/* the path buffer: KT_FILES_PATH_MAX + 2 bytes are read, so that a cut string is told from one that fits */
#define KT_FILES_PATH_BUF 264
/* argv: at most this many arguments, each cut at KT_FILES_ARG_MAX bytes, none started past KT_FILES_ARGV_BYTES */
#define KT_FILES_ARGV_MAX 32
#define KT_FILES_ARG_MAX 256
#define KT_FILES_ARGV_BYTES 1024
/* KT_FILES_ARGV_BYTES + KT_FILES_ARG_MAX + 8: room for the last argument's read */
#define KT_FILES_ARGV_BUF 1288

/* kt_files_cfg.args[nr]: bit i (0..5) = argument i is a path; KT_FILES_A_ARGV = the argument after the first path is argv */
#define KT_FILES_A_ARGV 64

/* kt_files_argv.flags */
#define KT_FILES_ARGV_MORE 1  /* arguments after the stored ones were not recorded (count or byte bound) */
#define KT_FILES_ARGV_TRUNC 2 /* the bytes end inside an argument: the last one is cut */

/* Settings: section .rodata.files. */
struct kt_files_config {
	__u8 args[KT_FILES_NR_MAX]; /* per syscall number of the capture host's table: which arguments are paths */
};

/* subject = current. h.ts is the files program's own entry time: the same in every record of the call (paths,
 * argv) and in its kt_files_exit.entry_ts. Written at sys_enter; when the read fails there (the string is in a
 * page not yet faulted in, e.g. a forked child's read-only data), at sys_exit, once the kernel has read it (not
 * after a successful exec, whose old memory is gone: the failed read is recorded then). The record is as long
 * as its string: sizeof(struct kt_files_path) + len + 1 (+ len when cut: no NUL). */
struct kt_files_path {
	struct kt_hdr h;
	__u32 tgid;
	__s32 nr;
	__u32 len;        /* bytes of path kept, without the NUL (at most KT_FILES_PATH_MAX) */
	__s32 read_error; /* 0, or the failed read's -errno (len 0) */
	__u8 arg;         /* which argument (0..5) */
	__u8 cut;         /* 1: the string was longer than KT_FILES_PATH_MAX and is cut there */
	__u16 _pad0;
	__u32 _pad1;
	char path[0]; /* the string follows, as long as the record: len bytes, then its NUL unless cut */
};

/* subject = current, at sys_exit of execve/execveat (h.ts: the call's entry time). buf: the arguments, each NUL
 * terminated: after a successful exec, the new program's argument area (mm->arg_start..arg_end, as
 * /proc/PID/cmdline; written by the kernel, so resident); after a failed one, read through the caller's argv
 * pointers (by then the kernel has read them too, so the pages are resident). */
struct kt_files_argv {
	struct kt_hdr h;
	__u32 tgid;
	__s32 nr;
	__u32 argc;  /* arguments stored */
	__u32 bytes; /* bytes of buf used */
	__u32 flags; /* KT_FILES_ARGV_* */
	__u32 cut;   /* bit k: argument k was longer than KT_FILES_ARG_MAX and is cut there */
	char buf[KT_FILES_ARGV_BUF];
};

/* subject = current, at sys_exit; entry_tid/entry_ts: the kt_files_path records of the call (a non-leader
 * thread's execve returns under the leader's tid) */
struct kt_files_exit {
	struct kt_hdr h;
	__u32 tgid;
	__s32 nr;
	__s64 ret;
	__u64 entry_ts;
	__u32 entry_tid;
	__u32 _pad0;
};

#endif /* KTAPE_FILES_H */
