-- Signals: who sent which signal to whom, what the kernel did with it, and the delivery it led to; OOM kills.
-- Signal names and numbers are those of Linux on x86_64 and aarch64 (asm-generic numbering).
--
-- Pairing of a generated signal with its delivery (_signal_pairs). Only a signal the kernel queued
-- (result 0 'delivered' or 4 'lose_info') can be taken; 'ignored', 'already_pending' (merged into the
-- one pending) and 'overflow_fail' are never delivered. A delivery of signal S in thread T of process P
-- belongs to the latest queued S before it that was sent to T (tgkill, a fault) or to P (kill); each
-- queued signal is delivered by the first delivery that belongs to it. A fatal signal with the default
-- action (SIGTERM to a process without a handler) is acted on at once: the kernel starts the group exit
-- and every thread takes SIGKILL instead. Such a signal is paired with the first SIGKILL delivery in
-- its process that no SIGKILL was sent for, in a thread whose exit status says it died of that
-- signal (task_exit: needs the task family recorded). A signal still blocked or pending when the
-- capture ends, or whose target exited first, stays undelivered.
--
-- With a process filter (-p, --comm, or recording a command) a generated signal is recorded when its
-- sender OR its target is selected, so signals sent to the recorded process by others are kept; a
-- delivery only when the receiving thread is selected (a signal the selection sent to an outside
-- process then shows as undelivered). OOM victims are recorded whatever the filter.
-- requires: (only capture tables)

