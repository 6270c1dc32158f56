/** The cache family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

export const TABLES: TableDef[] = [
  {
    name: 'cache_ev',
    role: 'event',
    group: 'cache',
    since: '1.7',
    doc: 'One row per page cache event, in the task current when it fired: filemap:mm_filemap_add_to_page_cache (a folio entered the page cache), mm_filemap_get_pages (a read found its folios), mm_filemap_fault (a fault on a file mapping), mm_filemap_map_pages (fault-around) and writeback:writeback_dirty_folio (a clean folio became dirty). The cache_pages and cache_by_process views turn them into read hits and misses, write hits and pages dirtied (families/cache/sql/cache.sql). With a process filter, kept when the current task is selected.',
    columns: [
      TS,
      CPU,
      c(
        'event',
        'u8',
        '0 add (mm_filemap_add_to_page_cache), 1 read (mm_filemap_get_pages), 2 fault (mm_filemap_fault), 3 map (mm_filemap_map_pages), 4 dirty (writeback_dirty_folio)',
      ),
      c('tid', 'i32', 'the task current when the event fired'),
      c('tgid', 'i32', 'its process'),
      c('dev', 'u32', "the file's device: its superblock's s_dev in the kernel encoding (major << 20 | minor), as the filemap tracepoints print it"),
      c('ino', 'u64', "the file's inode number (with dev: the file)"),
      c('index', 'u64', 'first page of the range (page index in the file: offset / 4096)'),
      c(
        'last',
        'u64',
        'last page of the range, inclusive: add and dirty: the folio (index + folio_nr_pages - 1); read: the last page the read asked for from index (the tracepoint reports the rest of the request, not what this call returned: see cache.sql); fault: index; map: end_pgoff',
      ),
      c('isize', 'i64', "the file's size in bytes (i_size) when the event fired"),
    ],
  },
  {
    name: 'cache_meminfo',
    role: 'meta',
    group: 'cache',
    since: '1.7',
    doc: "The system's page cache size from /proc/meminfo, read as the recording starts (before the programs attach) and as it ends (after the last drain): one row each. Empty when cache was not recorded.",
    columns: [
      c('phase', 'utf8', "'start' or 'end'"),
      c('ts', 'i64', 'when it was read, ns since boot (CLOCK_BOOTTIME)'),
      c('cached_bytes', 'u64', 'Cached: page cache pages of files (not swap cache), bytes'),
      c('buffers_bytes', 'u64', 'Buffers: block device buffers, bytes'),
    ],
  },
];
