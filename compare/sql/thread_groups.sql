-- thread → group key. $by: 'comm' | 'process' | 'exec'; $recorder: the
-- recorder's tgid (excluded: ktape measuring itself is not the workload).
-- - comm:    the thread's own (last known) name
-- - process: the name of its process' main thread (falls back to the thread's name)
-- - exec:    the file its process exec'd during the capture, else the first word
-- of its command line from the start snapshot, else [comm] (kernel threads)
CREATE OR REPLACE TEMP TABLE _cmp_groups AS
SELECT t.tid, t.tgid,
  CASE $by
    WHEN 'comm' THEN coalesce(t.comm, 'tid ' || t.tid)
    WHEN 'process' THEN coalesce(p.comm, t.comm, 'tid ' || t.tid)
    ELSE coalesce(p.exec_filename, t.exec_filename,
                  nullif(split_part(p.cmdline, ' ', 1), ''),
                  '[' || coalesce(p.comm, t.comm, 'tid ' || t.tid) || ']')
  END AS grp
FROM threads t LEFT JOIN processes p ON p.tgid = t.tgid
WHERE t.tgid IS DISTINCT FROM $recorder::INTEGER
