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
        'recorder flags about next: 8 = the CPU it last ran on is known, and then 4 = that was another CPU (a migration); from format 1.9 on also 1 = next_wait_ns is the wait that this switch-in ends (paired in the kernel, as runqlat does: from the switch-out that left next R/R+, or from the wakeup that ended its sleep), with 2 = that wait began with a wakeup; 16 = next_wait_ns is instead how long next slept (no wakeup was seen: it raced the sleeping switch-out); null before format 1.2',
        true,
      ),
      c(
        'next_wait_ns',
        'i64',
        'with next_flags 1: how long next waited runnable before this switch-in, ns (ts - next_wait_ns = the start of the wait; the same rules as the thread_state view; waits that began before the capture are not paired); with 16: how long it slept; else 0. Null before format 1.9 (the sched_wait table)',
        true,
      ),
    ],
  },
  {
    name: 'sched_wait',
    role: 'event',
    group: 'sched',
    since: '1.2',
    until: '1.8',
    doc: 'Formats 1.2 to 1.8 (from 1.9 on, sched_switch.next_wait_ns holds the same waits). One row per switch-in that ends a wait the recorder paired in the kernel, as runqlat does: the wait began at the switch-out that left the task R/R+ or at the wakeup that ended its sleep (the same rules as the thread_state view). A shortcut for the analyzer: the sched_switch and sched_waking rows it comes from are recorded too. Waits that began before the capture are not paired.',
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
      c(
        'slept_state',
        'u16',
        'the sleep this wakeup ended, paired in the kernel: the state the task was switched out in (as sched_switch.prev_state: 0x1 S, 0x2 D, ...), 0 = it ended no sleep the recorder saw (the task was not seen switched out asleep: before the capture, or --no-sched-wait); null before format 1.9',
        true,
      ),
      c(
        'slept_ns',
        'i64',
        'how long that sleep lasted: from the sleeping switch-out to this wakeup, ns (0 when slept_state is 0); null before format 1.9',
        true,
      ),
    ],
  },
];
