#!/usr/bin/env node
// Writes formats/capture.md from the table definitions (formats/schema.ts: the core tables and every
// family's families/<family>/tables.ts)
// (via dist/) plus the prose below. Usage: node scripts/gen-capture-doc.mjs [--check]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { TABLES, FORMAT_VERSION } = await import(join(root, 'dist/formats/schema.js'));
const out = join(root, 'formats/capture.md');

const TYPES = { i8: 'int8', i16: 'int16', i32: 'int32', i64: 'int64', u8: 'uint8', u16: 'uint16', u32: 'uint32', u64: 'uint64', utf8: 'utf8', f64: 'float64' };
let md = `<!-- DO NOT EDIT the table sections by hand: generated from formats/schema.ts and families/*/tables.ts by scripts/gen-capture-doc.mjs -->
# The ktape capture format, version ${FORMAT_VERSION}

A capture is a directory written by \`ktape record\`. It is complete on its own:
an unprivileged reader on another machine needs nothing else.

## Layout

| file | what |
|---|---|
| \`manifest.json\` | format name and version, host facts, options, start/end, per-table files and row counts, summary |
| \`<table>.<NNNN>.arrows\` | one Apache Arrow IPC **stream** per table per segment (\`NNNN\` = 0000, 0001, …) |

- Every file is created with mode 0600 and the directory with 0700: captures hold command lines and kernel addresses.
- Arrow IPC *stream* format (not the file format), one record batch of up to 65,536 rows at a time, so a recorder killed
  at any moment leaves every complete batch readable. Readers (formats/reader.ts) return every complete batch of a torn
  or damaged file and report it; rows the manifest counts that the files do not hold are a loss (see Losses).
- Every stream's schema metadata carries \`ktape.format_version\` and \`ktape.table\`.
- Every table of a recorded family (\`options.events\`) and every core table has its file, with its schema, from the start
  (stats, stacks and \`--kallsyms used\` symbols: from the stop). A table of a family not recorded has a file only if a row
  reached it (since 1.6); readers load it empty otherwise.
- Event tables rotate to a new segment at \`--segment-mb\` (default 256 MiB); read segments in number order.
- While recording, \`manifest.json\` has \`"complete": false\`; it is rewritten with \`"complete": true\`, the end time,
  the row counts and the summary when the recorder stops cleanly. A capture whose manifest says \`false\` was killed:
  its data is still valid up to the last complete batch; readers glob the segment files rather than trusting the list,
  and load tables it never wrote (stats, stacks: written at stop) as empty. A complete capture is read from the files
  its manifest lists; other segment files are ignored, with a warning.
- A capture is untrusted input for its reader: only regular files inside the directory are read (never through a
  symlink), the manifest is checked against its schema (formats/manifest.ts), and every Arrow message is checked
  (formats/ipc.ts) before it is decoded: see the README's "What ktape promises".

## Versioning

\`format_version\` is \`MAJOR.MINOR\`. Readers accept every minor of their major up to their own and reject other majors
with a one-line error. Minor versions add columns, tables or manifest fields, and a reader loads a column an older
capture lacks as null. Three minors also changed what an older reader can read, each only for captures that use the
change (the table says which): 1.4 (compressed bodies), 1.6 (tables without a file) and 1.8 (\`file_exits\` without
three columns); a major version would have made older readers refuse every newer capture.

| version | change |
|---|---|
| 1.0 | first version |
| 1.1 | \`losses.resume_ts\`: when the switch the kernel did not report (a kernel_gap) happened |
| 1.2 | table \`sched_wait\` (waits paired in the kernel with their switch-in); \`sched_switch.next_flags\` (migrations); \`losses.resume_tid\`, \`losses.resume_wait_from\`, \`losses.resume_woken\` |
| 1.3 | tables \`signal_generate\`, \`signal_deliver\`, \`oom_victim\` (family \`signal\`); older captures load them empty |
| 1.4 | batch bodies may be compressed (Arrow IPC body compression, ZSTD or LZ4_FRAME; see Compression); \`options.compress\` in the manifest; table schemas unchanged; ktape before 1.4 does not read compressed files |
| 1.5 | tables \`block_rq\` and \`io_devices\` (family \`io\`: block requests); older captures load them empty |
| 1.6 | a table of a family not recorded (not in \`options.events\`) may have no file: the recorder makes one only when a row reaches it (task_newtask and task_free get the followed command's forks without \`task\`); readers load the others empty; ktape before 1.6 stops on such a capture with E_TABLE_MISSING |
| 1.7 | task exit accounting: \`task_exit.prio\`, \`nice\`, \`policy\`, \`rt_priority\`, \`nvcsw\`, \`nivcsw\`, \`min_flt\`, \`maj_flt\`, \`utime_ns\`, \`stime_ns\`, \`runtime_ns\`, \`vm_pages\`, \`maxrss_pages\`, and \`task_newtask.vm_pages\` (VM size at fork); older captures load them null |
| 1.7 | tables \`tcp_events\`, \`tcp_owners\` (family \`tcp\`: TCP connections) and \`net_packets\`, \`net_drops\`, \`net_devices\`, \`net_drop_reasons\` (family \`net\`: packets per device, drops); older captures load them empty |
| 1.7 | tables \`file_paths\`, \`file_argv\`, \`file_exits\` (family \`files\`: the paths of syscalls, execve's argv, their results); older captures load them empty |
| 1.7 | flight recorder dumps (\`--ring\`) and rotated parts (\`--rotate\`): the manifest's \`window\` (dumps); stop reasons max-dumps, dump, next part (see Flight recorder and rotation); table schemas unchanged |
| 1.7 | \`ktape record --upload\`: losses with \`reason = 'spool_full'\` (events dropped while the upload spool was over \`--spool-max\`); the capture directory may hold \`.ktape-upload.json\`, the uploader's state (readers ignore it; ship/PROTOCOL.md) |
| 1.8 | \`file_exits\` keeps \`ts\`, \`cpu\`, \`tid\`, \`ret\` and \`entry_tid\`: \`nr\`, \`tgid\` and \`entry_ts\` (copies of the call's \`file_paths\` rows; \`entry_ts\` was a second timestamp per call) are no longer stored, and the \`file_calls\` view pairs an exit with its thread's last path entry before it; older captures load as before (those columns are not read); ktape before 1.8 stops on a 1.8 capture that recorded \`files\` with E_FILE_CORRUPT (no column nr). Also: a kmem \`stack_id\` with bit 30 set (KT_STACK_SPILL) names a stack from the spill map, taken when its bucket in the main map held another stack; a stack the spill map could not take either is -17 as before |
| 1.9 | the waits paired in the kernel move onto the switch rows: \`sched_switch.next_wait_ns\` with \`next_flags\` 1 and 2 (\`sched_wait\`, one row per switch-in that ended a wait, is no longer written); the sleeps are paired too: \`sched_waking.slept_state\` and \`slept_ns\`, and \`next_flags\` 16 for a switch-in whose wakeup raced the sleeping switch-out; \`options.paired_waits\` in the manifest, and \`options.sched_wait\` is always false, so that a reader of 1.8 or older derives the waits from the raw events (correctly) instead of finding no sched_wait rows; older captures load the new columns null and keep their \`sched_wait\` table |

## Compression

Since 1.4 the recorder compresses every batch body with Arrow IPC body compression (the format's own BodyCompression,
codec per batch, buffer by buffer, each prefixed with its uncompressed length; \`-1\` = stored as is): zstd level -1 (level 1
before 2026-12-02; any level reads alike) by default, \`ktape record --compress lz4\`, or \`--compress none\` for the 1.3 layout. Any Arrow reader with ZSTD/LZ4
support reads the files as they are (pyarrow, Polars, arrow-rs). The codec is recorded as \`options.compress\`.
Readers check each buffer's declared length against what the batch's rows need (and a batch's total against 1 GiB)
before allocating; a buffer that does not decompress to its declared length is a damaged batch (see Losses).

Measured on the bench workloads (2 vCPUs, bytes of event tables per recorded event): getppid storm 46.0 B (none),
2.7 (zstd 1), 5.2 (lz4); pipe ping-pong 37.6 / 5.5 / 11.5; fork+exec 42.8 / 12.4 / 21.6; kmem 40.4 / 2.8 / 5.6.
zstd costs the recorder about 0.09 µs of CPU per event on the syscall and kmem storms (~450 MB/s of raw columns) and
~0.3 µs on the sched ones (sched_wait adds rows; noisy), lz4 about as much (its larger output costs writes); zstd levels 2-3 save 10-25 % more on timestamp-heavy tables at 1.5-2x the CPU. Level -1 (zstd's first fast level) against
level 1, over the same drained records (perf samples in libzstd): ping-pong 5.45 against 5.49 B/ev at 90-103 against
110 ns/ev, getppid 2.08 / 2.40 B/ev at 50 / 55 ns, kmem 2.37 / 2.86 B/ev at 50 / 57 ns: smaller and cheaper on these
narrow columns; level -2 is larger again (5.64, 3.49, 5.27 B/ev). The floor
is the timestamps: an int64 nanosecond \`ts\` has ~2 incompressible low bytes per row under zstd (its deltas need
~6-10 bits, but Arrow IPC has no delta encoding), so a table costs at least ~2 bytes per row whatever else it holds.

## Time, ids and units

- \`ts\` columns are nanoseconds since boot on **CLOCK_BOOTTIME** (\`bpf_ktime_get_boot_ns()\`), the same clock as the
  kernel's tracing. \`clock_anchors\` maps it to CLOCK_MONOTONIC and CLOCK_REALTIME (wall clock = realtime_ns +
  (ts − boottime_ns) using the nearest anchor).
- \`tid\` is a kernel task id (a thread), \`tgid\` a process id (thread-group id). Event tables that cannot afford a
  tgid per row (\`sched_switch\`, \`sched_waking\`, syscalls, kmem) give the tid only; \`task_ids\` maps tid → tgid from
  a time on, completed by \`process_snapshot\`, \`task_newtask\` and \`task_exec\`.
- tid 0 is the per-CPU idle task.
- Units are in column names where they are not ns timestamps: \`bytes_req\`, \`run_time_ns\`, …
- Kernel addresses (\`ptr\`, \`call_site\`, \`stacks.ip\`, \`kallsyms.addr\`) are unsigned 64-bit.

## Manifest (manifest.json)

| field | meaning |
|---|---|
| format, format_version, wire_version | \`"ktape-capture"\`, this document's version, the BPF wire-struct version |
| complete | true once the recorder stopped cleanly |
| stop_reason | why it stopped: duration, command exited, SIGINT, SIGTERM, max-size, max-dumps, disk full, write error, error; \`dump\` for a flight recorder's dump, \`next part\` for a part that ended because the next began |
| ktape_version, command_line | recorder version and its argv |
| host | hostname, kernel_release, kernel_version, machine (uname -m: selects the syscall table), cpus, page_size, boot_id, clk_tck |
| options | events (groups recorded), tgids (-p), comm (--comm), follow_children (command mode), system_wide, buffer_mb, kallsyms (full/used), kmem_stacks |
| recorder_tgid | the recorder's process id (its syscall/kmem events are never recorded) |
| start_ts, end_ts | CLOCK_BOOTTIME ns when the probes were attached / detached |
| workload | with \`-- COMMAND\`: argv, pid, exit_code |
| tables | per table: rows (event tables) and files |
| summary | events per kind, lost (dropped by the recorder), kernel_gaps (switches the kernel did not report), bytes |
| window | a flight recorder's dump only (1.7): ring (--ring as typed), start_ts (= start_ts: where the window begins), trigger (the --trigger that fired, SIGUSR1, or stop: the recording's end), what (one line), trigger_ts (when the triggering event began), dropped_before (older data was dropped as the window moved on) |

## Losses

Nothing is dropped silently. A failed \`bpf_ringbuf_reserve\` is counted per CPU and per kind in the kernel and lands in
\`losses\` with the time window it happened in (\`reason = 'ringbuf_full'\`). Some kernels do not report every context
switch (this is seen for hidden tasks on sandboxed VMs); the recorder detects every break in a CPU's switch sequence and
records it as \`reason = 'kernel_gap'\`. When computing CPU time, attribute each interval between two switches on a
CPU to the task switched *out* at its end: that is the task switched in at its start except across a gap, where the
hidden task's (brief) run is folded into the task that was really running. Programs the kernel skipped because they
were already running on the CPU (an interrupt freeing memory inside ktape's kfree program, or changing a socket's state
inside its tcp program) are recorded by a nested copy of the program; the few it cannot record are counted as \`reason = 'bpf_recursion'\`. Events still in the ring when
\`--max-size\` stops the recording are counted, not written, as \`reason = 'max_size'\`; events drained while the upload spool of
\`ktape record --upload\` is over \`--spool-max\` likewise, as \`reason = 'spool_full'\` (one row per CPU, kind and second). A reader that finds fewer rows
in a table's files than the manifest counts (a torn or damaged batch) adds a \`reason = 'truncated'\` row itself
(kind = the table). Reports that overlap a loss window must say so.

## Flight recorder and rotation (1.7)

\`ktape record --ring SPAN\` and \`--rotate SPAN --keep N\` write the recording as parts: each a capture directory of its
own, the streamed tables (event tables, \`clock_anchors\`, \`losses\`) going on in the next part's segment files, each
part beginning where the previous one ended (\`start_ts\` = the previous \`end_ts\`), with a process snapshot taken as it
begins and a \`stats\` table of its own event counts (the recorder's CPU and BPF counters are not in parts).

- \`--rotate\`: \`DIR/part-NNNN\`, each complete (kernel symbols, modules, snapshot, stacks, stats: the part's own counters); the oldest is removed
  before a new one begins, so at most N are on disk.
- \`--ring\`: scratch parts \`DIR/.ring-NNNN\` of a fifth of the window each; a part older than the window (plus one part)
  is removed whole. A **dump** \`DIR/dump-NNNN\` (SIGUSR1, a \`--trigger\` after \`--trigger-after\`, or the recording's stop) links the files of
  the parts that hold [trigger_ts − ring, dump time] into a new directory, renumbered as segments in time order, with the
  oldest part's process snapshot (true at the window's start; later threads are in its task events), the kernel symbols
  and modules read at start, the kmem stacks, stats (the rows of a plain capture's, counted over the window's parts: events, kernel gaps, recorder CPU,
  BPF program counters, bytes_written), and \`window\` in its manifest. The window starts at most one part
  (ring/5, plus the recorder's scheduling delay) before trigger_ts − ring; a trigger whose event began more than a part
  before it was seen gets the window from ring before its part. Data before \`start_ts\` was dropped by design, not lost:
  it is no \`losses\` row, and readers treat the dump as any capture that starts at \`start_ts\`. Rows of the first part
  may be a drain period (≤ 100 ms) older than its \`start_ts\`. A dump has the losses the recorder counted in its parts
  (ringbuf_full, kernel_gap); bpf_recursion is counted only for a whole recording and is not in dumps or parts.

## Stacks

\`kmem_alloc.stack_id\` refers to \`stacks\`. The stack maps never reuse a bucket during a capture (no
BPF_F_REUSE_STACKID), so an allocation is never handed another stack. A stack whose bucket in the main map holds another
goes to a second, spill map, taken one frame in (the program's own frame, which the \`stacks\` view drops, so that it
hashes elsewhere); its id has bit 30 set (KT_STACK_SPILL, since 1.8). When the spill map's bucket is taken too, the
allocation gets \`stack_id = -17\` (EEXIST) and the clash is counted in \`stats\` (\`stack_collisions\`); \`analyze leaks\`
says how many allocations have no stack. Symbolize an address with the
\`kallsyms\` row of the greatest \`addr\` ≤ the address.

## Tables
`;
for (const t of TABLES) {
  md += `\n### ${t.name}${t.role === 'event' && t.group ? ` (family \`${t.group}\`)` : t.role === 'meta' ? ` (metadata${t.group ? `, family \`${t.group}\`` : ''})` : ''}\n\n${t.doc}\n\n| column | type | meaning |\n|---|---|---|\n`;
  for (const c of t.columns) md += `| ${c.name} | ${TYPES[c.type]}${c.nullable ? ', nullable' : ''} | ${c.doc.replace(/\|/g, '\\|')} |\n`;
}
if (process.argv.includes('--check')) {
  if (readFileSync(out, 'utf8') !== md) {
    console.error('formats/capture.md is stale: run `node scripts/gen-capture-doc.mjs`');
    process.exit(1);
  }
} else {
  writeFileSync(out, md);
  console.log(`wrote ${out}`);
}