-- @view signal_names: Signal numbers with their names and default actions (x86_64 and aarch64 numbering).
-- @col sig: signal number
-- @col name: 'SIGHUP' ... 'SIGSYS'; real-time signals 32..64 as strace names them, 'SIGRT_0' ... 'SIGRT_32' (glibc's SIGRTMIN is SIGRT_2)
-- @col default_action: what SIG_DFL does: 'term', 'core', 'ignore', 'stop' or 'cont'
CREATE OR REPLACE VIEW signal_names AS
SELECT * FROM (VALUES
  (1, 'SIGHUP', 'term'), (2, 'SIGINT', 'term'), (3, 'SIGQUIT', 'core'), (4, 'SIGILL', 'core'), (5, 'SIGTRAP', 'core'),
  (6, 'SIGABRT', 'core'), (7, 'SIGBUS', 'core'), (8, 'SIGFPE', 'core'), (9, 'SIGKILL', 'term'), (10, 'SIGUSR1', 'term'),
  (11, 'SIGSEGV', 'core'), (12, 'SIGUSR2', 'term'), (13, 'SIGPIPE', 'term'), (14, 'SIGALRM', 'term'), (15, 'SIGTERM', 'term'),
  (16, 'SIGSTKFLT', 'term'), (17, 'SIGCHLD', 'ignore'), (18, 'SIGCONT', 'cont'), (19, 'SIGSTOP', 'stop'), (20, 'SIGTSTP', 'stop'),
  (21, 'SIGTTIN', 'stop'), (22, 'SIGTTOU', 'stop'), (23, 'SIGURG', 'ignore'), (24, 'SIGXCPU', 'core'), (25, 'SIGXFSZ', 'core'),
  (26, 'SIGVTALRM', 'term'), (27, 'SIGPROF', 'term'), (28, 'SIGWINCH', 'ignore'), (29, 'SIGIO', 'term'), (30, 'SIGPWR', 'term'),
  (31, 'SIGSYS', 'core')) AS t(sig, name, default_action)
UNION ALL SELECT range::INTEGER, 'SIGRT_' || (range - 32), 'term' FROM range(32, 65);

-- signal_generate.result (enum trace_signal_deliver) → its name
CREATE OR REPLACE MACRO _signal_result(r) AS CASE r
  WHEN 0 THEN 'delivered' WHEN 1 THEN 'ignored' WHEN 2 THEN 'already_pending' WHEN 3 THEN 'overflow_fail' WHEN 4 THEN 'lose_info'
  ELSE 'result_' || r END;

-- signal_deliver.sa_handler → the disposition the signal met
CREATE OR REPLACE MACRO _signal_disposition(h) AS CASE WHEN h IS NULL THEN NULL WHEN h = 0 THEN 'default' WHEN h = 1 THEN 'ignore' ELSE 'handler' END;

-- numbered raw rows (the ids join the pairs to the rows)
CREATE OR REPLACE TABLE _signal_gen AS
SELECT row_number() OVER (ORDER BY ts, cpu, tid, target_tid, sig, result) AS gen_id, * FROM _signal_generate;

CREATE OR REPLACE TABLE _signal_del AS
WITH d AS (SELECT row_number() OVER (ORDER BY ts, cpu, tid, sig) AS del_id, * FROM _signal_deliver),
qt AS (SELECT gen_id, ts, target_tid, sig FROM _signal_gen WHERE result IN (0, 4) AND group_signal = 0),
qg AS (SELECT gen_id, ts, target_tgid, sig FROM _signal_gen WHERE result IN (0, 4) AND group_signal <> 0),
a AS (SELECT d.del_id, qt.ts AS gts, qt.gen_id FROM d ASOF JOIN qt ON qt.target_tid = d.tid AND qt.sig = d.sig AND d.ts >= qt.ts),
b AS (SELECT d.del_id, qg.ts AS gts, qg.gen_id FROM d ASOF JOIN qg ON qg.target_tgid = d.tgid AND qg.sig = d.sig AND d.ts >= qg.ts)
SELECT d.*, CASE WHEN b.gen_id IS NULL OR (a.gen_id IS NOT NULL AND (a.gts, a.gen_id) > (b.gts, b.gen_id)) THEN a.gen_id ELSE b.gen_id END AS gen_id
FROM d LEFT JOIN a USING (del_id) LEFT JOIN b USING (del_id);

-- gen_id → del_id: same signal first, then the group exit of fatal default actions
CREATE OR REPLACE TABLE _signal_pairs AS
WITH p1 AS (
  SELECT gen_id, arg_min(del_id, ts) AS del_id FROM _signal_del WHERE gen_id IS NOT NULL GROUP BY gen_id
), fatal AS (
  SELECT g.gen_id, g.ts, g.target_tgid, g.sig FROM _signal_gen g JOIN signal_names n ON n.sig = g.sig
  WHERE g.result IN (0, 4) AND g.sig <> 9 AND n.default_action IN ('term', 'core') AND g.gen_id NOT IN (SELECT gen_id FROM p1)
), kills AS (
  -- SIGKILL taken with no SIGKILL sent: the group exit; the signal it died of from the thread's exit status
  SELECT d.del_id, d.ts, d.tgid, (SELECT e.exit_code & 127 FROM _task_exit e WHERE e.tid = d.tid AND e.ts >= d.ts ORDER BY e.ts LIMIT 1) AS died_of
  FROM _signal_del d WHERE d.sig = 9 AND d.gen_id IS NULL
), p2 AS (
  SELECT f.gen_id, arg_min(k.del_id, k.ts) AS del_id FROM fatal f JOIN kills k ON k.tgid = f.target_tgid AND k.ts >= f.ts AND k.died_of = f.sig
  GROUP BY f.gen_id
)
SELECT gen_id, del_id, false AS group_exit FROM p1
UNION ALL SELECT gen_id, del_id, true FROM p2;

-- @view signals: One row per generated signal (signal_generate), with the delivery it led to (see the pairing rule above).
-- @col ts: when it was generated, ns since boot
-- @col sender_tid: task current when it was generated (kill caller; the exiting child for SIGCHLD; the faulting task; for signals raised in interrupts whatever ran, 0 = idle)
-- @col sender_tgid: its process
-- @col sender_comm: its comm
-- @col target_tid: task it was sent to
-- @col target_tgid: its process
-- @col target_comm: its comm
-- @col sig: signal number
-- @col signal: its name (signal_names)
-- @col si_code: siginfo si_code (SI_USER = 0, SI_KERNEL = 128, SI_TKILL = -6, ...)
-- @col si_errno: siginfo si_errno
-- @col result: what the kernel did with it: 0 delivered (queued), 1 ignored, 2 already pending, 3 overflow, 4 queued without siginfo
-- @col result_name: 'delivered', 'ignored', 'already_pending', 'overflow_fail' or 'lose_info'
-- @col group_signal: true when sent to the process (kill), false when to one thread (tgkill, a fault)
-- @col queued: result 0 or 4: the signal became pending and can be delivered
-- @col delivered: true when a delivery in the capture took it
-- @col deliver_ts: when it was taken, ns since boot; NULL if not delivered
-- @col deliver_tid: thread that took it (any thread of the process for a group signal)
-- @col delivered_sig: signal taken: sig, or 9 (SIGKILL) when a fatal default action made the process exit
-- @col group_exit: true when delivered as the SIGKILL of a fatal default action
-- @col disposition: what met it: 'default' (SIG_DFL), 'ignore' (SIG_IGN) or 'handler'; NULL if not delivered
-- @col latency: deliver_ts - ts, ns (how long it was pending)
CREATE OR REPLACE VIEW signals AS
SELECT g.ts, g.tid AS sender_tid, g.tgid AS sender_tgid, g.comm AS sender_comm, g.target_tid, g.target_tgid, g.target_comm,
       g.sig, coalesce(n.name, 'SIG' || g.sig) AS signal, g.si_code, g.si_errno, g.result, _signal_result(g.result) AS result_name,
       g.group_signal <> 0 AS group_signal, g.result IN (0, 4) AS queued,
       d.ts IS NOT NULL AS delivered, d.ts AS deliver_ts, d.tid AS deliver_tid, d.sig AS delivered_sig, coalesce(p.group_exit, false) AS group_exit,
       _signal_disposition(d.sa_handler) AS disposition, d.ts - g.ts AS latency
FROM _signal_gen g
LEFT JOIN _signal_pairs p ON p.gen_id = g.gen_id
LEFT JOIN _signal_del d ON d.del_id = p.del_id
LEFT JOIN signal_names n ON n.sig = g.sig;

-- @view signal_deliveries: One row per signal taken by a thread (signal_deliver), with the generated signal it belongs to.
-- @col ts: when it was taken, ns since boot (before the handler runs)
-- @col tid: receiving thread
-- @col tgid: its process
-- @col comm: its comm
-- @col sig: signal number
-- @col signal: its name
-- @col si_code: siginfo si_code
-- @col si_errno: siginfo si_errno
-- @col disposition: 'default' (SIG_DFL), 'ignore' (SIG_IGN) or 'handler'
-- @col sa_handler: handler address (0 SIG_DFL, 1 SIG_IGN)
-- @col sa_flags: sigaction flags (SA_SIGINFO = 0x4, SA_RESTART = 0x10000000, ...)
-- @col gen_ts: when the signal it belongs to was generated; NULL if not in the capture (sent before it, or by the kernel's group exit)
-- @col sender_tid: the sender of that signal
-- @col sender_tgid: its process
-- @col sender_comm: its comm
-- @col group_exit: a SIGKILL taken because the process is exiting (a fatal signal, exit_group, exec), no SIGKILL sent
CREATE OR REPLACE VIEW signal_deliveries AS
SELECT d.ts, d.tid, d.tgid, d.comm, d.sig, coalesce(n.name, 'SIG' || d.sig) AS signal, d.si_code, d.si_errno,
       _signal_disposition(d.sa_handler) AS disposition, d.sa_handler, d.sa_flags,
       g.ts AS gen_ts, g.tid AS sender_tid, g.tgid AS sender_tgid, g.comm AS sender_comm,
       d.sig = 9 AND d.gen_id IS NULL AS group_exit
FROM _signal_del d
LEFT JOIN (SELECT del_id, any_value(gen_id) AS gen_id FROM _signal_pairs GROUP BY del_id) p ON p.del_id = d.del_id
LEFT JOIN _signal_gen g ON g.gen_id = coalesce(d.gen_id, p.gen_id)
LEFT JOIN signal_names n ON n.sig = d.sig;

-- @view oom_kills: One row per OOM victim (oom:mark_victim), with the SIGKILL the OOM killer sent and the exit.
-- @col ts: when the OOM killer marked it, ns since boot
-- @col tid: victim thread
-- @col tgid: victim process
-- @col comm: victim comm
-- @col uid: victim uid
-- @col killer_tid: task whose allocation ran the OOM killer
-- @col killer_tgid: its process
-- @col total_vm_bytes: victim's total virtual memory, bytes (pages x host page size)
-- @col anon_rss_bytes: anonymous resident memory, bytes
-- @col file_rss_bytes: file-backed resident memory, bytes
-- @col shmem_rss_bytes: shared-memory resident memory, bytes
-- @col pgtables_bytes: page tables, bytes
-- @col oom_score_adj: victim's oom_score_adj
-- @col kill_ts: the SIGKILL sent to the victim's process just before, ns since boot; NULL if not recorded
-- @col exit_ts: exit of the victim thread after it, ns since boot; NULL if not recorded
CREATE OR REPLACE VIEW oom_kills AS
SELECT v.ts, v.tid, v.tgid, v.comm, v.uid, v.killer_tid, v.killer_tgid,
       v.total_vm_pages * h.page_size AS total_vm_bytes, v.anon_rss_pages * h.page_size AS anon_rss_bytes,
       v.file_rss_pages * h.page_size AS file_rss_bytes, v.shmem_rss_pages * h.page_size AS shmem_rss_bytes,
       v.pgtables_bytes, v.oom_score_adj,
       (SELECT max(g.ts) FROM _signal_generate g WHERE g.sig = 9 AND g.target_tgid = v.tgid AND g.ts <= v.ts) AS kill_ts,
       (SELECT min(e.ts) FROM _task_exit e WHERE e.tid = v.tid AND e.ts >= v.ts) AS exit_ts
FROM _oom_victim v CROSS JOIN _signal_host h;
