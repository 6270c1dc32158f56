// DO NOT EDIT. Generated from bpf/events.h, families/files/files.h, families/io/io.h, families/kmem/kmem.h, families/sched/sched.h, families/signal/signal.h, families/syscall/syscall.h, families/task/task.h by scripts/gen-events.mjs.
// Run `npm run gen:events` after changing a wire header.

export const KT_WIRE_VERSION = 3;
export const KT_COMM_LEN = 16;
export const KT_KIND_MAX = 64;
export const KT_FILES_NR_MAX = 512;
export const KT_FILES_PATH_MAX = 256;
export const KT_FILES_PATH_BUF = 264;
export const KT_FILES_ARGV_MAX = 32;
export const KT_FILES_ARG_MAX = 256;
export const KT_FILES_ARGV_BYTES = 1024;
export const KT_FILES_ARGV_BUF = 1288;
export const KT_FILES_A_ARGV = 64;
export const KT_FILES_ARGV_MORE = 1;
export const KT_FILES_ARGV_TRUNC = 2;
export const KT_IO_F_SYNC = 1;
export const KT_IO_F_META = 2;
export const KT_IO_F_FUA = 4;
export const KT_IO_F_PREFLUSH = 8;
export const KT_IO_F_RAHEAD = 16;
export const KT_IO_F_BACKGROUND = 32;
export const KT_STACK_DEPTH = 64;
export const KT_NEXT_WAIT = 1;
export const KT_NEXT_WOKEN = 2;
export const KT_NEXT_MIGRATED = 4;
export const KT_NEXT_CPU_KNOWN = 8;
export const KT_FILENAME_LEN = 256;

/** enum values: kinds (enum kt_<family>_kind) and counters (enum kt_stat) */
export const KT_STAT_STACK_COLLISION = 0;
export const KT_STAT_STACK_ERROR = 1;
export const KT_STAT_FILTER_FULL = 2;
export const KT_STAT_SCHED_UNPAIRED = 3;
export const KT_STAT_RESCUED = 16;
export const KT_STAT_MAX = 80;
export const KT_FILES_PATH = 42;
export const KT_FILES_ARGV = 43;
export const KT_FILES_EXIT = 44;
export const KT_IO_START = 18;
export const KT_IO_INSERT = 19;
export const KT_IO_ISSUE = 20;
export const KT_IO_COMPLETE = 21;
export const KT_KMALLOC = 11;
export const KT_KFREE = 12;
export const KT_KMEM_CACHE_ALLOC = 13;
export const KT_KMEM_CACHE_FREE = 14;
export const KT_SCHED_SWITCH = 1;
export const KT_SCHED_WAKING = 2;
export const KT_SCHED_WAKEUP_NEW = 3;
export const KT_SIGNAL_GENERATE = 15;
export const KT_SIGNAL_DELIVER = 16;
export const KT_OOM_MARK_VICTIM = 17;
export const KT_SYS_ENTER = 9;
export const KT_SYS_EXIT = 10;
export const KT_TASK_NEWTASK = 4;
export const KT_TASK_EXEC = 5;
export const KT_TASK_EXIT = 6;
export const KT_TASK_RENAME = 7;
export const KT_TASK_FREE = 8;

/** struct sizes in bytes */
export const SIZEOF = {
  kt_hdr: 16,
  kt_loss: 24,
  kt_config: 32,
  kt_files_config: 512,
  kt_files_path: 296,
  kt_files_argv: 1328,
  kt_files_exit: 48,
  kt_io_rq: 88,
  kt_kmem_config: 8,
  kt_kmem_alloc: 64,
  kt_kmem_free: 40,
  kt_sched_config: 8,
  kt_sched_switch: 72,
  kt_sched_wake: 40,
  kt_signal_generate: 80,
  kt_signal_deliver: 64,
  kt_oom_victim: 96,
  kt_sys_enter: 72,
  kt_sys_exit: 32,
  kt_task_config: 8,
  kt_task_newtask: 56,
  kt_task_exec: 296,
  kt_task_exit: 48,
  kt_task_rename: 56,
  kt_task_free: 40,
} as const;

