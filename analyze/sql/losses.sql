-- @view losses: Windows where events are missing, per CPU and kind. Empty = nothing lost.
-- @col cpu: CPU that dropped them; 65535 = not attributed to a CPU (bpf_recursion)
-- @col kind: event kind (sched_switch, sys_enter, kmalloc, ...)
-- @col count: events dropped (kernel_gap: a lower bound of 1)
-- @col ts_start: window start, ns since boot: every drop of this row happened in [ts_start, ts_end]
-- @col ts_end: window end, ns since boot
-- @col dur: ts_end - ts_start, ns
-- @col reason: 'ringbuf_full' (the ring buffer was full), 'kernel_gap' (the kernel did not report a context switch), 'bpf_recursion' (the kernel skipped the program; window = whole capture), 'max_size' (recorded after --max-size was reached: counted, not written) or 'truncated' (rows recorded but missing from a torn or damaged file: kind is the table, from its last loaded event to the end; found by the analyzer, not stored in the capture)
-- @col resume_ts: kernel_gap: when the unreported switch happened (the task switched out at ts_end arrived on the CPU, from the kernel's sched_info), ns since boot; NULL when unknown
CREATE OR REPLACE VIEW losses AS
SELECT cpu, kind, count, ts_start, ts_end, ts_end - ts_start AS dur, reason, resume_ts FROM _losses;

-- @view recorder_stats: Recorder counters: events per kind, bytes, recorder CPU, BPF program stats.
-- @col name: counter name (unit in the name)
-- @col cpu: CPU, NULL for a total
-- @col value: value
CREATE OR REPLACE VIEW recorder_stats AS SELECT name, cpu, value FROM _stats;

-- @view clock_anchors: Clock readings taken back to back at start, every second and at end: map ts (boottime) to wall clock.
-- @col boottime_ns: CLOCK_BOOTTIME, the capture's time base
-- @col monotonic_ns: CLOCK_MONOTONIC
-- @col realtime_ns: CLOCK_REALTIME, ns since the Unix epoch
-- @col reason: 'start', 'periodic' or 'end'
CREATE OR REPLACE VIEW clock_anchors AS SELECT boottime_ns, monotonic_ns, realtime_ns, reason FROM _clock_anchors;
