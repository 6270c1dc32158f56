/**
 * syscall family exporters. Perfetto: the raw entries and exits as sys_enter/sys_exit ftrace events
 * (trace_processor pairs them and names them from the SystemInfo's architecture). Chrome: the analyzer's
 * syscalls view (its pairing and names, calls left open cut at the window edges) as slices on a companion
 * lane of each thread, since a call that blocks spans several running intervals and cannot nest in them.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import { F, V, fieldNumbers, type FtraceWriter } from '../../export/ftrace.js';
import type { ChromeContext, ExportContext, FamilyExport } from '../../export/handlers.js';
import { LANE_TID_BASE, us } from '../../export/chrome-format.js';
import { isValid, type Scan } from '../../export/scan.js';

const SE = fieldNumbers(pb.SysEnterFtraceEventSchema);
const SX = fieldNumbers(pb.SysExitFtraceEventSchema);

const ARGS = ['arg0', 'arg1', 'arg2', 'arg3', 'arg4', 'arg5'];

/**
 * Raw events of the window, of selected threads (the tgid join only when selecting). No ORDER BY: the
 * table's own order is the recorder's, time-ordered per CPU, which is all a bundle needs (an event out of
 * order only starts a new bundle). The 64-bit fields stay BIGINT/UBIGINT and are read as 32-bit halves.
 */
function rawSql(ctx: ExportContext, table: string, cols: string): string {
  const join = ctx.filtered ? 'LEFT JOIN _tgid_map m ON m.tid = e.tid AND e.ts >= m.from_ts AND e.ts < m.to_ts' : '';
  const keep = ctx.filtered ? 'AND _export_keep(e.tid, m.tgid)' : '';
  return `SELECT e.cpu, e.ts::DOUBLE AS ts, e.tid, e.nr, ${cols}
    FROM ${table} e ${join} WHERE e.ts BETWEEN ${ctx.lo} AND ${ctx.hi} ${keep}`;
}

function writeEnters(s: Scan, ft: FtraceWriter): void {
  const cpu = s.num('cpu'),
    ts = s.num('ts'),
    tid = s.num('tid'),
    nr = s.num('nr');
  const a0 = s.halves('arg0'),
    a1 = s.halves('arg1'),
    a2 = s.halves('arg2'),
    a3 = s.halves('arg3'),
    a4 = s.halves('arg4'),
    a5 = s.halves('arg5');
  const arg = SE.args;
  for (let i = 0, j = 0; i < s.rows; i++, j += 2) {
    const c = cpu[i];
    ft.head(c, ts[i], tid[i], F.ev.sys_enter)
      .tag(SE.id, V)
      .int32(nr[i])
      .tag(arg, V)
      .varint64(a0[j], a0[j + 1])
      .tag(arg, V)
      .varint64(a1[j], a1[j + 1])
      .tag(arg, V)
      .varint64(a2[j], a2[j + 1])
      .tag(arg, V)
      .varint64(a3[j], a3[j + 1])
      .tag(arg, V)
      .varint64(a4[j], a4[j + 1])
      .tag(arg, V)
      .varint64(a5[j], a5[j + 1]);
    ft.done(c);
  }
}

function writeExits(s: Scan, ft: FtraceWriter): void {
  const cpu = s.num('cpu'),
    ts = s.num('ts'),
    tid = s.num('tid'),
    nr = s.num('nr'),
    ret = s.halves('ret');
  for (let i = 0, j = 0; i < s.rows; i++, j += 2) {
    const c = cpu[i];
    ft.head(c, ts[i], tid[i], F.ev.sys_exit)
      .tag(SX.id, V)
      .int32(nr[i])
      .tag(SX.ret, V)
      .varint64(ret[j], ret[j + 1]);
    ft.done(c);
  }
}

/** Chrome: ORDER BY keeps the output the same from run to run (the view's pairing has no order of its own) */
const CHROME_SQL = `SELECT ts::DOUBLE AS ts, end_ts::DOUBLE AS end_ts, clipped, tid, tgid, nr, name, ret, arg0, arg1, arg2, path
  FROM _export_syscalls ORDER BY ts, tid`;

/**
 * A 64-bit value from its halves as printf('0x%x') writes it; '' for NULL. Arguments repeat a great deal
 * (the same fd, buffer, flags), so the last string made for each of 1024 slots is kept.
 */
