/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cache family: wire structs (the one definition, shared by cache.bpf.c and
 * the TypeScript decoder through formats/gen/events.gen.ts). Rules as in
 * bpf/events.h. Kind numbers are unique across families (checked by
 * test/unit/families.test.ts).
 */
#ifndef KTAPE_CACHE_H
#define KTAPE_CACHE_H

#include "../../bpf/events.h"

enum kt_cache_kind {
	KT_CACHE_ADD = 25,   /* filemap:mm_filemap_add_to_page_cache: a folio entered the page cache */
	KT_CACHE_READ = 26,  /* filemap:mm_filemap_get_pages: a read(2)-style read found its folios (filemap_read) */
	KT_CACHE_FAULT = 27, /* filemap:mm_filemap_fault: a page fault on a file mapping looks up its page */
	KT_CACHE_MAP = 28,   /* filemap:mm_filemap_map_pages: fault-around mapped cached pages */
	KT_CACHE_DIRTY = 29, /* writeback:writeback_dirty_folio: a clean folio became dirty (folio_account_dirtied) */
};

/* One page cache event, in the task current when it fired (h.tid, tgid).
 * The file is (dev, ino): the superblock's s_dev (kernel encoding major << 20 | minor, as the
 * filemap tracepoints print it) and i_ino of mapping->host. index..last: the page range (page
 * indexes in the file, inclusive): add and dirty: the folio (index, index + folio_nr_pages - 1);
 * read: the range the read asked for from this position (the tracepoint's index and
 * last_index); fault: the faulting page (last = index); map: start_pgoff..end_pgoff. */
struct kt_cache_ev {
	struct kt_hdr h;
	__u32 tgid;
	__u32 dev;
	__u64 ino;
	__u64 index;
	__u64 last;
	__s64 isize; /* the file's size in bytes (inode i_size) when the event fired */
};

#endif /* KTAPE_CACHE_H */
