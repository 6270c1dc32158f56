/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cache family: kernel programs (tp_btf, CO-RE). Compiled into the one BPF
 * object by bpf/ktape.bpf.c, which includes every family folder's .bpf.c.
 *
 * Every event is the task current when the tracepoint fired, with the file
 * (superblock dev, inode number), a page range and the file's size; what
 * counts as a hit or a miss is decided in SQL (families/cache/sql/cache.sql).
 * Nothing is aggregated here: per process and per file answers need the page
 * ranges in order. Filter: wanted() (the recorder's own reads never).
 * Fields are read by direct (BTF, CO-RE relocated) loads from the
 * tracepoints' typed arguments, not bpf_probe_read_kernel() calls.
 */
#include "../../bpf/common.bpf.h"
#include "cache.h"

/* as the filemap tracepoints: mapping->host->i_sb->s_dev, else i_rdev */
static __always_inline struct kt_cache_ev *cache_event(struct address_space *mapping, __u32 kind)
{
	__u64 cur = bpf_get_current_pid_tgid();
	if (!mapping || !wanted(cur))
		return 0;
	__u64 ts = bpf_ktime_get_boot_ns();
	struct kt_cache_ev *e = reserve(sizeof(*e), kind, ts);
	if (!e)
		return 0;
	fill_hdr(&e->h, ts, kind, (__u32)cur);
	e->tgid = cur >> 32;
	struct inode *host = mapping->host;
	struct super_block *sb = host->i_sb;
	e->dev = sb ? sb->s_dev : host->i_rdev;
	e->ino = host->i_ino;
	e->isize = host->i_size;
	return e;
}

/* folio_nr_pages(): 1, or 1 << the order kept in the second page's flags for a large folio */
static __always_inline __u64 folio_pages(struct folio *folio)
{
	unsigned long flags = *(const unsigned long *)&folio->flags; /* unsigned long, or memdesc_flags_t (6.18) */
	if (!(flags & (1UL << bpf_core_enum_value(enum pageflags, PG_head))))
		return 1;
	return 1ULL << (folio->_flags_1 & 0xff);
}

static __always_inline int cache_folio(struct folio *folio, struct address_space *mapping, __u32 kind)
{
	struct kt_cache_ev *e = cache_event(mapping, kind);
	if (!e)
		return 0;
	e->index = folio->index;
	e->last = e->index + folio_pages(folio) - 1;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

static __always_inline int cache_range(struct address_space *mapping, __u32 kind, __u64 index, __u64 last)
{
	struct kt_cache_ev *e = cache_event(mapping, kind);
	if (!e)
		return 0;
	e->index = index;
	e->last = last;
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/* __filemap_add_folio(), in the task that adds it: a read's readahead or its own folio, a fault's, a write's */
SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(kt_cache_add, struct folio *folio)
{
	return cache_folio(folio, folio->mapping, KT_CACHE_ADD);
}

/* filemap_get_pages(), at its success: index = ki_pos's page, last = the last page the read asked for */
SEC("tp_btf/mm_filemap_get_pages")
int BPF_PROG(kt_cache_read, struct address_space *mapping, unsigned long index, unsigned long last_index)
{
	return cache_range(mapping, KT_CACHE_READ, index, last_index);
}

/* filemap_fault(), before it looks the page up (a readahead may add it afterwards) */
SEC("tp_btf/mm_filemap_fault")
int BPF_PROG(kt_cache_fault, struct address_space *mapping, unsigned long index)
{
	return cache_range(mapping, KT_CACHE_FAULT, index, index);
}

/* filemap_map_pages(), after fault-around mapped the cached, uptodate folios of the range */
SEC("tp_btf/mm_filemap_map_pages")
int BPF_PROG(kt_cache_map, struct address_space *mapping, unsigned long start, unsigned long end)
{
	return cache_range(mapping, KT_CACHE_MAP, start, end);
}

/* folio_account_dirtied(): a clean folio of a mapping became dirty, in the task dirtying it */
SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(kt_cache_dirty, struct folio *folio, struct address_space *mapping)
{
	return cache_folio(folio, mapping, KT_CACHE_DIRTY);
}
