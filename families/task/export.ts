/**
 * task family exporters: fork, exec, rename, exit and free from the task_events view (families/task/export.sql).
 * Perfetto: as the ftrace events the kernel would have written (an exec that changed the thread's name is
 * followed by a task_rename, since the kernel's own may be filtered or not recorded). Chrome: instants on the
 * thread's lane. The exit's accounting: Perfetto, an instant on the thread's track with the figures as debug
 * annotations; Chrome, the exit instant's args.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import { F, L, V, fieldNumbers } from '../../export/ftrace.js';
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { us } from '../../export/chrome-format.js';
import { writeTrackEvent } from '../../export/track-event.js';

const NT = fieldNumbers(pb.TaskNewtaskFtraceEventSchema);
const RN = fieldNumbers(pb.TaskRenameFtraceEventSchema);
const EX = fieldNumbers(pb.SchedProcessExecFtraceEventSchema);
const PE = fieldNumbers(pb.SchedProcessExitFtraceEventSchema);
const PF = fieldNumbers(pb.SchedProcessFreeFtraceEventSchema);

/** the exit's accounting, as the Chrome exit's args (families/task/sql/accounting.sql; NULL before format 1.7) */
const ACCT = ['prio', 'nice', 'policy', 'nvcsw', 'nivcsw', 'min_flt', 'maj_flt', 'utime_ns', 'stime_ns', 'runtime_ns', 'vm_bytes', 'maxrss_bytes'];

const SQL = `SELECT event, cpu::INTEGER AS cpu, ts::DOUBLE AS ts, tid, coalesce(tgid, tid) AS tgid, comm, parent_tid,
  coalesce(parent_tgid, parent_tid) AS parent_tgid, (clone_flags & 4294967295)::UINTEGER AS flags_lo, ((clone_flags >> 32) & 4294967295)::UINTEGER AS flags_hi,
  printf('0x%x', clone_flags) AS flags_hex, clone_flags & 65536 <> 0 AS thread, filename, old_tid, exit_code, group_dead, old_comm, comm_before,
  ${ACCT.map((a) => `acct_${a}`).join(', ')}
  FROM _export_task ORDER BY cpu, ts`;

type Row = Record<string, any>;
const COLS = [
  'event',
  'cpu',
  'ts',
  'tid',
  'tgid',
  'comm',
  'parent_tid',
  'parent_tgid',
  'flags_lo',
  'flags_hi',
  'flags_hex',
  'thread',
  'filename',
  'old_tid',
  'exit_code',
  'group_dead',
  'old_comm',
  'comm_before',
  ...ACCT.map((a) => `acct_${a}`),
];

/** an exit with the kernel's accounting (format 1.7 on) */
const hasAcct = (r: Row) => r.acct_runtime_ns !== null && r.acct_runtime_ns !== undefined;

/** ,"nice":5,... for an exit with accounting, '' without */
function acctArgs(r: Row): string {
  if (!hasAcct(r)) return '';
  // counts and ns fit a double; bigints from DuckDB's BIGINT columns
  return ACCT.map((a) => `,"${a}":${JSON.stringify(typeof r[`acct_${a}`] === 'bigint' ? Number(r[`acct_${a}`]) : r[`acct_${a}`])}`).join('');
}

/**
 * Perfetto: an exit's accounting as an "exit" instant on the thread's own track, each figure a debug annotation
 * (the args of the instant in the UI and in trace_processor's args table); policy a string, the rest integers.
 */
function perfettoAccounting(ctx: PerfettoContext, r: Row): void {
  const trackUuid = ctx.track(r.comm ?? '', `thread ${r.tid} of process ${r.tgid}`, { thread: { tgid: r.tgid, tid: r.tid } });
  const debugAnnotations = ACCT.filter((a) => r[`acct_${a}`] !== null && r[`acct_${a}`] !== undefined).map((a) => {
    const v = r[`acct_${a}`];
    const value = typeof v === 'string' ? { case: 'stringValue', value: v } : { case: 'intValue', value: BigInt(v) };
    return { nameField: { case: 'name', value: a }, value };
  });
  const nameField = { case: 'name', value: 'exit accounting' };
  writeTrackEvent(ctx, r.ts, { type: pb.TrackEvent_Type.INSTANT, trackUuid, nameField, debugAnnotations });
}

