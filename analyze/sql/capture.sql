-- Capture-wide facts and helper macros.

-- @view capture: One row describing the capture: host, window and format.
-- @col dir: capture directory as given when it was opened
-- @col format_version: capture format version (manifest)
-- @col complete: false when the recorder was killed before finishing the capture, or rows it wrote are missing from damaged files (losses with reason 'truncated')
-- @col hostname: host the capture was recorded on
-- @col kernel_release: uname -r of that host
-- @col machine: uname -m (x86_64, aarch64, ...); selects the syscall name table
-- @col cpus: number of CPUs of that host
-- @col start_ts: start of the capture window, ns since boot (probes attached)
-- @col end_ts: end of the capture window, ns since boot (probes detached; last event if the recorder was killed)
-- @col dur: end_ts - start_ts, ns
-- @col workload_tgid: process id of the command ktape record ran, or NULL
-- @col command_line: the ktape record command line
CREATE OR REPLACE VIEW capture AS
SELECT dir, format_version, complete, hostname, kernel_release, machine, cpus,
       start_ts, end_ts, end_ts - start_ts AS dur, workload_tgid, command_line
FROM _capture;

-- prev_state of sched_switch → thread state letter, as in Perfetto/ftrace.
CREATE OR REPLACE MACRO _state_name(s) AS CASE WHEN s IS NULL THEN NULL ELSE CASE s
  WHEN 0 THEN 'R' WHEN 256 THEN 'R+' WHEN 1 THEN 'S' WHEN 2 THEN 'D' WHEN 4 THEN 'T'
  WHEN 8 THEN 't' WHEN 16 THEN 'X' WHEN 32 THEN 'Z' WHEN 64 THEN 'P' WHEN 128 THEN 'I'
  ELSE concat_ws('|',
    CASE WHEN s & 1 <> 0 THEN 'S' END, CASE WHEN s & 2 <> 0 THEN 'D' END, CASE WHEN s & 4 <> 0 THEN 'T' END,
    CASE WHEN s & 8 <> 0 THEN 't' END, CASE WHEN s & 16 <> 0 THEN 'X' END, CASE WHEN s & 32 <> 0 THEN 'Z' END,
    CASE WHEN s & 64 <> 0 THEN 'P' END, CASE WHEN s & 128 <> 0 THEN 'I' END, CASE WHEN s & 256 <> 0 THEN '+' END)
  END END;
