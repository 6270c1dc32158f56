/* SPDX-License-Identifier: Apache-2.0 */
/*
 * io family: wire structs (the one definition, shared by io.bpf.c and the
 * TypeScript decoder through formats/gen/events.gen.ts). Rules as in
 * bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts).
 */
#ifndef KTAPE_IO_H
#define KTAPE_IO_H

#include "../../bpf/events.h"

enum kt_io_kind {
	KT_IO_START = 18,    /* block:block_io_start: a bio became a new request, in the submitting task */
	KT_IO_INSERT = 19,   /* block:block_rq_insert: into the I/O scheduler's queue */
	KT_IO_ISSUE = 20,    /* block:block_rq_issue: handed to the driver */
	KT_IO_COMPLETE = 21, /* block:block_rq_complete: the device finished (some of) it */
};

/* ktape's request flags (kt_io_rq.flags), from rq->cmd_flags through the
 * kernel's own enum req_flag_bits (CO-RE), so that they mean the same on
 * every kernel. */
#define KT_IO_F_SYNC 1
#define KT_IO_F_META 2
#define KT_IO_F_FUA 4
#define KT_IO_F_PREFLUSH 8
#define KT_IO_F_RAHEAD 16
#define KT_IO_F_BACKGROUND 32

/* One event of a block request. h.tid and tgid: current (the task the event
 * fired in: the submitter at start, often a kworker or an interrupted task
 * later). sub_*: the submitter, remembered at block_io_start in a BPF map
 * keyed by the request's address; 0 / "" when no start was seen for it. */
struct kt_io_rq {
	struct kt_hdr h;
	__u32 tgid;
	__u32 dev;       /* disk dev_t, kernel encoding: major << 20 | minor */
	__u64 rq;        /* struct request address: the request's identity while it is in flight */
	__u64 sector;    /* first sector (512 bytes), on the whole disk */
	__u32 bytes;     /* bytes of the request; at complete: bytes this completion finished */
	__u32 op;        /* REQ_OP_*: 0 read, 1 write, 2 flush, 3 discard, 5 secure erase, 9 write zeroes, ... */
	__u32 flags;     /* KT_IO_F_* */
	__s32 status;    /* complete: blk_status_t (0 ok); 0 otherwise */
	__u32 done;      /* complete: 1 when this completion ends the request (no bytes left) */
	__u32 sub_tid;   /* submitter thread (0: unknown) */
	__u32 sub_tgid;  /* its process */
	__u32 _pad0;
	char sub_comm[KT_COMM_LEN]; /* its comm at block_io_start */
};

#endif /* KTAPE_IO_H */
