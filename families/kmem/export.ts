/**
 * kmem family exporters. Perfetto: every kmalloc/kfree and kmem_cache alloc/free as ftrace events (for SQL in
 * trace_processor), then the allocations still outstanding at the window end (the allocations view) as
 * instants on a "ktape: kmem outstanding at end" track with interned kernel callstacks (the stacks view's
 * frames). Chrome: those outstanding allocations as instants with their stack.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import { F, V, fieldNumbers, type FtraceWriter } from '../../export/ftrace.js';
import type { ChromeContext, ExportContext, FamilyExport } from '../../export/handlers.js';
import { LEAK_PID, us } from '../../export/chrome-format.js';
import type { Scan } from '../../export/scan.js';
import { writeLeaks, type Outstanding } from './leaks.js';

const KM = fieldNumbers(pb.KmallocFtraceEventSchema);
const KF = fieldNumbers(pb.KfreeFtraceEventSchema);
const KCA = fieldNumbers(pb.KmemCacheAllocFtraceEventSchema);
const KCF = fieldNumbers(pb.KmemCacheFreeFtraceEventSchema);

/** raw alloc (k 1) and free (k 0) events of the window, of selected threads; call_site and ptr stay UBIGINT (read as halves) */
function rawSql(ctx: ExportContext): string {
  const j = (a: string) => (ctx.filtered ? `LEFT JOIN _tgid_map m ON m.tid = ${a}.tid AND ${a}.ts >= m.from_ts AND ${a}.ts < m.to_ts` : '');
  const keep = (a: string) => (ctx.filtered ? `AND _export_keep(${a}.tid, m.tgid)` : '');
  const win = (a: string) => `${a}.ts BETWEEN ${ctx.lo} AND ${ctx.hi}`;
  return `SELECT 1 AS k, a.cpu, a.ts::DOUBLE AS ts, a.tid, a.cache, a.bytes_alloc, a.bytes_req, a.gfp_flags, a.call_site, a.ptr
    FROM _kmem_alloc a ${j('a')} WHERE ${win('a')} ${keep('a')}
    UNION ALL
    SELECT 0, f.cpu, f.ts::DOUBLE, f.tid, f.cache, NULL, NULL, NULL, f.call_site, f.ptr
    FROM _kmem_free f ${j('f')} WHERE ${win('f')} ${keep('f')}
    ORDER BY cpu, ts, k`;
}

function writeEvents(s: Scan, ft: FtraceWriter): void {
  const k = s.num('k'),
    cpu = s.num('cpu'),
    ts = s.num('ts'),
    tid = s.num('tid'),
    cache = s.num('cache');
  const ba = s.num('bytes_alloc'),
    br = s.num('bytes_req'),
    gfp = s.num('gfp_flags'),
    cs = s.halves('call_site'),
    p = s.halves('ptr');
  for (let i = 0, j = 0; i < s.rows; i++, j += 2) {
    const c = cpu[i],
      isCache = cache[i] !== 0;
    if (k[i] === 1) {
      const f = isCache ? KCA : KM;
      ft.head(c, ts[i], tid[i], isCache ? F.ev.kmem_cache_alloc : F.ev.kmalloc)
        .tag(f.bytes_alloc, V)
        .uint32(ba[i])
        .tag(f.bytes_req, V)
        .uint32(br[i])
        .tag(f.call_site, V)
        .varint64(cs[j], cs[j + 1])
        .tag(f.gfp_flags, V)
        .uint32(gfp[i])
        .tag(f.ptr, V)
        .varint64(p[j], p[j + 1]);
    } else {
      const f = isCache ? KCF : KF;
      ft.head(c, ts[i], tid[i], isCache ? F.ev.kmem_cache_free : F.ev.kfree)
        .tag(f.call_site, V)
        .varint64(cs[j], cs[j + 1])
        .tag(f.ptr, V)
        .varint64(p[j], p[j + 1]);
    }
    ft.done(c);
  }
}

