-- Export (signal): generated and delivered signals and OOM kills inside the export window, one row per
-- instant, with the CPU it fired on. cur_*: the task current when it fired (generate: the sender; deliver:
-- the receiving thread; OOM: the task that ran the OOM killer); lane_*: the thread the instant is about
-- (generate: the target; deliver: the receiver; OOM: the victim). With --pid/--comm a generated signal is
-- kept when either side is selected, as the recorder keeps it.
-- Needs: _signal_gen, _signal_del, signal_names, _signal_result, _signal_disposition, _oom_victim
-- (families/signal/sql/signals.sql), _export_window, _export_keep (select.sql).
CREATE OR REPLACE TEMP TABLE _export_signal AS
WITH ev AS (
  SELECT 'generate' AS event, g.cpu, g.ts, g.tid AS cur_tid, g.tgid AS cur_tgid, g.comm AS cur_comm,
         g.target_tid AS lane_tid, g.target_tgid AS lane_tgid, g.target_comm AS lane_comm, g.sig, g.si_code, g.si_errno,
         g.result, _signal_result(g.result) AS result_name, g.group_signal::INTEGER AS grp,
         NULL::VARCHAR AS disposition, NULL::VARCHAR AS sa_handler, NULL::VARCHAR AS sa_flags, NULL::BIGINT AS rss_bytes, NULL::SMALLINT AS oom_score_adj
  FROM _signal_gen g
  UNION ALL
  SELECT 'deliver', d.cpu, d.ts, d.tid, d.tgid, d.comm, d.tid, d.tgid, d.comm, d.sig, d.si_code, d.si_errno,
         NULL, NULL, NULL, _signal_disposition(d.sa_handler), printf('0x%x', d.sa_handler), d.sa_flags::VARCHAR, NULL, NULL
  FROM _signal_del d
  UNION ALL
  SELECT 'oom', v.cpu, v.ts, v.killer_tid, v.killer_tgid, NULL, v.tid, v.tgid, v.comm, 9, NULL, NULL,
         NULL, NULL, NULL, NULL, NULL, NULL, ((v.anon_rss_pages + v.file_rss_pages + v.shmem_rss_pages) * h.page_size)::BIGINT, v.oom_score_adj
  FROM _oom_victim v CROSS JOIN _signal_host h
)
SELECT ev.*, coalesce(n.name, 'SIG' || ev.sig) AS signal
FROM ev CROSS JOIN _export_window w
LEFT JOIN signal_names n ON n.sig = ev.sig
WHERE ev.ts BETWEEN w.lo AND w.hi
  AND (_export_keep(ev.lane_tid, ev.lane_tgid) OR (ev.event <> 'deliver' AND _export_keep(ev.cur_tid, ev.cur_tgid)));
