/** The io family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

export const TABLES: TableDef[] = [
  {
    name: 'block_rq',
    role: 'event',
    group: 'io',
    since: '1.5',
    doc: "One row per event of a block request: block:block_io_start (a bio became a new request, in the submitting task), block_rq_insert (into the I/O scheduler), block_rq_issue (to the driver) and block_rq_complete. The io_requests view pairs them into one row per request. With a process filter, kept when the request's submitter is selected.",
    columns: [
      TS,
      CPU,
      c('event', 'u8', '0 start (block_io_start), 1 insert, 2 issue, 3 complete'),
      c('tid', 'i32', 'the task current when the event fired (the submitter at start; a kworker, an interrupted task or idle (0) later)'),
      c('tgid', 'i32', 'its process'),
      c('rq', 'u64', "the request's kernel address: its identity from start to its final completion (then reused)"),
      c('dev', 'u32', 'disk dev_t in the kernel encoding (major << 20 | minor), as the tracepoints report it'),
      c('sector', 'u64', 'first sector (512 bytes) on the whole disk'),
      c('bytes', 'u32', 'bytes of the request; at complete: bytes this completion finished'),
      c('op', 'u8', 'REQ_OP_*: 0 read, 1 write, 2 flush, 3 discard, 5 secure erase, 9 write zeroes, 34/35 driver-private'),
      c('flags', 'u32', 'ktape request flags: 1 sync, 2 meta, 4 FUA, 8 preflush, 16 readahead, 32 background (from the kernel req_flag_bits by CO-RE)'),
      c('status', 'i32', 'complete: blk_status_t (0 ok, 1 not supported, 10 I/O error, ...); 0 for the other events'),
      c('done', 'u8', 'complete: 1 when this completion ends the request (nothing left of it), 0 for a partial completion'),
      c('sub_tid', 'i32', 'the submitter: the task current at its block_io_start (0: no start seen)'),
      c('sub_tgid', 'i32', 'its process'),
      c('sub_comm', 'utf8', 'its comm at block_io_start ("" if unknown)'),
    ],
  },
  {
    name: 'io_devices',
    role: 'meta',
    group: 'io',
    since: '1.5',
    doc: "The capture host's block devices at the end of the recording (/sys/class/block/*/dev), to name block_rq.dev. Empty when io was not recorded.",
    columns: [
      c('dev', 'u32', 'dev_t in the kernel encoding (major << 20 | minor)'),
      c('major', 'u32', 'major number'),
      c('minor', 'u32', 'minor number'),
      c('name', 'utf8', "the kernel's name (vda, nvme0n1, sda1, loop0, ...)"),
    ],
  },
];
