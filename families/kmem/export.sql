-- Export (kmem): the allocations still outstanding at the end of the export window, from the analyzer's
-- allocations view (its pairing rule), and their stacks as the stacks view trims them.
-- Needs: allocations, stacks, stack_frames, kernel_symbols, threads, _export_window, _export_keep (select.sql).

-- Outstanding at the window end: allocated inside the window and not freed before its end (at the capture
-- end that is the view's outstanding). The name is the thread's last known comm, as in the threads view.
CREATE OR REPLACE TEMP VIEW _export_outstanding AS
SELECT a.ts, a.tid, a.cpu, a.kind, a.ptr, a.call_site, coalesce(a.call_site_symbol, printf('0x%x', a.call_site)) AS site,
       a.bytes_req, a.bytes, a.stack_id, coalesce(t.comm, '') AS comm
FROM allocations a CROSS JOIN _export_window w LEFT JOIN threads t ON t.tid = a.tid
WHERE a.ts BETWEEN w.lo AND w.hi AND (a.outstanding OR a.free_ts > w.hi) AND _export_keep(a.tid, a.tgid);

-- The frames of each stack that the stacks view keeps (it trims the tracer's frames off the innermost end:
-- a stack of n frames keeps its outermost `depth`), innermost first, with ip, symbol and symbol+0xoffset.
CREATE OR REPLACE TEMP VIEW _export_stack_frames AS
WITH n AS (SELECT stack_id, count(*) AS n FROM stack_frames GROUP BY stack_id)
SELECT f.stack_id, f.depth - (n.n - s.depth) AS depth, f.ip, coalesce(f.symbol, printf('0x%x', f.ip)) AS symbol, f.frame
FROM stack_frames f JOIN n ON n.stack_id = f.stack_id JOIN stacks s ON s.stack_id = f.stack_id
WHERE f.depth >= n.n - s.depth;
