/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 *
 * exceptions:page_fault_user / page_fault_kernel fire at the entry of the
 * x86 page fault exception, before the kernel handles it, so they cannot
 * say whether the fault turns out minor or major. Each record carries the
 * faulting task's own counters (task_struct min_flt/maj_flt) as they are
 * at its entry; mm_account_fault() adds the fault to one of them at the end
 * of its handling. The next observation of the same task (its next fault,
 * its exit here, or the recorder's read of /proc at the end) shows which
 * counter moved: families/fault/sql/faults.sql has the rule.
 *
 * The filemap programs say which file a fault reached (the fault handler of
 * a file mapping, filemap_fault(), or its fault-around, filemap_map_pages());
 * each inode's name (its dentry and three parents) is kept once in
 * kt_fault_names, read at the end of the recording.
 *
 * Filter: the recorder/tgid/comm filter of current, as for syscalls.
 *
 * Fields are read by direct (BTF, CO-RE relocated) loads from the
 * tracepoints' typed arguments and current (bpf_get_current_task_btf()),
 * not bpf_probe_read_kernel() calls; only the file names' dentry walk,
 * once per inode, reads with them.
 */
#include "../../bpf/common.bpf.h"
#include "fault.h"

struct kt_fault_key {
	__u32 dev;
	__u32 _pad;
	__u64 ino;
};

struct kt_fault_name {
	char parts[KT_FAULT_NAME_PARTS][KT_FAULT_NAME_LEN]; /* the file's name, then its parents' */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct kt_fault_key);
	__type(value, struct kt_fault_name);
} kt_fault_names SEC(".maps");

static __always_inline int fault_event(__u64 address, struct pt_regs *regs, __u64 error_code, __u32 user)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_fault *e = reserve(sizeof(*e), KT_FAULT, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_FAULT, (__u32)cur);
	e->tgid = cur >> 32;
	e->error_code = error_code;
	e->address = address;
	e->ip = regs->ip;
	e->min_flt = t->min_flt;
	e->maj_flt = t->maj_flt;
	e->user = user;
	e->_pad0 = 0;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/page_fault_user")
int BPF_PROG(kt_fault_user, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return fault_event(address, regs, error_code, 1);
}

SEC("tp_btf/page_fault_kernel")
int BPF_PROG(kt_fault_kernel, unsigned long address, struct pt_regs *regs, unsigned long error_code)
{
	return fault_event(address, regs, error_code, 0);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(kt_fault_exit, struct task_struct *p)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_fault_exit *e = reserve(sizeof(*e), KT_FAULT_EXIT, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_FAULT_EXIT, (__u32)cur);
	e->tgid = cur >> 32;
	e->_pad0 = 0;
	e->min_flt = t->min_flt;
	e->maj_flt = t->maj_flt;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* the inode's first dentry and its parents' names, once per inode */
static __always_inline void fault_name(struct inode *inode, struct kt_fault_key *k)
{
	if (bpf_map_lookup_elem(&kt_fault_names, k))
		return;
	struct kt_fault_name n = {};
	struct hlist_node *first = BPF_CORE_READ(inode, i_dentry.first);
	if (!first)
		return;
	struct dentry *d = (void *)first - bpf_core_field_offset(struct dentry, d_u.d_alias);
	for (int i = 0; i < KT_FAULT_NAME_PARTS; i++) {
		const unsigned char *name = BPF_CORE_READ(d, d_name.name);
		bpf_probe_read_kernel_str(n.parts[i], KT_FAULT_NAME_LEN, name);
		struct dentry *up = BPF_CORE_READ(d, d_parent);
		if (!up || up == d)
			break;
		d = up;
	}
	bpf_map_update_elem(&kt_fault_names, k, &n, BPF_NOEXIST);
}

static __always_inline int file_event(struct address_space *mapping, __u64 first, __u64 last, __u32 event)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	struct inode *inode = mapping->host;
	if (!inode)
		return 0;
	struct kt_fault_key k = { .dev = inode->i_sb->s_dev, ._pad = 0, .ino = inode->i_ino };
	fault_name(inode, &k);
	struct task_struct *t = bpf_get_current_task_btf();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_fault_file *e = reserve(sizeof(*e), KT_FAULT_FILE, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, KT_FAULT_FILE, (__u32)cur);
	e->tgid = cur >> 32;
	e->event = event;
	e->dev = k.dev;
	e->_pad0 = 0;
	e->ino = k.ino;
	e->first = first;
	e->last = last;
	e->min_flt = t->min_flt;
	e->maj_flt = t->maj_flt;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/mm_filemap_fault")
int BPF_PROG(kt_fault_filemap, struct address_space *mapping, unsigned long index)
{
	return file_event(mapping, index, index, 0);
}

SEC("tp_btf/mm_filemap_map_pages")
int BPF_PROG(kt_fault_map_pages, struct address_space *mapping, unsigned long start, unsigned long end)
{
	return file_event(mapping, start, end, 1);
}
