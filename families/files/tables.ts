/** The files family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

export const TABLES: TableDef[] = [
  {
    name: 'file_paths',
    role: 'event',
    group: 'files',
    since: '1.7',
    doc: "One row per path argument of a syscall that takes one (raw_syscalls:sys_enter; the list is families/files/paths.ts): the user string, read at entry (or at the return when it was in a page not yet faulted in; not after a successful exec: read_error then) and cut at 256 bytes. ts is the files program's own entry time, shared by the call's file_argv rows (its file_exits row is the entry tid's next one); the syscall family's syscall_enter row of the same call is the thread's next one (the file_calls view and the syscalls view's path column join them). Bytes that are not UTF-8 are stored as U+FFFD (lossy = 1).",
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'calling thread'),
      c('tgid', 'i32', 'its process'),
      c('nr', 'i32', "syscall number in the capture host's native table"),
      c('arg', 'u8', 'which argument holds the path (0-based: openat 1, rename 0 and 1, renameat 1 and 3)'),
      c('path', 'utf8', 'the string, at most 256 bytes ("" when the read failed)'),
      c('len', 'u32', 'bytes of the string kept (without the NUL)'),
      c('cut', 'u8', '1 when the string was longer than 256 bytes and was cut there'),
      c('lossy', 'u8', '1 when the kept bytes were not valid UTF-8 (each bad sequence is U+FFFD in path)'),
      c('read_error', 'i32', '0, or the negative errno of the failed read of the user string (-14 EFAULT: a bad or NULL pointer)'),
    ],
  },
  {
    name: 'file_argv',
    role: 'event',
    group: 'files',
    since: '1.7',
    doc: "One row per argument of an execve/execveat, read at its return (raw_syscalls:sys_exit): after a successful exec from the new program's argument area (as /proc/PID/cmdline), at most 1 KiB of it; after a failed one through the caller's pointers, at most 32 arguments, each cut at 256 bytes, none started past 1 KiB. ts and tid are the call's file_paths rows' (its entry).",
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'calling thread'),
      c('tgid', 'i32', 'its process'),
      c('nr', 'i32', 'syscall number'),
      c('idx', 'u16', 'argument index (argv[idx])'),
      c('arg', 'utf8', 'the argument (U+FFFD for bytes that are not UTF-8)'),
      c('cut', 'u8', '1 when this argument was cut (longer than 256 bytes, or the 1 KiB bound fell inside it)'),
      c('more', 'u8', '1 on the last row when arguments after it were not recorded (the count or byte bound)'),
    ],
  },
  {
    name: 'file_exits',
    role: 'event',
    group: 'files',
    since: '1.7',
    doc: "One row per return of a syscall that has file_paths rows (raw_syscalls:sys_exit, for a thread whose task storage holds a pending call): the result, recorded whether or not the syscall family is. The call is entry_tid's file_paths rows that come last before ts (the file_calls view pairs them; its syscall number, process and entry time are those rows'). Before format 1.8 the row also held nr, tgid and entry_ts, repeated from the entry; they are no longer stored (entry_ts was a second timestamp per call) and older captures' copies are not loaded.",
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'returning thread (after an exec from a non-leader thread: the leader tid it took over)'),
      c('ret', 'i64', 'return value (negative errno on failure)'),
      c('entry_tid', 'i32', 'the tid at entry (file_paths.tid)'),
    ],
  },
];
