/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmem family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 */
#include "../../bpf/common.bpf.h"
#include "kmem.h"

SEC(".rodata.kmem") const volatile struct kt_kmem_config kt_kmem_cfg = {};

#ifndef EEXIST
#define EEXIST 17
#endif

/* No BPF_F_REUSE_STACKID: a hash collision returns -EEXIST instead of
 * overwriting a bucket, so an id never changes meaning during a capture. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 32768); /* resized by userspace */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KT_STACK_DEPTH * sizeof(__u64));
} kt_stacks SEC(".maps");

/* Where a stack goes when its bucket in kt_stacks holds another one. The
 * map's hash is unseeded, so the same bucket count would clash again; the
 * stack is taken one frame in (skipping the program's own frame, which the
 * stacks view drops anyway), which hashes elsewhere. Its ids carry
 * KT_STACK_SPILL. */
struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 4096);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, KT_STACK_DEPTH * sizeof(__u64));
} kt_stacks_spill SEC(".maps");

/* The allocation's stack id: kt_stacks, else kt_stacks_spill, else < 0 (counted). */
static __always_inline __s32 kt_stack_id(void *ctx)
{
	long r = bpf_get_stackid(ctx, &kt_stacks, 0);
	if (r == -EEXIST) {
		r = bpf_get_stackid(ctx, &kt_stacks_spill, 1);
		if (r >= 0)
			return (__s32)(r | KT_STACK_SPILL);
	}
	if (r == -EEXIST)
		count_stat(KT_STAT_STACK_COLLISION);
	else if (r < 0)
		count_stat(KT_STAT_STACK_ERROR);
	return (__s32)r;
}

static __always_inline int emit_alloc(void *ctx, __u32 kind, __u64 call_site, const void *ptr,
				      __u64 req, __u64 alloc, __u32 gfp, int node)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	__s32 sid = -1;
	if (kt_kmem_cfg.stacks)
		sid = kt_stack_id(ctx);
	struct kt_kmem_alloc *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, kind, (__u32)cur);
	e->tgid = cur >> 32;
	e->stack_id = sid;
	e->ptr = (__u64)ptr;
	e->call_site = call_site;
	e->bytes_req = req;
	e->bytes_alloc = alloc;
	e->gfp_flags = gfp;
	e->node = node;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline int emit_free(__u32 kind, __u64 call_site, const void *ptr)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!ptr || !wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_kmem_free *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, kind, (__u32)cur);
	e->tgid = cur >> 32;
	e->_pad0 = 0;
	e->ptr = (__u64)ptr;
	e->call_site = call_site;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tp_btf/kmalloc")
int BPF_PROG(kt_kmalloc, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	KT_MAIN(KT_KMALLOC, (__u64)ptr, 0, emit_alloc(ctx, KT_KMALLOC, call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node));
	return 0;
}

SEC("tp_btf/kmalloc")
int BPF_PROG(kt_kmalloc_nested, unsigned long call_site, const void *ptr, size_t bytes_req,
	     size_t bytes_alloc, gfp_t gfp_flags, int node)
{
	KT_NESTED(KT_KMALLOC, (__u64)ptr, 0, emit_alloc(ctx, KT_KMALLOC, call_site, ptr, bytes_req, bytes_alloc, gfp_flags, node));
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(kt_kmem_cache_alloc, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp_flags, int node)
{
	KT_MAIN(KT_KMEM_CACHE_ALLOC, (__u64)ptr, 0,
		emit_alloc(ctx, KT_KMEM_CACHE_ALLOC, call_site, ptr, s->object_size, s->size, gfp_flags, node));
	return 0;
}

SEC("tp_btf/kmem_cache_alloc")
int BPF_PROG(kt_kmem_cache_alloc_nested, unsigned long call_site, const void *ptr, struct kmem_cache *s,
	     gfp_t gfp_flags, int node)
{
	KT_NESTED(KT_KMEM_CACHE_ALLOC, (__u64)ptr, 0,
		  emit_alloc(ctx, KT_KMEM_CACHE_ALLOC, call_site, ptr, s->object_size, s->size, gfp_flags, node));
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(kt_kfree, unsigned long call_site, const void *ptr)
{
	KT_MAIN(KT_KFREE, (__u64)ptr, 0, emit_free(KT_KFREE, call_site, ptr));
	return 0;
}

SEC("tp_btf/kfree")
int BPF_PROG(kt_kfree_nested, unsigned long call_site, const void *ptr)
{
	KT_NESTED(KT_KFREE, (__u64)ptr, 0, emit_free(KT_KFREE, call_site, ptr));
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(kt_kmem_cache_free, unsigned long call_site, const void *ptr, const struct kmem_cache *s)
{
	KT_MAIN(KT_KMEM_CACHE_FREE, (__u64)ptr, 0, emit_free(KT_KMEM_CACHE_FREE, call_site, ptr));
	return 0;
}

SEC("tp_btf/kmem_cache_free")
int BPF_PROG(kt_kmem_cache_free_nested, unsigned long call_site, const void *ptr, const struct kmem_cache *s)
{
	KT_NESTED(KT_KMEM_CACHE_FREE, (__u64)ptr, 0, emit_free(KT_KMEM_CACHE_FREE, call_site, ptr));
	return 0;
}