/** field offsets in bytes: OFF.struct.field */
export const OFF = {
  kt_hdr: {
    ts: 0,
    kind: 8,
    cpu: 10,
    tid: 12,
  },
  kt_loss: {
    count: 0,
    first_ts: 8,
    last_ts: 16,
  },
  kt_config: {
    self_tgid: 0,
    filter_tgids: 4,
    follow_children: 8,
    filter_comm: 12,
    comm: 16,
  },
  kt_files_config: {
    args: 0,
  },
  kt_files_path: {
    h: 0,
    tgid: 16,
    nr: 20,
    len: 24,
    arg: 28,
    path: 32,
  },
  kt_files_argv: {
    h: 0,
    tgid: 16,
    nr: 20,
    argc: 24,
    bytes: 28,
    flags: 32,
    cut: 36,
    buf: 40,
  },
  kt_files_exit: {
    h: 0,
    tgid: 16,
    nr: 20,
    ret: 24,
    entry_ts: 32,
    entry_tid: 40,
    _pad0: 44,
  },
  kt_io_rq: {
    h: 0,
    tgid: 16,
    dev: 20,
    rq: 24,
    sector: 32,
    bytes: 40,
    op: 44,
    flags: 48,
    status: 52,
    done: 56,
    sub_tid: 60,
    sub_tgid: 64,
    _pad0: 68,
    sub_comm: 72,
  },
  kt_kmem_config: {
    stacks: 0,
    _pad0: 4,
  },
  kt_kmem_alloc: {
    h: 0,
    tgid: 16,
    stack_id: 20,
    ptr: 24,
    call_site: 32,
    bytes_req: 40,
    bytes_alloc: 48,
    gfp_flags: 56,
    node: 60,
  },
  kt_kmem_free: {
    h: 0,
    tgid: 16,
    _pad0: 20,
    ptr: 24,
    call_site: 32,
  },
  kt_sched_config: {
    pair_waits: 0,
    _pad0: 4,
  },
  kt_sched_switch: {
    h: 0,
    prev_tgid: 16,
    next_tid: 20,
    next_tgid: 24,
    prev_state: 28,
    prev_prio: 32,
    next_prio: 36,
    prev_arrival: 40,
    next_wait: 48,
    next_flags: 56,
    prev_wait_flags: 60,
    prev_wait_since: 64,
  },
  kt_sched_wake: {
    h: 0,
    tgid: 16,
    waker_tid: 20,
    waker_tgid: 24,
    prio: 28,
    target_cpu: 32,
    _pad0: 36,
  },
  kt_signal_generate: {
    h: 0,
    tgid: 16,
    target_tid: 20,
    target_tgid: 24,
    sig: 28,
    si_code: 32,
    si_errno: 36,
    result: 40,
    group_signal: 44,
    comm: 48,
    target_comm: 64,
  },
  kt_signal_deliver: {
    h: 0,
    tgid: 16,
    sig: 20,
    si_code: 24,
    si_errno: 28,
    sa_handler: 32,
    sa_flags: 40,
    comm: 48,
  },
  kt_oom_victim: {
    h: 0,
    tgid: 16,
    uid: 20,
    killer_tid: 24,
    killer_tgid: 28,
    total_vm_pages: 32,
    anon_rss_pages: 40,
    file_rss_pages: 48,
    shmem_rss_pages: 56,
    pgtables_bytes: 64,
    oom_score_adj: 72,
    _pad0: 74,
    _pad1: 76,
    comm: 80,
  },
  kt_sys_enter: {
    h: 0,
    tgid: 16,
    nr: 20,
    args: 24,
  },
  kt_sys_exit: {
    h: 0,
    tgid: 16,
    nr: 20,
    ret: 24,
  },
  kt_task_config: {
    emit_task: 0,
    _pad0: 4,
  },
  kt_task_newtask: {
    h: 0,
    tgid: 16,
    child_tid: 20,
    child_tgid: 24,
    _pad0: 28,
    clone_flags: 32,
    comm: 40,
  },
  kt_task_exec: {
    h: 0,
    tgid: 16,
    old_tid: 20,
    comm: 24,
    filename: 40,
  },
  kt_task_exit: {
    h: 0,
    tgid: 16,
    exit_code: 20,
    group_dead: 24,
    _pad0: 28,
    comm: 32,
  },
  kt_task_rename: {
    h: 0,
    tgid: 16,
    _pad0: 20,
    oldcomm: 24,
    newcomm: 40,
  },
  kt_task_free: {
    h: 0,
    tgid: 16,
    _pad0: 20,
    comm: 24,
  },
} as const;

