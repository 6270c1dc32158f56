/**
 * Diff tests: the page cache rule (families/cache/sql/cache.sql): which pages an event stands for, and which are
 * read hits, read misses, write hits and write misses.
 *
 * Process 100 (thread 100, and thread 101) and process 200 work on file (254:0, inode 12) of 64 pages
 * (isize 262144) unless a row says otherwise. Capture [0, 100000].
 */
import { describe } from 'vitest';
import { diffTest } from '../../../test/diff/harness.js';

const ADD = 0,
  READ = 1,
  FAULT = 2,
  MAP = 3,
  DIRTY = 4;
const DEV = (254 << 20) | 0;

interface Ev {
  tid?: number;
  tgid?: number;
  ino?: number;
  isize?: number;
}
/** one cache_ev row: pages index..last of the file */
const ev = (ts: number, event: number, index: number, last: number, o: Ev = {}) => ({
  ts,
  cpu: 0,
  event,
  tid: o.tid ?? 100,
  tgid: o.tgid ?? o.tid ?? 100,
  dev: DEV,
  ino: o.ino ?? 12,
  index,
  last,
  isize: o.isize ?? 64 * 4096,
});
const manifest = { start_ts: 0, end_ts: 100_000 };
const COLS = 'tgid, read_hits, read_misses, write_hits, write_misses, dirtied, read_pages, fault_around_pages';
const BY_FILE = `SELECT ${COLS} FROM cache_by_file ORDER BY tgid, ino`;

