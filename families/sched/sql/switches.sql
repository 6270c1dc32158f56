-- Internal: the context switches the sched views are built from: every recorded sched_switch, plus one
-- inferred switch per kernel_gap loss. A kernel_gap is a switch the kernel did not report: the CPU switched
-- in H at ts_start and later switched out another task X at ts_end. The inferred switch H -> X is placed at
-- resume_ts, when X arrived on the CPU (the kernel's sched_info.last_arrival, recorded since format 1.1);
-- without it, at ts_start + 1 ns, so the hidden task's (brief, unknown) run is folded into X. Its prev_state
-- is NULL (unknown). The exporters apply the same rule. next_flags: as recorded (NULL when inferred).
-- requires: (only capture tables)
CREATE OR REPLACE VIEW _switches AS
SELECT cpu, ts, prev_tid, next_tid, prev_state, prev_prio, next_prio, false AS inferred, next_flags FROM _sched_switch
UNION ALL
SELECT a.cpu, COALESCE(l.resume_ts, l.ts_start + 1), a.next_tid, b.prev_tid, NULL::USMALLINT, a.next_prio, b.prev_prio, true, NULL::UTINYINT
FROM _losses l
JOIN _sched_switch a ON a.cpu = l.cpu AND a.ts = l.ts_start
JOIN _sched_switch b ON b.cpu = l.cpu AND b.ts = l.ts_end
WHERE l.reason = 'kernel_gap' AND l.ts_end > l.ts_start + 1;