/** field sizes in bytes: FSIZE.struct.field */
export const FSIZE = {
  kt_hdr: {
    ts: 8,
    kind: 2,
    cpu: 2,
    tid: 4,
  },
  kt_loss: {
    count: 8,
    first_ts: 8,
    last_ts: 8,
  },
  kt_config: {
    self_tgid: 4,
    filter_tgids: 4,
    follow_children: 4,
    filter_comm: 4,
    comm: 16,
  },
  kt_files_config: {
    args: 512,
  },
  kt_files_path: {
    h: 16,
    tgid: 4,
    nr: 4,
    len: 4,
    arg: 4,
    path: 264,
  },
  kt_files_argv: {
    h: 16,
    tgid: 4,
    nr: 4,
    argc: 4,
    bytes: 4,
    flags: 4,
    cut: 4,
    buf: 1288,
  },
  kt_files_exit: {
    h: 16,
    tgid: 4,
    nr: 4,
    ret: 8,
    entry_ts: 8,
    entry_tid: 4,
    _pad0: 4,
  },
  kt_io_rq: {
    h: 16,
    tgid: 4,
    dev: 4,
    rq: 8,
    sector: 8,
    bytes: 4,
    op: 4,
    flags: 4,
    status: 4,
    done: 4,
    sub_tid: 4,
    sub_tgid: 4,
    _pad0: 4,
    sub_comm: 16,
  },
  kt_kmem_config: {
    stacks: 4,
    _pad0: 4,
  },
  kt_kmem_alloc: {
    h: 16,
    tgid: 4,
    stack_id: 4,
    ptr: 8,
    call_site: 8,
    bytes_req: 8,
    bytes_alloc: 8,
    gfp_flags: 4,
    node: 4,
  },
  kt_kmem_free: {
    h: 16,
    tgid: 4,
    _pad0: 4,
    ptr: 8,
    call_site: 8,
  },
  kt_sched_config: {
    pair_waits: 4,
    _pad0: 4,
  },
  kt_sched_switch: {
    h: 16,
    prev_tgid: 4,
    next_tid: 4,
    next_tgid: 4,
    prev_state: 4,
    prev_prio: 4,
    next_prio: 4,
    prev_arrival: 8,
    next_wait: 8,
    next_flags: 4,
    prev_wait_flags: 4,
    prev_wait_since: 8,
  },
  kt_sched_wake: {
    h: 16,
    tgid: 4,
    waker_tid: 4,
    waker_tgid: 4,
    prio: 4,
    target_cpu: 4,
    _pad0: 4,
  },
  kt_signal_generate: {
    h: 16,
    tgid: 4,
    target_tid: 4,
    target_tgid: 4,
    sig: 4,
    si_code: 4,
    si_errno: 4,
    result: 4,
    group_signal: 4,
    comm: 16,
    target_comm: 16,
  },
  kt_signal_deliver: {
    h: 16,
    tgid: 4,
    sig: 4,
    si_code: 4,
    si_errno: 4,
    sa_handler: 8,
    sa_flags: 8,
    comm: 16,
  },
  kt_oom_victim: {
    h: 16,
    tgid: 4,
    uid: 4,
    killer_tid: 4,
    killer_tgid: 4,
    total_vm_pages: 8,
    anon_rss_pages: 8,
    file_rss_pages: 8,
    shmem_rss_pages: 8,
    pgtables_bytes: 8,
    oom_score_adj: 2,
    _pad0: 2,
    _pad1: 4,
    comm: 16,
  },
  kt_sys_enter: {
    h: 16,
    tgid: 4,
    nr: 4,
    args: 48,
  },
  kt_sys_exit: {
    h: 16,
    tgid: 4,
    nr: 4,
    ret: 8,
  },
  kt_task_config: {
    emit_task: 4,
    _pad0: 4,
  },
  kt_task_newtask: {
    h: 16,
    tgid: 4,
    child_tid: 4,
    child_tgid: 4,
    _pad0: 4,
    clone_flags: 8,
    comm: 16,
  },
  kt_task_exec: {
    h: 16,
    tgid: 4,
    old_tid: 4,
    comm: 16,
    filename: 256,
  },
  kt_task_exit: {
    h: 16,
    tgid: 4,
    exit_code: 4,
    group_dead: 4,
    _pad0: 4,
    comm: 16,
  },
  kt_task_rename: {
    h: 16,
    tgid: 4,
    _pad0: 4,
    oldcomm: 16,
    newcomm: 16,
  },
  kt_task_free: {
    h: 16,
    tgid: 4,
    _pad0: 4,
    comm: 16,
  },
} as const;

