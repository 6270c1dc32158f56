/* SPDX-License-Identifier: GPL-2.0 */
/*
 * io family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 *
 * Attribution: block_io_start runs in the task that submits the bio that
 * becomes a new request (submit_bio → blk_mq_submit_bio). It remembers that
 * task in kt_io_subs under the request's address; insert, issue and
 * complete (a kworker, an interrupt, another task's plug) look it up and
 * carry it in sub_*, and the final completion forgets it. A request whose
 * start was not seen (started before the capture; internal requests such as
 * the flush the block layer sends for an fsync; a queue with iostats off)
 * has no submitter (sub_tid 0).
 *
 * Filter: with -p/--comm or a followed command, a request is recorded when
 * its submitter is wanted; requests without a known submitter only when no
 * filter is set. The recorder's own requests are never recorded.
 *
 * Fields are read by direct (BTF, CO-RE relocated) loads from the
 * tracepoints' typed arguments, not bpf_probe_read_kernel() calls.
 */
#include "../../bpf/common.bpf.h"
#include "io.h"

#define KT_REQ_OP_MASK 0xff /* (1 << REQ_OP_BITS) - 1 */

struct kt_io_sub {
	__u32 tid;
	__u32 tgid;
	__u32 wanted;
	__u32 _pad;
	char comm[KT_COMM_LEN];
};

/* request address → its submitter, from block_io_start to its final completion. A plain hash,
 * not an LRU one: an LRU map may evict an entry of a request still in flight (its per-CPU free
 * lists run dry before the map is full), and its completion would then lose its submitter.
 * Entries stay bounded without eviction: request addresses are a fixed set (preallocated per
 * tag set), a start overwrites its address's entry, the final completion deletes it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct kt_io_sub);
} kt_io_subs SEC(".maps");

static __always_inline __u32 io_flags(__u32 f)
{
	__u32 r = 0;
	if (f & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_SYNC)))
		r |= KT_IO_F_SYNC;
	if (f & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_META)))
		r |= KT_IO_F_META;
	if (f & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_FUA)))
		r |= KT_IO_F_FUA;
	if (f & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_PREFLUSH)))
		r |= KT_IO_F_PREFLUSH;
	if (f & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_RAHEAD)))
		r |= KT_IO_F_RAHEAD;
	if (f & (1U << bpf_core_enum_value(enum req_flag_bits, __REQ_BACKGROUND)))
		r |= KT_IO_F_BACKGROUND;
	return r;
}

/* as the tracepoints: disk_devt(rq->q->disk), MKDEV(major, first_minor) */
static __always_inline __u32 io_dev(struct request *rq)
{
	struct gendisk *disk = rq->q->disk;
	if (!disk)
		return 0;
	return ((__u32)disk->major << 20) | (__u32)disk->first_minor;
}

/* the request's fields, current and the submitter; bytes and the completion fields are the caller's */
static __always_inline struct kt_io_rq *io_event(struct request *rq, __u32 kind, struct kt_io_sub *s)
{
	__u64 cur = bpf_get_current_pid_tgid();
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_io_rq *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, kind, (__u32)cur);
	e->tgid = cur >> 32;
	e->dev = io_dev(rq);
	e->rq = (__u64)rq;
	e->sector = rq->__sector;
	__u32 f = rq->cmd_flags;
	e->op = f & KT_REQ_OP_MASK;
	e->flags = io_flags(f);
	e->status = 0;
	e->done = 0;
	e->_pad0 = 0;
	if (s) {
		e->sub_tid = s->tid;
		e->sub_tgid = s->tgid;
		__builtin_memcpy(e->sub_comm, s->comm, KT_COMM_LEN);
	} else {
		e->sub_tid = 0;
		e->sub_tgid = 0;
		__builtin_memset(e->sub_comm, 0, KT_COMM_LEN);
	}
	return e;
}

/* the submitter of rq, or NULL; *keep: whether its events are recorded */
static __always_inline struct kt_io_sub *io_sub(struct request *rq, int *keep)
{
	__u64 key = (__u64)rq;
	struct kt_io_sub *s = bpf_map_lookup_elem(&kt_io_subs, &key);
	if (s)
		*keep = s->wanted;
	else
		*keep = !kt_cfg.filter_tgids && !kt_cfg.filter_comm;
	return s;
}

SEC("tp_btf/block_io_start")
int BPF_PROG(kt_io_start, struct request *rq)
{
	__u64 cur = bpf_get_current_pid_tgid();
	__u64 key = (__u64)rq;
	struct kt_io_sub s = { .tid = (__u32)cur, .tgid = cur >> 32, .wanted = wanted(cur) };
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	bpf_map_update_elem(&kt_io_subs, &key, &s, BPF_ANY);
	if (!s.wanted)
		return 0;
	struct kt_io_rq *e = io_event(rq, KT_IO_START, &s);
	if (!e)
		return 0;
	e->bytes = rq->__data_len;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline int io_queue_event(struct request *rq, __u32 kind)
{
	int keep;
	struct kt_io_sub *s = io_sub(rq, &keep);
	if (!keep)
		return 0;
	struct kt_io_rq *e = io_event(rq, kind, s);
	if (!e)
		return 0;
	e->bytes = rq->__data_len;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/block_rq_insert")
int BPF_PROG(kt_io_insert, struct request *rq)
{
	return io_queue_event(rq, KT_IO_INSERT);
}

SEC("tp_btf/block_rq_issue")
int BPF_PROG(kt_io_issue, struct request *rq)
{
	return io_queue_event(rq, KT_IO_ISSUE);
}

/* blk_update_request(): called before the request's remaining length (__data_len) drops by nr_bytes */
SEC("tp_btf/block_rq_complete")
int BPF_PROG(kt_io_complete, struct request *rq, blk_status_t error, unsigned int nr_bytes)
{
	int keep;
	struct kt_io_sub *s = io_sub(rq, &keep);
	__u32 left = rq->__data_len;
	__u32 done = nr_bytes >= left;
	if (keep) {
		struct kt_io_rq *e = io_event(rq, KT_IO_COMPLETE, s);
		if (e) {
			e->bytes = nr_bytes;
			e->status = error;
			e->done = done;
			bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
		}
	}
	if (s && done) {
		__u64 key = (__u64)rq;
		bpf_map_delete_elem(&kt_io_subs, &key);
	}
	return 0;
}
