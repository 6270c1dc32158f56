-- Block I/O requests: one row per request, from its events in block_rq (block:block_io_start, block_rq_insert,
-- block_rq_issue, block_rq_complete).
--
-- Pairing. A request is known by its kernel address (block_rq.rq) from its start to its final completion; the
-- block layer then reuses the address for another request. The events of one address, in time order, are cut
-- into requests: a request begins at a start event, or at the first event after a final completion (done = 1);
-- so a request whose start was missed (it began before the capture) still ends its predecessor cleanly. A
-- requeued request is issued again: its issue is the last one. A partial completion (done = 0) does not end it.
-- A request without a completion in the capture is still in flight at the end (or was ended by the flush
-- machinery: an fsync's empty preflush write is started but finished by the separate flush request the block
-- layer issues for it, which has no start of its own). Without an I/O scheduler (queue/scheduler "none") or
-- for a direct issue, a request has no insert: its queue time is NULL.
--
-- Attribution. A request belongs to the task that submitted it: the task current at its block_io_start (the
-- submit_bio() caller, which made a new request of its bio), remembered by the recorder in a BPF map under the
-- request's address and carried on each later event as sub_tid/sub_tgid/sub_comm. Insert, issue and completion
-- often run in another task (a kworker running the queue, the interrupt that completed it, another task whose
-- plug flushed it): their current task (block_rq.tid) is never used for attribution. Bios merged into an
-- existing request count for that request's submitter. Writeback of dirty pages is submitted by the flusher
-- kworker (or by the task that called fsync, which writes its own dirty pages): that is who it belongs to. A
-- request without a start in the capture has no submitter (tid, tgid and comm NULL).
--
-- Sync (biopwise's sync/async) is the kernel's op_is_sync(): reads, and writes with REQ_SYNC, FUA or preflush.
-- requires: (only capture tables)

-- REQ_OP_* → its name
CREATE OR REPLACE MACRO _io_op(op) AS CASE op
  WHEN 0 THEN 'read' WHEN 1 THEN 'write' WHEN 2 THEN 'flush' WHEN 3 THEN 'discard' WHEN 5 THEN 'secure_erase'
  WHEN 7 THEN 'zone_append' WHEN 9 THEN 'write_zeroes' WHEN 34 THEN 'drv_in' WHEN 35 THEN 'drv_out' ELSE 'op_' || op END;

-- op and ktape flags → rwbs, as the kernel's blk_fill_rwbs() prints it (F preflush, R/W/D/DE/F/N, F FUA, A readahead, S sync, M meta)
CREATE OR REPLACE MACRO _io_rwbs(op, flags) AS
  CASE WHEN flags & 8 <> 0 THEN 'F' ELSE '' END
  || CASE op WHEN 1 THEN 'W' WHEN 7 THEN 'W' WHEN 3 THEN 'D' WHEN 5 THEN 'DE' WHEN 2 THEN 'F' WHEN 0 THEN 'R' ELSE 'N' END
  || CASE WHEN flags & 4 <> 0 THEN 'F' ELSE '' END || CASE WHEN flags & 16 <> 0 THEN 'A' ELSE '' END
  || CASE WHEN flags & 1 <> 0 THEN 'S' ELSE '' END || CASE WHEN flags & 2 <> 0 THEN 'M' ELSE '' END;

-- the events cut into requests (seg numbers the requests of one address)
CREATE OR REPLACE TABLE _io_seg AS
WITH e AS (
  SELECT *, coalesce(lag(event = 3 AND done <> 0) OVER (PARTITION BY rq ORDER BY ts, event, cpu), false) AS after_end FROM _block_rq
)
SELECT *, sum(CASE WHEN event = 0 OR after_end THEN 1 ELSE 0 END) OVER (PARTITION BY rq ORDER BY ts, event, cpu ROWS UNBOUNDED PRECEDING) AS seg,
       -- whose fields describe the request: its (last) issue, else its insert, else its start, else a completion
       CASE event WHEN 2 THEN 0 WHEN 1 THEN 1 WHEN 0 THEN 2 ELSE 3 END AS pri
FROM e;

CREATE OR REPLACE TABLE _io_req AS
SELECT rq, seg, min(ts) AS first_ts,
       min(ts) FILTER (WHERE event = 0) AS start_ts, min(ts) FILTER (WHERE event = 1) AS insert_ts,
       max(ts) FILTER (WHERE event = 2) AS issue_ts, max(ts) FILTER (WHERE event = 3 AND done <> 0) AS complete_ts,
       count(*) FILTER (WHERE event = 2) AS issues,
       arg_min(dev, (pri, ts)) AS dev, arg_min(sector, (pri, ts)) AS sector, arg_min(op, (pri, ts)) AS op, arg_min(flags, (pri, ts)) AS flags,
       coalesce(arg_min(bytes, (pri, ts)) FILTER (WHERE event <> 3), sum(bytes) FILTER (WHERE event = 3)) AS bytes,
       max(status) FILTER (WHERE event = 3) AS status,
       arg_min(sub_tid, ts) FILTER (WHERE sub_tid <> 0) AS sub_tid, arg_min(sub_tgid, ts) FILTER (WHERE sub_tid <> 0) AS sub_tgid,
       arg_min(sub_comm, ts) FILTER (WHERE sub_tid <> 0) AS sub_comm,
       arg_min(cpu, (pri, ts)) AS cpu
FROM _io_seg GROUP BY rq, seg;

-- @view io_devices_named: Block devices of the capture host, with the name a request's dev shows as.
-- @col dev: dev_t in the kernel encoding (major << 20 | minor)
-- @col major: major number
-- @col minor: minor number
-- @col device: the kernel's name (vda, nvme0n1, ...)
CREATE OR REPLACE VIEW io_devices_named AS
SELECT dev, major, minor, any_value(name) AS device FROM _io_devices GROUP BY dev, major, minor;

-- @view io_requests: One row per block request (see the pairing and attribution rules above).
-- @col ts: first event of the request in the capture (its start, else its insert, issue or completion), ns since boot
-- @col dev: disk dev_t in the kernel encoding (major << 20 | minor)
-- @col major: dev's major number
-- @col minor: dev's minor number
-- @col device: the disk's name (io_devices), else 'major:minor'
-- @col sector: first sector (512 bytes) on the whole disk
-- @col bytes: size: at its (last) issue, else insert, else start; for a request seen only completing, the bytes completed
-- @col op: 'read', 'write', 'flush', 'discard', 'secure_erase', 'write_zeroes', ...
-- @col kind: what the report counts it as: 'read', 'write' (with data), 'flush' (a flush, or an empty preflush write:
--   fsync's cache flush), 'discard' (discard, secure erase, write zeroes) or 'other' (driver-private, zone operations)
-- @col rwbs: operation and flags as the block tracepoints print them (e.g. 'WS', 'RA', 'FWS', 'WSM')
-- @col flags: ktape request flags: 1 sync, 2 meta, 4 FUA, 8 preflush, 16 readahead, 32 background
-- @col sync: the kernel's op_is_sync(): a read, or a write with REQ_SYNC, FUA or preflush
-- @col meta: REQ_META: filesystem metadata
-- @col tid: submitting thread (the task current at block_io_start); NULL if no start was seen
-- @col tgid: its process
-- @col comm: its comm at submission
-- @col start_ts: block_io_start, ns since boot (NULL: not seen)
-- @col insert_ts: first block_rq_insert (NULL: none, a direct issue, or before the capture)
-- @col issue_ts: last block_rq_issue (NULL: not issued in the capture)
-- @col complete_ts: final block_rq_complete (NULL: still in flight at the end, or ended by the flush machinery)
-- @col queue_ns: issue_ts - insert_ts: time in the I/O scheduler
-- @col service_ns: complete_ts - issue_ts: time in the driver and device
-- @col total_ns: complete_ts - start_ts (else - insert_ts, - issue_ts): the request's whole life in the capture
-- @col issues: times it was issued (> 1: requeued)
-- @col status: blk_status_t of its completion (0 ok); NULL if not completed
-- @col completed: a final completion was seen
-- @col cpu: CPU of its issue (else of its first event)
CREATE OR REPLACE VIEW io_requests AS
SELECT r.first_ts AS ts, r.dev, r.dev >> 20 AS major, r.dev & 1048575 AS minor,
       coalesce(d.device, (r.dev >> 20) || ':' || (r.dev & 1048575)) AS device,
       r.sector, r.bytes, _io_op(r.op) AS op,
       CASE WHEN r.op = 2 OR (r.op = 1 AND r.bytes = 0 AND r.flags & 8 <> 0) THEN 'flush' WHEN r.op = 0 THEN 'read' WHEN r.op = 1 THEN 'write'
            WHEN r.op IN (3, 5, 9) THEN 'discard' ELSE 'other' END AS kind,
       _io_rwbs(r.op, r.flags) AS rwbs, r.flags,
       r.op = 0 OR r.flags & (1 | 4 | 8) <> 0 AS sync, r.flags & 2 <> 0 AS meta,
       r.sub_tid AS tid, r.sub_tgid AS tgid, r.sub_comm AS comm,
       r.start_ts, r.insert_ts, r.issue_ts, r.complete_ts,
       r.issue_ts - r.insert_ts AS queue_ns, r.complete_ts - r.issue_ts AS service_ns,
       r.complete_ts - coalesce(r.start_ts, r.insert_ts, r.issue_ts) AS total_ns,
       r.issues, r.status, r.complete_ts IS NOT NULL AS completed, r.cpu
FROM _io_req r LEFT JOIN io_devices_named d ON d.dev = r.dev;
