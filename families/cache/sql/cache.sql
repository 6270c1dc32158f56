-- Page cache: read hits, read misses, write hits, write misses and pages dirtied, per process and per file, from
-- cache_ev (filemap:mm_filemap_add_to_page_cache, mm_filemap_get_pages, mm_filemap_fault, mm_filemap_map_pages,
-- writeback:writeback_dirty_folio). Everything is counted in pages (4096 bytes, x86-64), never in folios.
--
-- The classic tools count function calls: cachestat (libbpf-tools) takes total = mark_page_accessed -
-- mark_buffer_dirty, misses = add_to_page_cache_lru - account_page_dirtied, hits = total - misses, ratio =
-- hits / total; cachetop (BCC) counts the same four per process. Those are folio calls (a large folio is one
-- access), subtract write adds from read misses in bulk, and go negative when readahead adds more than is read.
-- ktape has no kprobes; the tracepoints name the file and the pages, so the rule here is per page, in each
-- process's own history of each page of each file.
--
-- 1. The pages an event stands for (_cache_rng):
--    - add: the folio added (index .. index + folio_nr_pages - 1), in the task that added it: a read's readahead
--      or its own folio, a fault's readahead (read-around), a write's new folio (write_begin).
--    - read (mm_filemap_get_pages): filemap_read() calls filemap_get_pages() once per batch of up to 31 folios
--      and the tracepoint reports what the read still asks for from its position (index .. last), not what the
--      batch holds. So a read's pages are [index, last], cut at the file's end (isize), and cut before the next
--      read event of the same thread and file when that one continues it (same last, index inside the range):
--      exact for read(2)/pread(2)/readv of any size and for large folios. Not exact: a later pread that starts
--      inside the previous range and ends at the same page looks like a continuation (the earlier one then
--      counts fewer pages); a read that stops early (a fault in the user buffer, a signal) counts the rest of its
--      batch's range.
--    - fault (mm_filemap_fault): the faulting page, one page (a fault on a large folio may map more of it).
--    - dirty (writeback_dirty_folio): the folio that became dirty (clean → dirty: folio_account_dirtied);
--      writing a page that is already dirty has no event, so it is neither a write hit nor a miss.
--    - map (mm_filemap_map_pages, fault-around): NOT a page history event. filemap_map_pages() maps the
--      cached, uptodate folios of start..end around a fault and the tracepoint reports the range, not which
--      pages it mapped nor whether the faulting page was one: a cached mmap read is usually served there
--      without a filemap_fault. Its range (cut at the file's end) is reported as fault_around_pages, an upper
--      bound of pages mapped from the cache, and is not in the hits.
--    A range longer than 65536 pages (256 MiB: more than any batch; only a damaged or hostile capture) is cut
--    to its first 65536.
-- 2. Each page's history per process (tgid, dev, ino, page; by ts, an add before an access at the same ns):
--    - an add is a WRITE MISS when the process's next event on the page is its dirtying (write_begin added
--      it, write_end dirtied it), else a READ MISS. Read misses include readahead pages never read in the
--      capture (as in cachestat), and a page added by a read and then written with no read of it between
--      counts as a write miss.
--    - a read or fault of a page is the access of a miss (counted once, at the add) when the process's
--      previous event on the page is its add, or when it is a fault whose own readahead added the page (an
--      add of that page by the same thread after the fault, before that thread's next non-add event on the
--      file); otherwise a READ HIT: the page was in the cache, whoever brought it in. Two reads of one page
--      count two hits (as the classic tools count accesses).
--    - a dirtying is a WRITE HIT unless the process's previous event on the page is its add (then it is the
--      write miss's): the write found the page in the cache.
--    hit_ratio = read_hits / (read_hits + read_misses). dirtied = write_hits + write_misses (pages made dirty).
-- Attribution: the task current at the event. Readahead, faults and writes run in the task that reads, faults
-- or writes; writeback (the flusher kworker) cleans pages and has no event here. Pages dirtied by the kernel on
-- a task's behalf elsewhere (jbd2's metadata buffers) count for that kernel thread.
-- requires: (only capture tables)

CREATE OR REPLACE MACRO _cache_event_name(e) AS CASE e WHEN 0 THEN 'add' WHEN 1 THEN 'read' WHEN 2 THEN 'fault' WHEN 3 THEN 'map' WHEN 4 THEN 'dirty' ELSE 'event_' || e END;

