/* SPDX-License-Identifier: GPL-2.0 */
/*
 * files family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 * Loaded only when files is recorded (families/files/family.ts).
 *
 * At raw_syscalls:sys_enter, a syscall whose number the settings mark
 * (kt_files_cfg.args, from families/files/paths.ts) gets one record per path
 * argument with the user string, bounded (KT_FILES_PATH_MAX); the task's
 * storage remembers the call's entry time (and the paths it could not read).
 * At sys_exit, execve and execveat get one record of argv (kt_files_argv). At sys_exit of a path syscall, a
 * task with a call pending gets a record of the return value and the entry it ends (the other syscalls return
 * before the task storage lookup). The task storage lives and dies with the task (so a reused tid starts
 * clean) and follows it through exec.
 *
 * A path record is as long as its string: it is written in a per-CPU scratch buffer and copied into the ring
 * with bpf_ringbuf_output (about 40 + the path's bytes, not a fixed slot of KT_FILES_PATH_BUF).
 *
 * Attach order: this file's programs come before the syscall family's in the
 * object (the build includes families in name order), and programs on one
 * tracepoint run in attach order, so a call's path records are stamped just
 * before its syscall_enter row (families/files/sql/paths.sql joins on that).
 */
#include "../../bpf/common.bpf.h"
#include "files.h"

SEC(".rodata.files") const volatile struct kt_files_config kt_files_cfg = {};

struct kt_files_pending {
	__u64 entry_ts; /* 0: none pending */
	__u32 tid;
	__s32 nr;
	__u64 retry[2]; /* user pointers of paths whose read failed at entry, read again at exit */
	__u32 retry_arg[2];
	__u32 nretry;
	__u32 _pad;
	__u64 argv; /* execve/execveat: the argv pointer */
};

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct kt_files_pending);
} kt_files_pending SEC(".maps");

/* a path record with room for its string; the record is written as long as the string (bpf_ringbuf_output) */
struct kt_files_path_buf {
	struct kt_files_path e;
	char path[KT_FILES_PATH_BUF];
};
_Static_assert(__builtin_offsetof(struct kt_files_path, path) == sizeof(struct kt_files_path), "the string follows the record");

/* Per CPU: the programs on sys_enter and sys_exit run in task context with preemption off, one at a time. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kt_files_path_buf);
} kt_files_scratch SEC(".maps");

/* one path record; with `p` (at entry), a failed read is not recorded but left in p for the exit to retry */
static __always_inline void files_path(__u64 cur, __u64 ts, long nr, __u32 arg, const char *uptr, struct kt_files_pending *p)
{
	__u32 zero = 0;
	struct kt_files_path_buf *b = bpf_map_lookup_elem(&kt_files_scratch, &zero);
	if (!b)
		return;
	struct kt_files_path *e = &b->e;
	fill_hdr(&e->h, ts, KT_FILES_PATH, (__u32)cur);
	e->tgid = cur >> 32;
	e->nr = nr;
	e->arg = arg;
	e->_pad0 = 0;
	e->_pad1 = 0;
	/* KT_FILES_PATH_MAX + 2 bytes: a whole string reads at most KT_FILES_PATH_MAX + 1 with its NUL */
	long n = uptr ? bpf_probe_read_user_str(b->path, KT_FILES_PATH_MAX + 2, uptr) : -14; /* -EFAULT */
	e->read_error = n < 0 ? n : 0;
	e->cut = n > KT_FILES_PATH_MAX + 1;
	e->len = n <= 0 ? 0 : e->cut ? KT_FILES_PATH_MAX : n - 1;
	if (n < 0 && p && p->nretry < 2) {
		__u32 k = p->nretry & 1;
		p->retry[k] = (__u64)uptr;
		p->retry_arg[k] = arg;
		p->nretry++;
		return;
	}
	if (n < 0)
		b->path[0] = 0;
	/* the string and its NUL (a cut one: its KT_FILES_PATH_MAX bytes) */
	__u64 size = sizeof(*e) + e->len + !e->cut;
	if (size > sizeof(*b))
		size = sizeof(*b);
	if (bpf_ringbuf_output(&kt_ring, b, size, BPF_RB_NO_WAKEUP))
		count_loss(KT_FILES_PATH, ts);
}

/* argv through the caller's pointers (a failed exec) */
static __always_inline void files_argv_ptrs(struct kt_files_argv *e, const char *const *argv)
{
	__u32 off = 0, i;
	for (i = 0; i < KT_FILES_ARGV_MAX; i++) {
		const char *a = NULL;
		if (bpf_probe_read_user(&a, sizeof(a), &argv[i]) || !a)
			break;
		if (off >= KT_FILES_ARGV_BYTES) {
			e->flags |= KT_FILES_ARGV_MORE;
			break;
		}
		/* a no-op (off < KT_FILES_ARGV_BYTES, a power of two) that the verifier sees as the bound: in asm,
		 * so that the compiler neither drops it nor indexes with a copy of off made before the check */
		__u64 o = off;
		_Static_assert(KT_FILES_ARGV_BYTES == 1024, "the mask below");
		asm volatile("%[o] &= 1023" : [o] "+r"(o));
		long n = bpf_probe_read_user_str(&e->buf[o], KT_FILES_ARG_MAX + 2, a);
		if (n <= 0)
			break;
		if (n == KT_FILES_ARG_MAX + 2) {
			/* longer than the bound: keep KT_FILES_ARG_MAX bytes */
			e->buf[o + KT_FILES_ARG_MAX] = 0;
			n = KT_FILES_ARG_MAX + 1;
			e->cut |= 1U << i;
		}
		off = o + n;
	}
	if (i == KT_FILES_ARGV_MAX) {
		const char *a = NULL;
		if (!bpf_probe_read_user(&a, sizeof(a), &argv[i]) && a)
			e->flags |= KT_FILES_ARGV_MORE;
	}
	e->argc = i;
	e->bytes = off;
}