function perfettoEvent(ft: ReturnType<PerfettoContext['ftrace']>, r: Row): void {
  const { cpu, ts, tid } = r;
  switch (r.event) {
    case 'fork':
      ft.head(cpu, ts, r.parent_tid, F.ev.task_newtask)
        .tag(NT.pid, V)
        .int32(tid)
        .tag(NT.comm, L)
        .string(r.comm)
        .tag(NT.clone_flags, V)
        .uint64(BigInt(r.flags_hi) * 4294967296n + BigInt(r.flags_lo));
      break;
    case 'exec':
      ft.head(cpu, ts, tid, F.ev.sched_process_exec)
        .tag(EX.filename, L)
        .string(r.filename ?? '')
        .tag(EX.pid, V)
        .int32(tid)
        .tag(EX.old_pid, V)
        .int32(r.old_tid);
      if (r.comm_before !== r.comm) {
        ft.done(cpu);
        ft.head(cpu, ts, tid, F.ev.task_rename).tag(RN.pid, V).int32(tid).tag(RN.oldcomm, L).string(r.comm_before).tag(RN.newcomm, L).string(r.comm);
      }
      break;
    case 'rename':
      ft.head(cpu, ts, tid, F.ev.task_rename)
        .tag(RN.pid, V)
        .int32(tid)
        .tag(RN.oldcomm, L)
        .string(r.old_comm ?? '')
        .tag(RN.newcomm, L)
        .string(r.comm ?? '');
      break;
    case 'exit':
      ft.head(cpu, ts, tid, F.ev.sched_process_exit)
        .tag(PE.comm, L)
        .string(r.comm ?? '')
        .tag(PE.pid, V)
        .int32(tid)
        .tag(PE.tgid, V)
        .int32(r.tgid);
      break;
    default:
      // the context that freed the task is not recorded: pid 0
      ft.head(cpu, ts, 0, F.ev.sched_process_free)
        .tag(PF.comm, L)
        .string(r.comm ?? '')
        .tag(PF.pid, V)
        .int32(tid);
  }
  ft.done(cpu);
}

function chromeEvent(ctx: ChromeContext, r: Row): void {
  const ts = us(r.ts);
  switch (r.event) {
    case 'fork':
      ctx.lane(r.parent_tgid, r.parent_tid);
      ctx.emit(
        `{"ph":"i","s":"t","cat":"task","name":"${r.thread ? 'clone thread' : 'fork'} ${r.tid}","pid":${r.parent_tgid},"tid":${r.parent_tid},"ts":${ts},"args":{"child_tid":${r.tid},"child_pid":${r.tgid},"comm":${JSON.stringify(r.comm)},"clone_flags":"${r.flags_hex}"}}`,
      );
      return;
    case 'exec':
      ctx.lane(r.tgid, r.tid);
      ctx.emit(
        `{"ph":"i","s":"t","cat":"task","name":${JSON.stringify(`exec ${r.filename}`)},"pid":${r.tgid},"tid":${r.tid},"ts":${ts},"args":{"filename":${JSON.stringify(r.filename)},"comm":${JSON.stringify(r.comm)},"old_tid":${r.old_tid}}}`,
      );
      return;
    case 'exit':
      ctx.lane(r.tgid, r.tid);
      ctx.emit(
        `{"ph":"i","s":"t","cat":"task","name":"exit","pid":${r.tgid},"tid":${r.tid},"ts":${ts},"args":{"exit_status":${r.exit_code >> 8},"signal":${r.exit_code & 0x7f},"group_dead":${r.group_dead ? 1 : 0},"comm":${JSON.stringify(r.comm)}${acctArgs(r)}}}`,
      );
      return;
    default:
  }
}

export const taskExport: FamilyExport = {
  group: 'task',
  sql: ['families/task/export.sql'],
  // the parent names the child in the fork; the child is declared just after it (ts + 1), so trace
  // processors attach it to the thread the fork created instead of making a new one
  perfettoRefs: () => `SELECT CASE WHEN event = 'fork' THEN parent_tid ELSE tid END AS tid, ts FROM _export_task
    UNION ALL SELECT tid, ts + 1 FROM _export_task WHERE event = 'fork'`,
  async perfetto(ctx) {
    const ft = ctx.ftrace();
    const exits: Row[] = [];
    await ctx.scan(SQL, (s) => {
      for (const r of s.objects(COLS)) {
        perfettoEvent(ft, r);
        if (r.event === 'exit' && hasAcct(r)) exits.push(r);
      }
    });
    ft.close();
    for (const r of exits) perfettoAccounting(ctx, r);
  },
  async chrome(ctx) {
    await ctx.scan(`${SQL.replace('ORDER BY cpu, ts', 'ORDER BY ts, tid')}`, (s) => {
      for (const r of s.objects(COLS)) chromeEvent(ctx, r);
    });
  },
};
