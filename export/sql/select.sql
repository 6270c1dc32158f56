-- Export: the --pid/--comm selection and thread names over time, for every family's export views.
-- Needs: _export_window, _export_pids, _export_comm_sel (temporary tables from export/source.ts) and the
-- analyzer's _tgid_map, task_events, threads and thread_comms.

-- Processes selected: every --pid (a tid selects its process: every tgid it had) and every process that had
-- a thread with a --comm name at some point (the task events that name it, or a name in its history).
CREATE OR REPLACE TEMP TABLE _export_tgids AS
SELECT tid AS tgid FROM _export_pids
UNION SELECT m.tgid FROM _export_pids p JOIN _tgid_map m ON m.tid = p.tid
UNION SELECT e.tgid FROM task_events e JOIN _export_comm_sel c ON c.comm = e.comm OR c.comm = e.old_comm WHERE e.tgid IS NOT NULL
UNION SELECT t.tgid FROM threads t JOIN _export_comm_sel c ON list_contains(t.comm_history, c.comm) WHERE t.tgid IS NOT NULL;

-- A row about thread t of process g (g: its tgid at the row's time, from the views) is exported:
-- everything without --pid/--comm; else a --pid tid, or a thread of a selected process. Idle (0) never is.
CREATE OR REPLACE TEMP MACRO _export_keep(t, g) AS
  NOT (SELECT filtered FROM _export_window)
  OR (t <> 0 AND (t IN (SELECT tid FROM _export_pids) OR g IN (SELECT tgid FROM _export_tgids)));

-- A thread's name at a time. _export_comms: every name it took (thread_comms), from when; _export_first_comm:
-- its first name (a thread seen before any name was recorded), else its last known one (threads).
CREATE OR REPLACE TEMP TABLE _export_comms AS SELECT tid, ts, comm FROM thread_comms WHERE comm IS NOT NULL AND ts IS NOT NULL;
CREATE OR REPLACE TEMP TABLE _export_first_comm AS
SELECT t.tid, coalesce(f.comm, t.comm, '') AS comm
FROM threads t LEFT JOIN (SELECT tid, arg_min(comm, ts) AS comm FROM _export_comms GROUP BY tid) f ON f.tid = t.tid;

-- The same rule as spans covering all time: [from_ts, to_ts) -> comm, the first name also before it was
-- taken, and a thread with no recorded name under its threads name throughout. Looked up with an equi-join
-- on tid and a range on ts: the spans are few (names change rarely), so this costs one hash probe per row,
-- where an ASOF join against _export_comms sorts every probing row (most of the cost of the slices).
CREATE OR REPLACE TEMP TABLE _export_comm_spans AS
WITH c AS (
  SELECT tid, ts, comm, lead(ts) OVER w AS next_ts, row_number() OVER w AS n
  FROM _export_comms WINDOW w AS (PARTITION BY tid ORDER BY ts)
)
SELECT tid, ts AS from_ts, coalesce(next_ts, 9223372036854775807) AS to_ts, comm FROM c
UNION ALL SELECT tid, -9223372036854775808, ts, comm FROM c WHERE n = 1
UNION ALL SELECT tid, -9223372036854775808, 9223372036854775807, comm FROM _export_first_comm WHERE tid NOT IN (SELECT tid FROM _export_comms);

-- Perfetto ProcessTree: the threads of the start snapshot (selected ones), and every other thread the
-- exported events reference (handlers' refs in _export_refs), declared at its first reference with its
-- process and name at that time.
CREATE OR REPLACE TEMP VIEW _export_snapshot_tree AS
SELECT s.ts::DOUBLE AS ts, s.tid, s.tgid, s.ppid, s.comm, s.cmdline, s.uid
FROM _process_snapshot s WHERE _export_keep(s.tid, s.tgid) ORDER BY s.tid;

CREATE OR REPLACE TEMP TABLE _export_refs (tid INTEGER, ts BIGINT);

CREATE OR REPLACE TEMP VIEW _export_declarations AS
WITH f AS (
  SELECT tid, min(ts) AS ts FROM _export_refs WHERE tid > 0 AND tid NOT IN (SELECT tid FROM _export_snapshot_tree) GROUP BY tid
)
SELECT greatest(f.ts, 0)::DOUBLE AS ts, f.tid, coalesce(m.tgid, te.tgid) AS tgid, coalesce(c.comm, te.comm, '') AS comm,
       p.parent_tgid AS ppid, coalesce(p.cmdline, p.exec_filename, '') AS cmdline
FROM f
LEFT JOIN _tgid_map m ON m.tid = f.tid AND f.ts >= m.from_ts AND f.ts < m.to_ts
LEFT JOIN _export_comm_spans c ON c.tid = f.tid AND f.ts >= c.from_ts AND f.ts < c.to_ts
-- a thread known only from an event the tid -> tgid map does not read (task_free): that event's own names
LEFT JOIN (SELECT tid, arg_min(tgid, ts) AS tgid, arg_min(comm, ts) AS comm FROM task_events GROUP BY tid) te ON te.tid = f.tid
LEFT JOIN processes p ON p.tgid = coalesce(m.tgid, te.tgid)
ORDER BY f.ts, f.tid;