/* argv from the new program's argument area (a successful exec): at most KT_FILES_ARGV_BYTES of it */
static __always_inline void files_argv_mm(struct kt_files_argv *e)
{
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 lo = BPF_CORE_READ(t, mm, arg_start), hi = BPF_CORE_READ(t, mm, arg_end);
	__u64 n = hi > lo ? hi - lo : 0;
	if (n > KT_FILES_ARGV_BYTES) {
		n = KT_FILES_ARGV_BYTES;
		e->flags |= KT_FILES_ARGV_MORE | KT_FILES_ARGV_TRUNC;
	}
	asm volatile("" : "+r"(n));
	if (n > KT_FILES_ARGV_BYTES || bpf_probe_read_user(e->buf, n, (const void *)lo))
		n = 0;
	e->argc = KT_FILES_ARGV_MAX;
	e->bytes = n;
}

static __always_inline __u64 sys_arg(struct pt_regs *regs, int i)
{
#if defined(__TARGET_ARCH_x86)
	switch (i) {
	case 0: return regs->di;
	case 1: return regs->si;
	case 2: return regs->dx;
	case 3: return regs->r10;
	case 4: return regs->r8;
	default: return regs->r9;
	}
#else
	switch (i) {
	case 0: return PT_REGS_PARM1_CORE_SYSCALL(regs);
	case 1: return PT_REGS_PARM2_CORE_SYSCALL(regs);
	case 2: return PT_REGS_PARM3_CORE_SYSCALL(regs);
	case 3: return PT_REGS_PARM4_CORE_SYSCALL(regs);
	default: return PT_REGS_PARM5_CORE_SYSCALL(regs);
	}
#endif
}

/* the syscall number at sys_exit (as the syscall tracepoints read it) */
static __always_inline long sys_nr(struct pt_regs *regs)
{
#if defined(__TARGET_ARCH_x86)
	return regs->orig_ax;
#else
	return BPF_CORE_READ(regs, syscallno);
#endif
}

/* the settings' bits of the syscall number nr (0: not a path syscall) */
static __always_inline __u8 path_args(long nr)
{
	return nr >= 0 && nr < KT_FILES_NR_MAX ? kt_files_cfg.args[nr] : 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(kt_files_enter, struct pt_regs *regs, long id)
{
	__u8 m = path_args(id);
	if (!m)
		return 0;
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_files_pending *p = bpf_task_storage_get(&kt_files_pending, bpf_get_current_task_btf(), 0, BPF_LOCAL_STORAGE_GET_F_CREATE);
	if (p) {
		p->entry_ts = ts;
		p->tid = (__u32)cur;
		p->nr = id;
		p->nretry = 0;
		/* the argument after the first path: execve(path, argv, envp), execveat(dfd, path, argv, envp, flags) */
		p->argv = (m & KT_FILES_A_ARGV) ? sys_arg(regs, (m & 1) ? 1 : 2) : 0;
	}
	for (int i = 0; i < 6; i++) {
		if (m & (1 << i))
			files_path(cur, ts, id, i, (const char *)sys_arg(regs, i), p);
	}
	return 0;
}

/* execve/execveat's argv at its return, before kt_files_exit (defined before it: attached before it, so it runs
 * before it and finds the call pending) */
SEC("tp_btf/sys_exit")
int BPF_PROG(kt_files_argv, struct pt_regs *regs, long ret)
{
	if (!(path_args(sys_nr(regs)) & KT_FILES_A_ARGV))
		return 0;
	struct kt_files_pending *p = bpf_task_storage_get(&kt_files_pending, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->entry_ts || !p->argv)
		return 0;
	__u64 cur = bpf_get_current_pid_tgid();
	struct kt_files_argv *e = reserve(sizeof(*e), KT_FILES_ARGV, p->entry_ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, p->entry_ts, KT_FILES_ARGV, (__u32)cur);
	e->tgid = cur >> 32;
	e->nr = p->nr;
	e->flags = 0;
	e->cut = 0;
	if (ret == 0)
		files_argv_mm(e);
	else
		files_argv_ptrs(e, (const char *const *)p->argv);
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(kt_files_exit, struct pt_regs *regs, long ret)
{
	/* the syscalls the entry has no call pending for return here, before the task storage lookup */
	if (!path_args(sys_nr(regs)))
		return 0;
	struct kt_files_pending *p = bpf_task_storage_get(&kt_files_pending, bpf_get_current_task_btf(), 0, 0);
	if (!p || !p->entry_ts)
		return 0;
	__u64 cur = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_files_exit *e = reserve(sizeof(*e), KT_FILES_EXIT, ts);
	if (e) {
		fill_hdr(&e->h, ts, KT_FILES_EXIT, (__u32)cur);
		e->tgid = cur >> 32;
		e->nr = p->nr;
		e->ret = ret;
		e->entry_ts = p->entry_ts;
		e->entry_tid = p->tid;
		e->_pad0 = 0;
		bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	}
	/* the paths the entry could not read: the kernel has read them by now (not after a successful exec, whose
	 * old memory is gone: recorded as failed reads then) */
	int gone = ret == 0 && p->argv;
	if (p->nretry > 0)
		files_path(cur, p->entry_ts, p->nr, p->retry_arg[0], gone ? NULL : (const char *)p->retry[0], NULL);
	if (p->nretry > 1)
		files_path(cur, p->entry_ts, p->nr, p->retry_arg[1], gone ? NULL : (const char *)p->retry[1], NULL);
	p->entry_ts = 0;
	return 0;
}
