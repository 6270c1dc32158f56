/**
 * syscall family exporters. Perfetto: the raw entries and exits as sys_enter/sys_exit ftrace events
 * (trace_processor pairs them and names them from the SystemInfo's architecture). Chrome: the analyzer's
 * syscalls view (its pairing and names, calls left open cut at the window edges) as slices on a companion
 * lane of each thread, since a call that blocks spans several running intervals and cannot nest in them.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import { F, V, fieldNumbers, writeVarint64 } from '../../export/ftrace.js';
import type { ExportContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { LANE_TID_BASE, us } from '../../export/chrome-format.js';
import type { Col, Scan } from '../../export/scan.js';

const SE = fieldNumbers(pb.SysEnterFtraceEventSchema);
const SX = fieldNumbers(pb.SysExitFtraceEventSchema);

/** a 64-bit column as two 32-bit halves, for the varint encoder */
const halves = (c: string) => `(${c} & 4294967295)::UINTEGER AS ${c}_lo, ((${c} >> 32) & 4294967295)::UINTEGER AS ${c}_hi`;
const ARGS = ['arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5'];

/** raw events of the window, of selected threads (the tgid join only when selecting) */
function rawSql(ctx: ExportContext, table: string, cols: string): string {
  const join = ctx.filtered ? 'LEFT JOIN _tgid_map m ON m.tid = e.tid AND e.ts >= m.from_ts AND e.ts < m.to_ts' : '';
  const keep = ctx.filtered ? 'AND _export_keep(e.tid, m.tgid)' : '';
  return `SELECT e.cpu::INTEGER AS cpu, e.ts::DOUBLE AS ts, e.tid, e.nr, ${cols}
    FROM ${table} e ${join} WHERE e.ts BETWEEN ${ctx.lo} AND ${ctx.hi} ${keep} ORDER BY e.ts`;
}

function q(w: ReturnType<ReturnType<PerfettoContext['ftrace']>['head']>, lo: Col, hi: Col, i: number) {
  return writeVarint64(w, lo.getItem(i), hi.getItem(i));
}

function writeEnters(s: Scan, ft: ReturnType<PerfettoContext['ftrace']>): void {
  const cpu = s.col('cpu'), ts = s.col('ts'), tid = s.col('tid'), nr = s.col('nr');
  const a = ARGS.map((x) => [s.col(`${x}_lo`), s.col(`${x}_hi`)]);
  for (let i = 0; i < s.rows; i++) {
    const c = cpu.getItem(i);
    const w = ft.head(c, ts.getItem(i), tid.getItem(i), F.ev.sys_enter).tag(SE.id, V).int32(nr.getItem(i));
    for (let k = 0; k < 6; k++) q(w.tag(SE.args, V), a[k][0], a[k][1], i);
    ft.done(c);
  }
}

function writeExits(s: Scan, ft: ReturnType<PerfettoContext['ftrace']>): void {
  const cpu = s.col('cpu'), ts = s.col('ts'), tid = s.col('tid'), nr = s.col('nr'), lo = s.col('ret_lo'), hi = s.col('ret_hi');
  for (let i = 0; i < s.rows; i++) {
    const c = cpu.getItem(i);
    q(ft.head(c, ts.getItem(i), tid.getItem(i), F.ev.sys_exit).tag(SX.id, V).int32(nr.getItem(i)).tag(SX.ret, V), lo, hi, i);
    ft.done(c);
  }
}

const CHROME_SQL = `SELECT ts::DOUBLE AS ts, end_ts::DOUBLE AS end_ts, clipped, tid, tgid, nr, name, ret,
  printf('0x%x', arg0) AS a0, printf('0x%x', arg1) AS a1, printf('0x%x', arg2) AS a2 FROM _export_syscalls ORDER BY ts, tid`;

export const syscallExport: FamilyExport = {
  group: 'syscall',
  sql: ['families/syscall/export.sql'],
  perfettoRefs: (ctx) => `SELECT tid, min(ts) AS ts FROM _syscall_enter WHERE ts BETWEEN ${ctx.lo} AND ${ctx.hi} GROUP BY tid
    UNION ALL SELECT tid, min(ts) FROM _syscall_exit WHERE ts BETWEEN ${ctx.lo} AND ${ctx.hi} GROUP BY tid`,
  async perfetto(ctx) {
    // entries, then exits: each pass is time-ordered per CPU, which is all a bundle needs
    const enters = ctx.ftrace();
    await ctx.scan(rawSql(ctx, '_syscall_enter', ARGS.map(halves).join(', ')), (s) => writeEnters(s, enters));
    enters.close();
    const exits = ctx.ftrace();
    await ctx.scan(rawSql(ctx, '_syscall_exit', halves('ret')), (s) => writeExits(s, exits));
    exits.close();
  },
  async chrome(ctx) {
    await ctx.scan(CHROME_SQL, (s) => {
      const ts = s.col('ts'), end = s.col('end_ts'), clipped = s.col('clipped'), tid = s.col('tid'), tgid = s.col('tgid');
      const nr = s.col('nr'), name = s.col('name'), ret = s.col('ret'), a0 = s.col('a0'), a1 = s.col('a1'), a2 = s.col('a2');
      for (let i = 0; i < s.rows; i++) {
        const t = tid.getItem(i), pid = tgid.getItem(i), from = ts.getItem(i), r = ret.getItem(i);
        ctx.companion(pid, t, LANE_TID_BASE + t, 'syscalls');
        ctx.emit(`{"ph":"X","cat":"syscall","name":${JSON.stringify(name.getItem(i))},"pid":${pid},"tid":${LANE_TID_BASE + t},"ts":${us(from)},"dur":${us(end.getItem(i) - from)},"args":{"nr":${nr.getItem(i)},"ret":${r === null ? 'null' : String(r)},"arg0":"${a0.getItem(i) ?? ''}","arg1":"${a1.getItem(i) ?? ''}","arg2":"${a2.getItem(i) ?? ''}"${clipped.getItem(i) ? ',"clipped":true' : ''}}}`);
      }
    });
  },
};