-- the page range of each event (lo .. hi, inclusive; hi < lo: no page)
CREATE OR REPLACE TABLE _cache_rng AS
WITH e AS (
  SELECT ts, cpu, event, tid, tgid, dev, ino, least(index, 4611686018427387904)::BIGINT AS lo, least(last, 4611686018427387904)::BIGINT AS last,
         -- the file's last page (isize 0: -1, no page)
         (greatest(isize, 0) + 4095) // 4096 - 1 AS eof
  FROM _cache_ev
), r AS (
  SELECT *, lead(lo) OVER w AS next_lo, lead(last) OVER w AS next_last FROM e WHERE event = 1
  WINDOW w AS (PARTITION BY tid, dev, ino ORDER BY ts, cpu)
)
SELECT ts, cpu, event, tid, tgid, dev, ino, lo,
       least(lo + 65535, CASE WHEN event IN (1, 3) THEN least(last, eof) ELSE last END,
             CASE WHEN next_last = last AND next_lo > lo AND next_lo <= last THEN next_lo - 1 END) AS hi
FROM (SELECT *, NULL::BIGINT AS next_lo, NULL::BIGINT AS next_last FROM e WHERE event <> 1 UNION ALL SELECT * FROM r);

-- one row per page of each add, read, fault and dirty, classified (see 2. above)
CREATE OR REPLACE TABLE _cache_page AS
WITH p AS (
  SELECT ts, tid, tgid, dev, ino, event, unnest(range(lo, hi + 1)) AS page, burst FROM (
    -- per thread and file: the non-add events so far (a fault and the adds of its readahead share it)
    SELECT *, sum(CASE WHEN event = 0 THEN 0 ELSE 1 END) OVER (PARTITION BY tid, dev, ino ORDER BY ts, event ROWS UNBOUNDED PRECEDING) AS burst
    FROM _cache_rng WHERE event IN (0, 1, 2, 4) AND hi >= lo
  )
), h AS (
  SELECT *, lag(event) OVER w AS prev, lead(event) OVER w AS next,
         -- the thread added this page in this burst (for a fault: its own readahead did)
         bool_or(event = 0) OVER (PARTITION BY tid, dev, ino, page, burst) AS burst_added
  FROM p
  WINDOW w AS (PARTITION BY tgid, dev, ino, page ORDER BY ts, event)
)
SELECT ts, tid, tgid, dev, ino, page, event,
       CASE
         WHEN event = 0 THEN CASE WHEN next = 4 THEN 'write_miss' ELSE 'read_miss' END
         WHEN event = 4 THEN CASE WHEN prev = 0 THEN 'write_miss_dirty' ELSE 'write_hit' END
         WHEN prev = 0 OR (event = 2 AND burst_added) THEN 'miss_read'
         ELSE 'read_hit'
       END AS class
FROM h;

-- @view cache_pages: One row per page of each page cache event (add, read, fault, dirty), classified by the rule above.
-- @col ts: event time, ns since boot
-- @col tid: the task current at the event
-- @col tgid: its process
-- @col dev: the file's device (superblock s_dev, major << 20 | minor)
-- @col ino: the file's inode number
-- @col page: page index in the file (offset / 4096)
-- @col event: 'add', 'read' (read(2) and the like: filemap_read), 'fault' (filemap_fault) or 'dirty'
-- @col class: add: 'read_miss' or 'write_miss'; read/fault: 'read_hit' or 'miss_read' (the read of a page the
--   process added: its miss is the add); dirty: 'write_hit' or 'write_miss_dirty' (the dirtying of a page the write added)
CREATE OR REPLACE VIEW cache_pages AS
SELECT ts, tid, tgid, dev, ino, page, _cache_event_name(event) AS event, class FROM _cache_page;

-- @view cache_fault_around: Fault-around (mm_filemap_map_pages) per process and file: events and the pages of their ranges, cut at the file's end (an upper bound of the pages mapped from the cache).
-- @col tgid: process
-- @col dev: the file's device (major << 20 | minor)
-- @col ino: the file's inode number
-- @col events: mm_filemap_map_pages events
-- @col pages: pages in their ranges
CREATE OR REPLACE VIEW cache_fault_around AS
SELECT tgid, dev, ino, count(*) AS events, coalesce(sum(greatest(hi - lo + 1, 0)), 0) AS pages FROM _cache_rng WHERE event = 3 GROUP BY tgid, dev, ino;

