/** The task family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

export const TABLES: TableDef[] = [
  {
    name: 'task_newtask',
    role: 'event',
    group: 'task',
    doc: 'One row per fork/clone (task:task_newtask), emitted in the parent.',
    columns: [
      TS,
      CPU,
      c('parent_tid', 'i32', 'thread that called fork/clone'),
      c('parent_tgid', 'i32', 'its process'),
      c('child_tid', 'i32', 'new thread'),
      c('child_tgid', 'i32', 'process of the new thread (== child_tid for a new process)'),
      c('clone_flags', 'u64', 'clone flags (CLONE_THREAD = 0x10000, ...)'),
      c('comm', 'utf8', 'comm of the child (inherited from the parent)'),
    ],
  },
  {
    name: 'task_exec',
    role: 'event',
    group: 'task',
    doc: 'One row per successful exec (sched:sched_process_exec).',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'thread after exec (the thread group leader)'),
      c('tgid', 'i32', 'process'),
      c('old_tid', 'i32', "tid that called exec (differs when a non-leader thread exec'd)"),
      c('comm', 'utf8', 'comm after exec'),
      c('filename', 'utf8', 'executed file (bprm->filename, max 255 bytes)'),
    ],
  },
  {
    name: 'task_exit',
    role: 'event',
    group: 'task',
    doc: 'One row per thread exit (sched:sched_process_exit).',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'exiting thread'),
      c('tgid', 'i32', 'its process'),
      c('exit_code', 'i32', 'task->exit_code in wait(2) status encoding: (code << 8) | signal'),
      c('group_dead', 'u8', '1 when this was the last thread of the process'),
      c('comm', 'utf8', 'comm at exit'),
    ],
  },
  {
    name: 'task_rename',
    role: 'event',
    group: 'task',
    doc: 'One row per comm change (task:task_rename: prctl(PR_SET_NAME), /proc/*/comm).',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'renamed thread'),
      c('tgid', 'i32', 'its process'),
      c('oldcomm', 'utf8', 'comm before'),
      c('newcomm', 'utf8', 'comm after'),
    ],
  },
  {
    name: 'task_free',
    role: 'event',
    group: 'task',
    doc: 'One row per task_struct release (sched:sched_process_free); the tid may be reused after this.',
    columns: [TS, CPU, c('tid', 'i32', 'freed thread'), c('tgid', 'i32', 'its process'), c('comm', 'utf8', 'last comm')],
  },
];
