/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kmem family: wire structs (the one definition, shared by kmem.bpf.c
 * and the TypeScript decoder through formats/gen/events.gen.ts). Rules as
 * in bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts).
 */
#ifndef KTAPE_KMEM_H
#define KTAPE_KMEM_H

#include "../../bpf/events.h"

#define KT_STACK_DEPTH 64
/* stack ids from kt_stacks_spill (a stack whose kt_stacks bucket held another) carry this bit */
#define KT_STACK_SPILL 0x40000000

enum kt_kmem_kind {
	KT_KMALLOC = 11,
	KT_KFREE = 12,
	KT_KMEM_CACHE_ALLOC = 13,
	KT_KMEM_CACHE_FREE = 14,
};

/* Settings: section .rodata.kmem. */
struct kt_kmem_config {
	__u32 stacks; /* 1 = capture kernel stacks for allocations */
	__u32 _pad0;
};

/* KT_KMALLOC and KT_KMEM_CACHE_ALLOC. subject = current */
struct kt_kmem_alloc {
	struct kt_hdr h;
	__u32 tgid;
	__s32 stack_id; /* kt_stacks id, or -errno (-EEXIST = hash collision, never reused) */
	__u64 ptr;
	__u64 call_site;
	__u64 bytes_req;
	__u64 bytes_alloc;
	__u32 gfp_flags;
	__s32 node;
};

/* KT_KFREE and KT_KMEM_CACHE_FREE. subject = current */
struct kt_kmem_free {
	struct kt_hdr h;
	__u32 tgid;
	__u32 _pad0;
	__u64 ptr;
	__u64 call_site;
};

#endif /* KTAPE_KMEM_H */
