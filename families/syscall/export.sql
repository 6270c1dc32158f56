-- Export (syscall): the syscalls view inside the export window (Chrome). Calls the view leaves open (entered
-- before the capture, or still running at its end) are cut at the window edges, as slices are.
-- Needs: syscalls, _export_window, _export_keep (select.sql).
CREATE OR REPLACE TEMP VIEW _export_syscalls AS
SELECT greatest(coalesce(s.ts, w.lo), w.lo) AS ts, least(coalesce(s.end_ts, w.hi), w.hi) AS end_ts,
       s.ts IS NULL OR s.end_ts IS NULL OR s.ts < w.lo OR s.end_ts > w.hi AS clipped,
       s.tid, coalesce(s.tgid, s.tid) AS tgid, s.nr, s.name, s.ret, s.arg0, s.arg1, s.arg2, s.path
FROM syscalls s CROSS JOIN _export_window w
WHERE coalesce(s.ts, s.end_ts) <= w.hi AND coalesce(s.end_ts, s.ts) >= w.lo AND _export_keep(s.tid, s.tgid);
