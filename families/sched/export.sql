-- Export (sched): what the exporters write for the sched family, from the analyzer's sched_slices (which
-- holds the kernel_gap rule through _switches and the capture-edge rule) and wakeups; nothing is re-derived.
-- Needs: sched_slices, wakeups, _export_window, _export_keep, _export_comm_spans (export/sql/select.sql).

-- The slices inside the export window, cut at its edges; name = the thread's comm when the slice began.
-- Both exports read it whole (Perfetto twice: its threads, then its switches), so it is a table.
CREATE OR REPLACE TEMP TABLE _export_slices AS
SELECT s.cpu, greatest(s.ts, w.lo) AS ts, least(s.end_ts, w.hi) AS end_ts, s.tid, coalesce(s.tgid, s.tid) AS tgid, s.prio,
       s.end_state, s.end_state_raw, s.clipped OR s.ts < w.lo OR s.end_ts > w.hi AS clipped,
       CASE WHEN s.tid = 0 THEN 'swapper/' || s.cpu ELSE coalesce(c.comm, '') END AS comm,
       _export_keep(s.tid, s.tgid) AS kept
FROM sched_slices s CROSS JOIN _export_window w
LEFT JOIN _export_comm_spans c ON c.tid = s.tid AND greatest(s.ts, w.lo) >= c.from_ts AND greatest(s.ts, w.lo) < c.to_ts
WHERE s.ts < w.hi AND (s.end_ts > w.lo OR s.ts >= w.lo);

-- Perfetto: wakeups inside the window of selected threads (_export_wakeups: the threads they name, for the
-- ProcessTree), with the woken thread's name at that time (_export_sched_waking: the events). Views: only a
-- Perfetto export reads them, once each. The switches are not here: families/sched/export.ts derives them
-- from consecutive slices of a CPU as it streams them (see there).
CREATE OR REPLACE TEMP VIEW _export_wakeups AS
SELECT k.cpu, k.ts, k.tid, k.target_cpu, k.prio, k.wakeup_new, k.waker_tid
FROM wakeups k CROSS JOIN _export_window w
WHERE k.ts BETWEEN w.lo AND w.hi AND _export_keep(k.tid, k.tgid);

CREATE OR REPLACE TEMP VIEW _export_sched_waking AS
SELECT k.*, coalesce(c.comm, '') AS comm
FROM _export_wakeups k LEFT JOIN _export_comm_spans c ON c.tid = k.tid AND k.ts >= c.from_ts AND k.ts < c.to_ts;

-- Every name a sched event can carry, as an ENUM: the exporters read a name as its index into the enum's
-- members (export/scan.ts Scan.dict), with no per-row string work. Names come from the spans, plus idle's.
CREATE OR REPLACE TYPE _export_sched_comm AS ENUM (
  SELECT DISTINCT comm FROM (SELECT comm FROM _export_comm_spans UNION ALL SELECT comm FROM _export_slices WHERE tid = 0 UNION ALL SELECT '')
);