-- @view cache_by_file: Page cache per process and file (the rule above), in pages.
-- @col tgid: process
-- @col dev: the file's device (major << 20 | minor)
-- @col major: dev's major number
-- @col minor: dev's minor number
-- @col ino: the file's inode number
-- @col read_hits: pages read (read(2), faults) that were in the cache
-- @col read_misses: pages the process added to the cache that were not for a write (its reads, readahead, faults)
-- @col write_hits: pages a write made dirty that were in the cache, clean
-- @col write_misses: pages the process added to the cache for a write (then dirtied)
-- @col dirtied: pages the process made dirty (write_hits + write_misses)
-- @col read_pages: pages read by read(2) and faults (hits and the reads of its misses)
-- @col fault_around_pages: pages in fault-around ranges (mm_filemap_map_pages; upper bound, not in the hits)
-- @col hit_ratio: read_hits / (read_hits + read_misses); NULL without either
CREATE OR REPLACE VIEW cache_by_file AS
SELECT coalesce(c.tgid, m.tgid) AS tgid, coalesce(c.dev, m.dev) AS dev, coalesce(c.dev, m.dev) >> 20 AS major,
       coalesce(c.dev, m.dev) & 1048575 AS minor, coalesce(c.ino, m.ino) AS ino,
       coalesce(c.read_hits, 0) AS read_hits, coalesce(c.read_misses, 0) AS read_misses, coalesce(c.write_hits, 0) AS write_hits,
       coalesce(c.write_misses, 0) AS write_misses, coalesce(c.dirtied, 0) AS dirtied, coalesce(c.read_pages, 0) AS read_pages,
       coalesce(m.pages, 0) AS fault_around_pages,
       CASE WHEN c.read_hits + c.read_misses > 0 THEN c.read_hits / (c.read_hits + c.read_misses) END AS hit_ratio
FROM (
  SELECT tgid, dev, ino,
         count(*) FILTER (WHERE class = 'read_hit') AS read_hits, count(*) FILTER (WHERE class = 'read_miss') AS read_misses,
         count(*) FILTER (WHERE class = 'write_hit') AS write_hits, count(*) FILTER (WHERE class = 'write_miss') AS write_misses,
         count(*) FILTER (WHERE event = 4) AS dirtied, count(*) FILTER (WHERE event IN (1, 2)) AS read_pages
  FROM _cache_page GROUP BY tgid, dev, ino
) c FULL JOIN cache_fault_around m ON m.tgid = c.tgid AND m.dev = c.dev AND m.ino = c.ino;

-- @view cache_by_process: Page cache per process (the rule above, summed over its files), in pages.
-- @col tgid: process
-- @col read_hits: pages read that were in the cache
-- @col read_misses: pages it added to the cache, not for a write
-- @col write_hits: pages a write made dirty that were in the cache
-- @col write_misses: pages it added for a write
-- @col dirtied: pages it made dirty
-- @col read_pages: pages read by read(2) and faults
-- @col fault_around_pages: pages in fault-around ranges (upper bound, not in the hits)
-- @col files: files (dev, ino) it touched
-- @col hit_ratio: read_hits / (read_hits + read_misses)
CREATE OR REPLACE VIEW cache_by_process AS
SELECT tgid, sum(read_hits)::BIGINT AS read_hits, sum(read_misses)::BIGINT AS read_misses, sum(write_hits)::BIGINT AS write_hits,
       sum(write_misses)::BIGINT AS write_misses, sum(dirtied)::BIGINT AS dirtied, sum(read_pages)::BIGINT AS read_pages,
       sum(fault_around_pages)::BIGINT AS fault_around_pages, count(*) AS files,
       CASE WHEN sum(read_hits) + sum(read_misses) > 0 THEN sum(read_hits) / (sum(read_hits) + sum(read_misses)) END AS hit_ratio
FROM cache_by_file GROUP BY tgid;

-- @view cache_meminfo: The system's page cache size from /proc/meminfo at the start and at the end of the recording.
-- @col phase: 'start' or 'end'
-- @col ts: when it was read, ns since boot
-- @col cached_bytes: Cached (file pages in the page cache), bytes
-- @col buffers_bytes: Buffers (block device buffers), bytes
CREATE OR REPLACE VIEW cache_meminfo AS
SELECT phase, ts, cached_bytes, buffers_bytes FROM _cache_meminfo ORDER BY ts;
