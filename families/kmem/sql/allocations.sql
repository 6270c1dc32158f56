-- requires: task/tgid_map
-- @view allocations: One row per slab allocation (kmalloc, kmem_cache_alloc) with its matching free (the next free of the same address), if any. Failed allocations (ptr 0) are left out.
-- @col ts: allocation time, ns since boot
-- @col tid: allocating thread (current; may be an interrupted task)
-- @col tgid: its process
-- @col cpu: CPU
-- @col kind: 'kmalloc' or 'kmem_cache'
-- @col ptr: object address
-- @col call_site: kernel address of the caller
-- @col call_site_symbol: function containing call_site (kallsyms floor lookup)
-- @col bytes_req: bytes requested
-- @col bytes: bytes actually allocated
-- @col gfp_flags: GFP flags
-- @col node: NUMA node requested (-1 = any)
-- @col stack_id: kernel stack (see stacks / stack_frames); negative = no stack (-17: stack-map collision in both maps, counted in stats; -1: stacks disabled)
-- @col free_ts: time of the matching free, ns since boot; NULL if not freed in the capture
-- @col free_tid: thread that freed it
-- @col free_call_site: kernel address of the free's caller
-- @col lifetime: free_ts - ts, ns
-- @col outstanding: true when still allocated at the end of the capture (no free, and the address was not allocated again)
CREATE OR REPLACE VIEW allocations AS
WITH ev AS (
  SELECT ptr, ts, 1 AS k, tid, cpu, cache, call_site, bytes_req, bytes_alloc, gfp_flags, node, stack_id FROM _kmem_alloc WHERE ptr <> 0
  UNION ALL
  SELECT ptr, ts, 0, tid, cpu, cache, call_site, NULL, NULL, NULL, NULL, NULL FROM _kmem_free
), o AS (
  SELECT *, lead(k) OVER w AS nk, lead(ts) OVER w AS nts, lead(tid) OVER w AS ntid, lead(call_site) OVER w AS ncs
  FROM ev WINDOW w AS (PARTITION BY ptr ORDER BY ts, k)
), a AS (
  SELECT ts, tid, cpu, cache, ptr, call_site, bytes_req, bytes_alloc, gfp_flags, node, stack_id,
         CASE WHEN nk = 0 THEN nts END AS free_ts, CASE WHEN nk = 0 THEN ntid END AS free_tid,
         CASE WHEN nk = 0 THEN ncs END AS free_call_site, nk IS NULL AS outstanding
  FROM o WHERE k = 1
)
SELECT a.ts, a.tid, m.tgid, a.cpu, CASE a.cache WHEN 0 THEN 'kmalloc' ELSE 'kmem_cache' END AS kind,
       a.ptr, a.call_site, k.name AS call_site_symbol, a.bytes_req, a.bytes_alloc AS bytes, a.gfp_flags, a.node, a.stack_id,
       a.free_ts, a.free_tid, a.free_call_site, a.free_ts - a.ts AS lifetime, a.outstanding
FROM a
ASOF LEFT JOIN _kallsyms k ON a.call_site >= k.addr
LEFT JOIN _tgid_map m ON m.tid = a.tid AND a.ts >= m.from_ts AND a.ts < m.to_ts;
