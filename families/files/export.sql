-- Export (files): the path syscalls inside the export window (file_calls), each from its entry to its return (the
-- window end when no return was seen), with the thread's name. With --pid/--comm a call is kept when its thread is.
-- Needs: file_calls (families/files/sql/file_calls.sql), _export_window, _export_keep (select.sql).
CREATE OR REPLACE TEMP TABLE _export_files AS
SELECT greatest(f.ts, w.lo) AS b_ts, least(coalesce(f.end_ts, w.hi), w.hi) AS e_ts, f.end_ts IS NULL AS open, f.tid,
       coalesce(f.tgid, f.tid) AS tgid, coalesce(f.comm, '') AS comm, f.name, f.path, f.path2, f.path_cut, f.argv, f.ret, f.error
FROM file_calls f CROSS JOIN _export_window w
WHERE f.ts <= w.hi AND coalesce(f.end_ts, f.ts) >= w.lo AND _export_keep(f.tid, f.tgid)
ORDER BY f.tid, f.ts;
