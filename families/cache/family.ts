/**
 * The cache family: the page cache as the reading, faulting and writing tasks see it (filemap:mm_filemap_add_to_page_cache,
 * mm_filemap_get_pages, mm_filemap_fault, mm_filemap_map_pages, writeback:writeback_dirty_folio), and the system's
 * Cached and Buffers from /proc/meminfo at the start and the end.
 */
import { readFileSync } from 'node:fs';
import * as W from '../../formats/gen/events.gen.js';
import { readClocks } from '../../record/ring.js';
import type { Family, FinishCtx } from '../family.js';
import { TABLES as TASK_TABLES } from '../task/tables.js';
import { cacheCompare } from './compare.js';
import { cacheDecoder } from './decode.js';
import { TABLES } from './tables.js';

interface Meminfo {
  ts: bigint;
  cached_bytes: bigint;
  buffers_bytes: bigint;
}

/** Cached and Buffers of /proc/meminfo (kB there), or null without procfs */
function readMeminfo(): Meminfo | null {
  let text: string;
  try {
    text = readFileSync('/proc/meminfo', 'utf8');
  } catch {
    return null;
  }
  const kb = (key: string) => BigInt(new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text)?.[1] ?? '0') * 1024n;
  return { ts: readClocks().boottime, cached_bytes: kb('Cached'), buffers_bytes: kb('Buffers') };
}

/**
 * The start reading: taken when the recorder makes the recording's decoders (record/decode.ts, in the session's
 * constructor, before the programs load and attach); finish() writes it with the end one. One recording per process.
 */
let atStart: Meminfo | null = null;

function writeMeminfo(x: FinishCtx): Iterable<bigint> {
  const w = x.table('cache_meminfo', 2);
  if (x.settings.events.includes('cache')) {
    const end = readMeminfo();
    if (atStart) w.push({ phase: 'start', ...atStart });
    if (end) w.push({ phase: 'end', ...end });
  }
  atStart = null;
  w.close();
  return [];
}

export const cache: Family = {
  name: 'cache',
  doc: 'page cache: pages added, read (read/fault), fault-around and dirtied per task and file (filemap:mm_filemap_*, writeback:writeback_dirty_folio); /proc/meminfo Cached and Buffers',
  byDefault: false,
  tables: TABLES,
  kinds: [
    { id: W.KT_CACHE_ADD, name: 'mm_filemap_add_to_page_cache', struct: 'kt_cache_ev' },
    { id: W.KT_CACHE_READ, name: 'mm_filemap_get_pages', struct: 'kt_cache_ev' },
    { id: W.KT_CACHE_FAULT, name: 'mm_filemap_fault', struct: 'kt_cache_ev' },
    { id: W.KT_CACHE_MAP, name: 'mm_filemap_map_pages', struct: 'kt_cache_ev' },
    { id: W.KT_CACHE_DIRTY, name: 'writeback_dirty_folio', struct: 'kt_cache_ev' },
  ],
  programs: [
    { name: 'kt_cache_add', kind: W.KT_CACHE_ADD },
    { name: 'kt_cache_read', kind: W.KT_CACHE_READ },
    { name: 'kt_cache_fault', kind: W.KT_CACHE_FAULT },
    { name: 'kt_cache_map', kind: W.KT_CACHE_MAP },
    { name: 'kt_cache_dirty', kind: W.KT_CACHE_DIRTY },
  ],
  decoder: () => {
    atStart = readMeminfo();
    return cacheDecoder();
  },
  finish: writeMeminfo,
  summary: async () => (await import('./summary.js')).cacheSummary,
  export: async () => (await import('./export.js')).cacheExport,
  htmlSections: async () => (await import('./html.js')).cacheHtml,
  compare: cacheCompare,
  reports: {
    cache: {
      doc: 'page cache per process and per file: read hits, read misses (pages added on a read), write hits, pages dirtied, hit ratio (cachestat, cachetop); /proc/meminfo Cached and Buffers at the start and the end',
      reads: [...TABLES.map((t) => t.name), ...TASK_TABLES.map((t) => t.name)],
      load: async () => (await import('./report.js')).cacheReport,
    },
  },
};