describe('page cache rule', () => {
  diffTest('a cold read: the pages its readahead added are misses (counted in pages, not folios); another process reading them has hits', {
    manifest,
    tables: {
      cache_ev: [
        // one order-0 folio, then a 16-page and a 32-page large folio (readahead grows the folios)
        ev(1000, ADD, 0, 0),
        ev(1100, ADD, 1, 16),
        ev(1200, ADD, 17, 48),
        ev(1300, READ, 0, 48),
        ev(5000, READ, 0, 48, { tid: 200 }),
      ],
    },
    query: BY_FILE,
    csv: `
      tgid,read_hits,read_misses,write_hits,write_misses,dirtied,read_pages,fault_around_pages
      100,0,49,0,0,0,49,0
      200,49,0,0,0,0,49,0`,
  });

  diffTest('one read(2) in several batches: each get_pages reports the rest of the request, the pages are counted once', {
    manifest,
    tables: {
      // a 40-page read of cached order-0 pages: a batch of 31 folios, then the last 9
      cache_ev: [ev(1000, READ, 0, 39), ev(1100, READ, 31, 39)],
    },
    query: BY_FILE,
    csv: `
      tgid,read_hits,read_misses,write_hits,write_misses,dirtied,read_pages,fault_around_pages
      100,40,0,0,0,0,40,0`,
  });

  diffTest('two reads of the same page are two hits; a read asking past the end of the file counts only its pages', {
    manifest,
    tables: {
      cache_ev: [
        ev(1000, READ, 0, 0),
        ev(2000, READ, 0, 0),
        // a 1 MiB read buffer on a file of 10 pages minus 100 bytes: pages 0..9
        ev(3000, READ, 0, 255, { ino: 13, isize: 10 * 4096 - 100 }),
      ],
    },
    query: 'SELECT ino, read_hits, read_misses, read_pages FROM cache_by_file ORDER BY ino',
    csv: `
      ino,read_hits,read_misses,read_pages
      12,2,0,2
      13,10,0,10`,
  });

  diffTest('readahead ahead of the read: its pages are misses when added, and their later reads are not hits', {
    manifest,
    tables: {
      cache_ev: [ev(1000, ADD, 0, 31), ev(1100, ADD, 32, 63), ev(1200, READ, 0, 15), ev(2000, READ, 16, 31)],
    },
    query: BY_FILE,
    csv: `
      tgid,read_hits,read_misses,write_hits,write_misses,dirtied,read_pages,fault_around_pages
      100,0,64,0,0,0,32,0`,
  });

  diffTest("an mmap read: the fault's read-around is misses (the retried fault is not a hit); a fault on a cached page is a hit; fault-around is apart", {
    manifest,
    tables: {
      cache_ev: [
        ev(1000, FAULT, 20, 20),
        ev(1100, ADD, 12, 27),
        ev(1500, FAULT, 20, 20),
        // another thread of the process faults on a page the first thread's fault brought in: the read of a miss
        ev(1600, FAULT, 21, 21, { tid: 101, tgid: 100 }),
        // process 200: a fault on a cached page, and fault-around over pages 8..40
        ev(3000, MAP, 8, 40, { tid: 200 }),
        ev(3100, FAULT, 30, 30, { tid: 200 }),
      ],
    },
    query: BY_FILE,
    csv: `
      tgid,read_hits,read_misses,write_hits,write_misses,dirtied,read_pages,fault_around_pages
      100,0,16,0,0,0,3,0
      200,1,0,0,0,0,1,33`,
  });

  diffTest('writes: a page added then dirtied by the write is a write miss; dirtying a cached page is a write hit, also after the process read it in', {
    manifest,
    tables: {
      cache_ev: [
        // appending 4 pages: write_begin adds a 4-page folio, write_end dirties it
        ev(1000, ADD, 40, 43),
        ev(1010, DIRTY, 40, 43),
        // a page read in (a miss), then written
        ev(2000, ADD, 0, 0),
        ev(2010, READ, 0, 0),
        ev(3000, DIRTY, 0, 0),
        // a cached page someone else brought in
        ev(4000, DIRTY, 5, 5),
      ],
    },
    query: BY_FILE,
    csv: `
      tgid,read_hits,read_misses,write_hits,write_misses,dirtied,read_pages,fault_around_pages
      100,0,1,2,4,6,1,0`,
  });

  diffTest('the report: per process and per file, hit % and the meminfo rows', {
    manifest,
    tables: {
      cache_ev: [ev(1000, ADD, 0, 0), ev(1100, READ, 0, 3), ev(2000, READ, 0, 3, { ino: 13 })],
      cache_meminfo: [
        { phase: 'start', ts: 0, cached_bytes: 1n << 30n, buffers_bytes: 1n << 20n },
        { phase: 'end', ts: 100_000, cached_bytes: (1n << 30n) + 4096n, buffers_bytes: 1n << 20n },
      ],
    },
    analyze: ['cache'],
    section: 'by_file',
    columns: ['tgid', 'device', 'ino', 'read_hits', 'read_misses', 'hit_pct', 'read_pages'],
    csv: `
      tgid,device,ino,read_hits,read_misses,hit_pct,read_pages
      100,254:0,12,3,1,75,4
      100,254:0,13,4,0,100,4`,
  });

  diffTest('the meminfo section', {
    manifest,
    tables: {
      cache_meminfo: [
        { phase: 'start', ts: 0, cached_bytes: 1n << 30n, buffers_bytes: 1n << 20n },
        { phase: 'end', ts: 100_000, cached_bytes: (1n << 30n) + 4096n, buffers_bytes: 1n << 20n },
      ],
    },
    analyze: ['cache'],
    section: 'meminfo',
    columns: ['phase', 'ts', 'cached_bytes', 'buffers_bytes'],
    csv: `
      phase,ts,cached_bytes,buffers_bytes
      start,0,1073741824,1048576
      end,100000,1073745920,1048576`,
  });

  diffTest('a damaged or hostile range is cut to 65536 pages', {
    manifest,
    tables: { cache_ev: [ev(1000, ADD, 0, 2 ** 53), ev(2000, READ, 0, 2 ** 53, { tid: 200, isize: 2 ** 60 })] },
    query: BY_FILE,
    csv: `
      tgid,read_hits,read_misses,write_hits,write_misses,dirtied,read_pages,fault_around_pages
      100,0,65536,0,0,0,0,0
      200,65536,0,0,0,0,65536,0`,
  });
});
