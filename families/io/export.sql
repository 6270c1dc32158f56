-- Export (io): the block requests overlapping the export window, one row per request (io_requests: its
-- submitter, not the task that completed it), from its first event (start, else insert or issue) to its
-- completion (the window end if still in flight), ordered by device and begin; and per process the
-- running total of bytes read and written, stepped at each request's completion. With --pid/--comm a
-- request is kept when its submitter is selected.
-- Needs: io_requests (families/io/sql/requests.sql), _export_window, _export_keep (select.sql).
CREATE OR REPLACE TEMP TABLE _export_io AS
SELECT r.device, r.dev, greatest(coalesce(r.start_ts, r.insert_ts, r.issue_ts, r.ts), w.lo) AS b_ts,
       least(coalesce(r.complete_ts, w.hi), w.hi) AS e_ts, r.rwbs, r.kind, r.bytes, r.sector, r.tid, r.tgid, coalesce(r.comm, '') AS comm,
       r.queue_ns, r.service_ns, r.completed, r.status
FROM io_requests r CROSS JOIN _export_window w
WHERE coalesce(r.complete_ts, w.hi) >= w.lo AND r.ts <= w.hi AND (r.tid IS NULL AND NOT w.filtered OR _export_keep(r.tid, r.tgid))
ORDER BY r.device, b_ts, e_ts;

-- per process: cumulative read and written bytes at each completion inside the window
CREATE OR REPLACE TEMP TABLE _export_io_counters AS
SELECT tgid, any_value(comm) OVER (PARTITION BY tgid) AS comm, e_ts AS ts,
       sum(CASE WHEN kind = 'read' THEN bytes ELSE 0 END) OVER w AS read_bytes,
       sum(CASE WHEN kind = 'write' THEN bytes ELSE 0 END) OVER w AS write_bytes
FROM _export_io WHERE completed AND tgid IS NOT NULL AND kind IN ('read', 'write')
WINDOW w AS (PARTITION BY tgid ORDER BY e_ts, b_ts ROWS UNBOUNDED PRECEDING)
ORDER BY tgid, ts;