const OUTSTANDING_SQL = `SELECT o.ts::DOUBLE AS ts, o.tid, o.cpu::INTEGER AS cpu, o.kind, o.ptr, o.call_site, o.site, o.bytes_req, o.bytes, o.comm,
  coalesce(list(f.ip ORDER BY f.depth) FILTER (WHERE f.ip IS NOT NULL), []) AS ips,
  coalesce(list(f.symbol ORDER BY f.depth) FILTER (WHERE f.ip IS NOT NULL), []) AS symbols,
  coalesce(list(f.frame ORDER BY f.depth) FILTER (WHERE f.ip IS NOT NULL), []) AS frames
  FROM _export_outstanding o LEFT JOIN _export_stack_frames f ON f.stack_id = o.stack_id
  GROUP BY ALL ORDER BY ts, ptr`;

/** outstanding allocations, in allocation order, one chunk at a time */
async function outstanding(ctx: ExportContext, each: (a: Outstanding) => void): Promise<void> {
  await ctx.scan(OUTSTANDING_SQL, (s) => {
    const names = ['ts', 'tid', 'cpu', 'kind', 'ptr', 'call_site', 'site', 'bytes_req', 'bytes', 'comm'];
    const cols = names.map((n) => s.col(n));
    const ips = s.col('ips'),
      symbols = s.col('symbols'),
      frames = s.col('frames');
    for (let i = 0; i < s.rows; i++) {
      const [ts, tid, cpu, kind, ptr, callSite, site, bytesReq, bytes, comm] = cols.map((c) => c.getItem(i));
      const list = (c: typeof ips) => (c.getItem(i)?.items ?? []) as unknown[];
      each({
        ts,
        tid,
        cpu,
        kind,
        ptr: BigInt(ptr),
        callSite: BigInt(callSite),
        site,
        bytesReq,
        bytes,
        comm,
        ips: list(ips).map((x) => BigInt(x as bigint)),
        symbols: list(symbols) as string[],
        frames: list(frames) as string[],
      });
    }
  });
}

export const kmemExport: FamilyExport = {
  group: 'kmem',
  sql: ['families/kmem/export.sql'],
  // symbols of call sites and stack frames (kernel_symbols)
  shared: ['kallsyms'],
  perfettoRefs: (ctx) => `SELECT tid, min(ts) AS ts FROM _kmem_alloc WHERE ts BETWEEN ${ctx.lo} AND ${ctx.hi} GROUP BY tid
    UNION ALL SELECT tid, min(ts) FROM _kmem_free WHERE ts BETWEEN ${ctx.lo} AND ${ctx.hi} GROUP BY tid`,
  async perfetto(ctx) {
    const ft = ctx.ftrace();
    await ctx.scan(rawSql(ctx), (s) => writeEvents(s, ft));
    ft.close();
    const track = ctx.track(
      'ktape: kmem outstanding at end',
      'Slab allocations still not freed when the capture ended, at their allocation time, with the allocating kernel stack.',
    );
    const [{ lo, hi }] = await ctx.cap.query<{ lo: bigint | number | null; hi: bigint | number | null }>(
      'SELECT min(addr) AS lo, max(addr) AS hi FROM kernel_symbols',
    );
    const live: Outstanding[] = [];
    await outstanding(ctx, (a) => live.push(a));
    writeLeaks(ctx, live, track, BigInt(lo ?? 0), BigInt(hi ?? 0));
    ctx.note('outstandingAllocs', live.length);
  },
  async chrome(ctx: ChromeContext) {
    let n = 0;
    await outstanding(ctx, (a) => {
      n++;
      ctx.emit(
        `{"ph":"i","s":"t","cat":"kmem","name":${JSON.stringify(`${a.bytes} B @ ${a.site}`)},"pid":${LEAK_PID},"tid":0,"ts":${us(a.ts)},"args":{"ptr":"0x${a.ptr.toString(16)}","bytes_alloc":${a.bytes},"bytes_req":${a.bytesReq},"tid":${a.tid},"comm":${JSON.stringify(a.comm)},"stack":${JSON.stringify(a.frames.length ? a.frames : [a.site])}}}`,
      );
    });
    if (n) ctx.syntheticProcess(LEAK_PID, 'ktape: kmem outstanding at end', -50000);
  },
};
