/** The syscall family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

export const TABLES: TableDef[] = [
  {
    name: 'syscall_enter',
    role: 'event',
    group: 'syscall',
    doc: 'One row per syscall entry (raw_syscalls:sys_enter). Pair with syscall_exit by tid and order.',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'calling thread'),
      c('nr', 'i32', "syscall number in the capture host's native table (see manifest host.machine)"),
      c('arg0', 'u64', 'argument 1'),
      c('arg1', 'u64', 'argument 2'),
      c('arg2', 'u64', 'argument 3'),
      c('arg3', 'u64', 'argument 4'),
      c('arg4', 'u64', 'argument 5'),
      c('arg5', 'u64', 'argument 6'),
    ],
  },
  {
    name: 'syscall_exit',
    role: 'event',
    group: 'syscall',
    doc: 'One row per syscall return (raw_syscalls:sys_exit).',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'calling thread'),
      c('nr', 'i32', 'syscall number (-1 if unknown)'),
      c('ret', 'i64', 'return value (negative errno on failure)'),
    ],
  },
];
