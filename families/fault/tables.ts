/** The fault family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

const COUNTERS = (when: string) => [
  c('min_flt', 'u64', `the task's minor fault counter (task_struct min_flt) ${when}`),
  c('maj_flt', 'u64', `its major fault counter (maj_flt) ${when}`),
];

export const TABLES: TableDef[] = [
  {
    name: 'fault',
    role: 'event',
    group: 'fault',
    since: '1.7',
    doc: 'One row per page fault exception (exceptions:page_fault_user, page_fault_kernel), at its entry, before the kernel handles it. The faults view classifies each as minor or major from the counters (families/fault/sql/faults.sql).',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'the faulting task'),
      c('tgid', 'i32', 'its process'),
      c('user', 'u8', '1 page_fault_user (the CPU was in user mode), 0 page_fault_kernel (kernel mode: e.g. copy_to_user into an untouched page)'),
      c('address', 'u64', 'the faulting address (cr2)'),
      c('ip', 'u64', 'the instruction that faulted (regs->ip): a user address, or a kernel text address for kernel-mode faults'),
      c(
        'error_code',
        'u32',
        'x86 page fault error code: 1 protection (page present), 2 write, 4 user mode, 8 reserved bit, 16 instruction fetch, 32 protection key, 64 shadow stack',
      ),
      ...COUNTERS('at the entry, without this fault'),
    ],
  },
  {
    name: 'fault_exit',
    role: 'event',
    group: 'fault',
    since: '1.7',
    doc: "A task's fault counters at its exit (sched:sched_process_exit): the closing observation of its last fault.",
    columns: [TS, CPU, c('tid', 'i32', 'the exiting task'), c('tgid', 'i32', 'its process'), ...COUNTERS('at exit (final)')],
  },
  {
    name: 'fault_file',
    role: 'event',
    group: 'fault',
    since: '1.7',
    doc: "A fault reached a file's pages: filemap:mm_filemap_fault (filemap_fault(), the fault handler of most file mappings: the page is looked up, or read) or mm_filemap_map_pages (fault-around: cached pages mapped without filemap_fault). In the faulting task (or a get_user_pages() caller); the faults view ties it to its fault by the counters.",
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'the task current (the faulting task)'),
      c('tgid', 'i32', 'its process'),
      c('event', 'u8', '0 mm_filemap_fault, 1 mm_filemap_map_pages'),
      c('dev', 'u32', "the file's device (its superblock's s_dev, kernel encoding major << 20 | minor)"),
      c('ino', 'u64', "the file's inode number"),
      c('first', 'u64', 'page index in the file (map_pages: first page mapped)'),
      c('last', 'u64', 'last page index (= first for mm_filemap_fault)'),
      ...COUNTERS('then (the fault in progress not counted yet)'),
    ],
  },
  {
    name: 'fault_files',
    role: 'meta',
    group: 'fault',
    since: '1.7',
    doc: "Names of the files in fault_file, read from each inode's first dentry once, when first seen (a BPF map, read at the end): the name and up to three parent directories, as far as the dentry tree goes (not the mount point). Empty when fault was not recorded.",
    columns: [
      c('dev', 'u32', 'as fault_file.dev'),
      c('ino', 'u64', 'as fault_file.ino'),
      c('name', 'utf8', 'the path tail, e.g. "build/tmp/data.bin" (at most four components)'),
    ],
  },
  {
    name: 'fault_end',
    role: 'meta',
    group: 'fault',
    since: '1.7',
    doc: 'Every thread alive at the end of the recording, with its own fault counters read from /proc/<tgid>/task/<tid>/stat (fields minflt, majflt) just after the programs were detached: the closing observation of the last fault of a task that did not exit. Empty when fault was not recorded.',
    columns: [TS, c('tid', 'i32', 'the thread'), c('tgid', 'i32', 'its process'), ...COUNTERS('at the end')],
  },
];