class Hex {
  private readonly lo = new Float64Array(1024).fill(-1);
  private readonly hi = new Uint32Array(1024);
  private readonly str: string[] = new Array(1024).fill('');
  get(v: Uint32Array, valid: Uint8Array | null, i: number): string {
    if (!isValid(valid, i)) return '';
    const lo = v[2 * i],
      hi = v[2 * i + 1],
      k = (lo ^ (lo >>> 10) ^ (hi * 7)) & 1023;
    if (this.lo[k] === lo && this.hi[k] === hi) return this.str[k];
    const s = hi === 0 ? `0x${lo.toString(16)}` : `0x${hi.toString(16)}${lo.toString(16).padStart(8, '0')}`;
    this.lo[k] = lo;
    this.hi[k] = hi;
    return (this.str[k] = s);
  }
}

/** a signed 64-bit value from its halves, as a JSON number (exact: a bigint past 2^53) */
function int64(v: Uint32Array, i: number): string {
  const lo = v[2 * i],
    hi = v[2 * i + 1] | 0;
  if (hi >= -0x200000 && hi < 0x200000) return String(hi * 4294967296 + lo);
  return String((BigInt(hi) << 32n) | BigInt(lo));
}

function chromeCalls(ctx: ChromeContext, s: Scan, names: Map<string, string>, hex: Hex): void {
  const ts = s.num('ts'),
    end = s.num('end_ts'),
    clipped = s.num('clipped'),
    tid = s.num('tid'),
    tgid = s.num('tgid'),
    nr = s.num('nr');
  const name = s.str('name'),
    ret = s.halves('ret'),
    retValid = s.valid('ret');
  const a0 = s.halves('arg0'),
    a1 = s.halves('arg1'),
    a2 = s.halves('arg2'),
    v0 = s.valid('arg0'),
    v1 = s.valid('arg1'),
    v2 = s.valid('arg2');
  // the files family's path (NULL when it was not recorded)
  const path = s.str('path');
  for (let i = 0; i < s.rows; i++) {
    const t = tid[i],
      pid = tgid[i],
      from = ts[i],
      n = name.get(i)!,
      pth = path.get(i);
    let json = names.get(n);
    if (json === undefined) names.set(n, (json = JSON.stringify(n)));
    ctx.companion(pid, t, LANE_TID_BASE + t, 'syscalls');
    ctx.emit(
      `{"ph":"X","cat":"syscall","name":${json},"pid":${pid},"tid":${LANE_TID_BASE + t},"ts":${us(from)},"dur":${us(end[i] - from)},"args":{"nr":${nr[i]},"ret":${isValid(retValid, i) ? int64(ret, i) : 'null'},"arg0":"${hex.get(a0, v0, i)}","arg1":"${hex.get(a1, v1, i)}","arg2":"${hex.get(a2, v2, i)}"${pth == null ? '' : `,"path":${JSON.stringify(pth)}`}${clipped[i] ? ',"clipped":true' : ''}}}`,
    );
  }
}

export const syscallExport: FamilyExport = {
  group: 'syscall',
  sql: ['families/syscall/export.sql'],
  perfettoRefs: (ctx) => `SELECT tid, min(ts) AS ts FROM _syscall_enter WHERE ts BETWEEN ${ctx.lo} AND ${ctx.hi} GROUP BY tid
    UNION ALL SELECT tid, min(ts) FROM _syscall_exit WHERE ts BETWEEN ${ctx.lo} AND ${ctx.hi} GROUP BY tid`,
  async perfetto(ctx) {
    // entries, then exits: each pass is time-ordered per CPU, which is all a bundle needs
    const enters = ctx.ftrace();
    await ctx.scan(rawSql(ctx, '_syscall_enter', ARGS.join(', ')), (s) => writeEnters(s, enters));
    enters.close();
    const exits = ctx.ftrace();
    await ctx.scan(rawSql(ctx, '_syscall_exit', 'ret'), (s) => writeExits(s, exits));
    exits.close();
  },
  async chrome(ctx) {
    const names = new Map<string, string>();
    const hex = new Hex();
    await ctx.scan(CHROME_SQL, (s) => chromeCalls(ctx, s, names, hex));
  },
};