/** field C types (u32, s64, char, u64[] ...): FTYPE.struct.field */
export const FTYPE = {
  kt_hdr: {
    ts: 'u64',
    kind: 'u16',
    cpu: 'u16',
    tid: 'u32',
  },
  kt_loss: {
    count: 'u64',
    first_ts: 'u64',
    last_ts: 'u64',
  },
  kt_config: {
    self_tgid: 'u32',
    filter_tgids: 'u32',
    follow_children: 'u32',
    filter_comm: 'u32',
    comm: 'char',
  },
  kt_files_config: {
    args: 'u8[]',
  },
  kt_files_path: {
    h: 'struct',
    tgid: 'u32',
    nr: 's32',
    len: 's32',
    arg: 'u32',
    path: 'char',
  },
  kt_files_argv: {
    h: 'struct',
    tgid: 'u32',
    nr: 's32',
    argc: 'u32',
    bytes: 'u32',
    flags: 'u32',
    cut: 'u32',
    buf: 'char',
  },
  kt_files_exit: {
    h: 'struct',
    tgid: 'u32',
    nr: 's32',
    ret: 's64',
    entry_ts: 'u64',
    entry_tid: 'u32',
    _pad0: 'u32',
  },
  kt_io_rq: {
    h: 'struct',
    tgid: 'u32',
    dev: 'u32',
    rq: 'u64',
    sector: 'u64',
    bytes: 'u32',
    op: 'u32',
    flags: 'u32',
    status: 's32',
    done: 'u32',
    sub_tid: 'u32',
    sub_tgid: 'u32',
    _pad0: 'u32',
    sub_comm: 'char',
  },
  kt_kmem_config: {
    stacks: 'u32',
    _pad0: 'u32',
  },
  kt_kmem_alloc: {
    h: 'struct',
    tgid: 'u32',
    stack_id: 's32',
    ptr: 'u64',
    call_site: 'u64',
    bytes_req: 'u64',
    bytes_alloc: 'u64',
    gfp_flags: 'u32',
    node: 's32',
  },
  kt_kmem_free: {
    h: 'struct',
    tgid: 'u32',
    _pad0: 'u32',
    ptr: 'u64',
    call_site: 'u64',
  },
  kt_sched_config: {
    pair_waits: 'u32',
    _pad0: 'u32',
  },
  kt_sched_switch: {
    h: 'struct',
    prev_tgid: 'u32',
    next_tid: 'u32',
    next_tgid: 'u32',
    prev_state: 'u32',
    prev_prio: 's32',
    next_prio: 's32',
    prev_arrival: 'u64',
    next_wait: 'u64',
    next_flags: 'u32',
    prev_wait_flags: 'u32',
    prev_wait_since: 'u64',
  },
  kt_sched_wake: {
    h: 'struct',
    tgid: 'u32',
    waker_tid: 'u32',
    waker_tgid: 'u32',
    prio: 's32',
    target_cpu: 'u32',
    _pad0: 'u32',
  },
  kt_signal_generate: {
    h: 'struct',
    tgid: 'u32',
    target_tid: 'u32',
    target_tgid: 'u32',
    sig: 's32',
    si_code: 's32',
    si_errno: 's32',
    result: 's32',
    group_signal: 'u32',
    comm: 'char',
    target_comm: 'char',
  },
  kt_signal_deliver: {
    h: 'struct',
    tgid: 'u32',
    sig: 's32',
    si_code: 's32',
    si_errno: 's32',
    sa_handler: 'u64',
    sa_flags: 'u64',
    comm: 'char',
  },
  kt_oom_victim: {
    h: 'struct',
    tgid: 'u32',
    uid: 'u32',
    killer_tid: 'u32',
    killer_tgid: 'u32',
    total_vm_pages: 'u64',
    anon_rss_pages: 'u64',
    file_rss_pages: 'u64',
    shmem_rss_pages: 'u64',
    pgtables_bytes: 'u64',
    oom_score_adj: 's16',
    _pad0: 'u16',
    _pad1: 'u32',
    comm: 'char',
  },
  kt_sys_enter: {
    h: 'struct',
    tgid: 'u32',
    nr: 's32',
    args: 'u64[]',
  },
  kt_sys_exit: {
    h: 'struct',
    tgid: 'u32',
    nr: 's32',
    ret: 's64',
  },
  kt_task_config: {
    emit_task: 'u32',
    _pad0: 'u32',
  },
  kt_task_newtask: {
    h: 'struct',
    tgid: 'u32',
    child_tid: 'u32',
    child_tgid: 'u32',
    _pad0: 'u32',
    clone_flags: 'u64',
    comm: 'char',
  },
  kt_task_exec: {
    h: 'struct',
    tgid: 'u32',
    old_tid: 'u32',
    comm: 'char',
    filename: 'char',
  },
  kt_task_exit: {
    h: 'struct',
    tgid: 'u32',
    exit_code: 's32',
    group_dead: 'u32',
    _pad0: 'u32',
    comm: 'char',
  },
  kt_task_rename: {
    h: 'struct',
    tgid: 'u32',
    _pad0: 'u32',
    oldcomm: 'char',
    newcomm: 'char',
  },
  kt_task_free: {
    h: 'struct',
    tgid: 'u32',
    _pad0: 'u32',
    comm: 'char',
  },
} as const;
