/** The sched family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

export const TABLES: TableDef[] = [
  {
    name: 'sched_switch',
    role: 'event',
    group: 'sched',
    doc: 'One row per context switch (tracepoint sched:sched_switch). tgids are in task_ids.',
    columns: [
      TS,
      CPU,
      c('prev_tid', 'i32', 'task switched out (0 = idle)'),
      c('next_tid', 'i32', 'task switched in (0 = idle)'),
      c(
        'prev_state',
        'u16',
        'prev task state as the tracepoint reports it: 0 = R (runnable), 0x1 S, 0x2 D, 0x4 T, 0x8 t, 0x10 X, 0x20 Z, 0x40 P, 0x80 I, 0x100 = preempted (R+)',
      ),
      c('prev_prio', 'u8', 'kernel prio of prev (0..139, lower is higher priority)'),
      c('next_prio', 'u8', 'kernel prio of next'),
      c(
        'next_flags',
        'u8',
        'recorder flags about next: 8 = the CPU it last ran on is known, and then 4 = that was another CPU (a migration); null before format 1.2',
        true,
      ),
    ],
  },
  {
    name: 'sched_wait',
    role: 'event',
    group: 'sched',
    since: '1.2',
    doc: 'One row per switch-in that ends a wait the recorder paired in the kernel, as runqlat does: the wait began at the switch-out that left the task R/R+ or at the wakeup that ended its sleep (the same rules as the thread_state view). A shortcut for the analyzer: the sched_switch and sched_waking rows it comes from are recorded too. Waits that began before the capture are not paired.',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'task switched in (next_tid of the sched_switch row with the same ts and cpu)'),
      c('wait_ns', 'i64', 'how long it waited, runnable, ns (ts - wait_ns = the start of the wait)'),
      c('woken', 'u8', '1 = the wait began with a wakeup, 0 = with a preemption or yield (R/R+)'),
    ],
  },
  {
    name: 'sched_waking',
    role: 'event',
    group: 'sched',
    doc: 'One row per wakeup (sched:sched_waking, and sched:sched_wakeup_new for new tasks).',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'woken task'),
      c('target_cpu', 'u16', 'CPU the woken task is queued on'),
      c('prio', 'u8', 'kernel prio of the woken task'),
      c('wakeup_new', 'u8', '1 = sched_wakeup_new (first wakeup of a new task), 0 = sched_waking'),
      c('waker_tid', 'i32', 'task that issued the wakeup (0 = idle/irq on an idle CPU)'),
    ],
  },
];
