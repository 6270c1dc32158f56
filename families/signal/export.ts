/**
 * signal family exporters, from _export_signal (families/signal/export.sql). Perfetto: the ftrace events the
 * kernel would have written (signal_generate, signal_deliver, mark_victim), which trace_processor shows as
 * instants on the threads' tracks. Chrome: instants on the lane of the thread each is about (the target of a
 * generated signal, the receiver of a delivery, the OOM victim).
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import { F, L, V, fieldNumbers } from '../../export/ftrace.js';
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { us } from '../../export/chrome-format.js';

const SG = fieldNumbers(pb.SignalGenerateFtraceEventSchema);
const SD = fieldNumbers(pb.SignalDeliverFtraceEventSchema);
const MV = fieldNumbers(pb.MarkVictimFtraceEventSchema);

const COLS = [
  'event',
  'cpu',
  'ts',
  'cur_tid',
  'cur_tgid',
  'cur_comm',
  'lane_tid',
  'lane_tgid',
  'lane_comm',
  'sig',
  'signal',
  'si_code',
  'si_errno',
  'result',
  'result_name',
  'grp',
  'disposition',
  'sa_handler',
  'sa_flags',
  'rss_bytes',
  'oom_score_adj',
];
const SQL = `SELECT event, cpu::INTEGER AS cpu, ts::DOUBLE AS ts, cur_tid, cur_tgid, cur_comm, lane_tid, lane_tgid, lane_comm, sig, signal,
  si_code, si_errno, result, result_name, grp, disposition, sa_handler, sa_flags, rss_bytes::DOUBLE AS rss_bytes, oom_score_adj::INTEGER AS oom_score_adj
  FROM _export_signal ORDER BY cpu, ts`;

type Row = Record<string, any>;

function perfettoEvent(ft: ReturnType<PerfettoContext['ftrace']>, r: Row): void {
  if (r.event === 'generate') {
    ft.head(r.cpu, r.ts, r.cur_tid, F.ev.signal_generate)
      .tag(SG.code, V)
      .int32(r.si_code)
      .tag(SG.comm, L)
      .string(r.lane_comm ?? '')
      .tag(SG.group, V)
      .int32(r.grp)
      .tag(SG.pid, V)
      .int32(r.lane_tid)
      .tag(SG.result, V)
      .int32(r.result)
      .tag(SG.sig, V)
      .int32(r.sig);
  } else if (r.event === 'deliver') {
    ft.head(r.cpu, r.ts, r.cur_tid, F.ev.signal_deliver)
      .tag(SD.code, V)
      .int32(r.si_code)
      .tag(SD.sa_flags, V)
      .uint64(BigInt(r.sa_flags))
      .tag(SD.sig, V)
      .int32(r.sig);
  } else {
    ft.head(r.cpu, r.ts, r.cur_tid, F.ev.mark_victim).tag(MV.pid, V).int32(r.lane_tid);
  }
  ft.done(r.cpu);
}

const j = (v: unknown) => JSON.stringify(v ?? null);

function chromeEvent(ctx: ChromeContext, r: Row): void {
  const pid = r.lane_tgid ?? r.lane_tid,
    tid = r.lane_tid;
  ctx.lane(pid, tid);
  const head = `{"ph":"i","s":"t","cat":"signal","pid":${pid},"tid":${tid},"ts":${us(r.ts)}`;
  if (r.event === 'generate') {
    ctx.emit(
      `${head},"name":${j(`${r.signal} sent`)},"args":{"sig":${r.sig},"result":${j(r.result_name)},"from_tid":${r.cur_tid},"from_pid":${r.cur_tgid},"from_comm":${j(r.cur_comm)},"group":${r.grp},"si_code":${r.si_code}}}`,
    );
  } else if (r.event === 'deliver') {
    ctx.emit(
      `${head},"name":${j(`${r.signal} delivered`)},"args":{"sig":${r.sig},"disposition":${j(r.disposition)},"sa_handler":${j(r.sa_handler)},"sa_flags":${j(r.sa_flags)},"si_code":${r.si_code}}}`,
    );
  } else {
    ctx.emit(
      `${head},"name":"OOM kill","args":{"comm":${j(r.lane_comm)},"rss_bytes":${r.rss_bytes ?? 'null'},"oom_score_adj":${r.oom_score_adj ?? 'null'},"killer_tid":${r.cur_tid}}}`,
    );
  }
}

export const signalExport: FamilyExport = {
  group: 'signal',
  sql: ['families/signal/export.sql'],
  perfettoRefs: () => `SELECT cur_tid AS tid, ts FROM _export_signal UNION ALL SELECT lane_tid, ts FROM _export_signal`,
  async perfetto(ctx) {
    const ft = ctx.ftrace();
    await ctx.scan(SQL, (s) => {
      for (const r of s.objects(COLS)) perfettoEvent(ft, r);
    });
    ft.close();
  },
  async chrome(ctx) {
    await ctx.scan(SQL.replace('ORDER BY cpu, ts', 'ORDER BY ts, lane_tid'), (s) => {
      for (const r of s.objects(COLS)) chromeEvent(ctx, r);
    });
  },
};
