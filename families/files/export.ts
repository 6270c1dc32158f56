/**
 * files family exporters, from _export_files (families/files/export.sql). Perfetto: the syscall slices are built by
 * trace_processor from the raw sys_enter/sys_exit events, which carry no strings, so each path syscall is a slice of
 * its own on a "files" track of its thread, with the path (and argv, result) as debug annotations. Chrome: the
 * syscall family's slices carry the path as an arg (families/syscall/export.ts); when the syscall family is not
 * exported, the calls are slices on a "files" companion lane of each thread.
 */
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import type { ChromeContext, FamilyExport, PerfettoContext } from '../../export/handlers.js';
import { LANE_TID_BASE, us } from '../../export/chrome-format.js';
import { writeTrackEvent } from '../../export/track-event.js';

type Row = Record<string, any>;
const COLS = ['b_ts', 'e_ts', 'open', 'tid', 'tgid', 'comm', 'name', 'path', 'path2', 'path_cut', 'argv', 'ret', 'error'];
const SQL = `SELECT b_ts::DOUBLE AS b_ts, e_ts::DOUBLE AS e_ts, open, tid, tgid, comm, name, path, path2, path_cut,
  CASE WHEN argv IS NOT NULL THEN array_to_string(argv, ' ') END AS argv, ret::DOUBLE AS ret, error FROM _export_files ORDER BY tid, b_ts`;
/** Chrome: the files lanes come after the syscall lanes (LANE_TID_BASE + tid) */
const FILES_LANE = 2 * LANE_TID_BASE;

/** the args of a call, for both formats: [name, value] with strings as they are (the writers escape) */
function args(r: Row): [string, string | number][] {
  const a: [string, string | number][] = [['path', r.path]];
  if (r.path2 !== null) a.push(['path2', r.path2]);
  if (r.path_cut) a.push(['cut', 'yes (longer than 256 bytes)']);
  if (r.argv !== null) a.push(['argv', r.argv]);
  a.push(['ret', r.ret === null ? 'no return seen' : r.ret]);
  if (r.error !== null) a.push(['error', r.error]);
  return a;
}

function perfetto(ctx: PerfettoContext, rows: Row[]): void {
  const tracks = new Map<number, bigint>();
  const name = (value: string) => ({ case: 'name' as const, value });
  const ev = (ts: number, value: Record<string, unknown>) => writeTrackEvent(ctx, ts, value);
  for (const r of rows) {
    let trackUuid = tracks.get(r.tid);
    if (trackUuid === undefined) {
      const parent = ctx.track(`${r.comm} ${r.tgid}`, `process ${r.tgid}`, { pid: r.tgid });
      trackUuid = ctx.track(`files ${r.comm} ${r.tid}`, `path syscalls of thread ${r.tid}, each with its path`, { parent });
      tracks.set(r.tid, trackUuid);
    }
    ev(r.b_ts, {
      type: pb.TrackEvent_Type.SLICE_BEGIN,
      trackUuid,
      nameField: name(r.name),
      debugAnnotations: args(r).map(([k, v]) => ({
        nameField: name(k),
        value: typeof v === 'number' ? { case: 'intValue', value: BigInt(v) } : { case: 'stringValue', value: v },
      })),
    });
    ev(r.e_ts, { type: pb.TrackEvent_Type.SLICE_END, trackUuid });
  }
}

function chrome(ctx: ChromeContext, rows: Row[]): void {
  for (const r of rows) {
    ctx.companion(r.tgid, r.tid, FILES_LANE + r.tid, 'files');
    const a = Object.fromEntries(args(r));
    ctx.emit(
      `{"ph":"X","cat":"files","name":${JSON.stringify(r.name)},"pid":${r.tgid},"tid":${FILES_LANE + r.tid},"ts":${us(r.b_ts)},"dur":${us(Math.max(0, r.e_ts - r.b_ts))},"args":${JSON.stringify(a)}}`,
    );
  }
}

async function all(ctx: PerfettoContext | ChromeContext): Promise<Row[]> {
  const out: Row[] = [];
  await ctx.scan(SQL, (s) => out.push(...s.objects(COLS)));
  return out;
}

export const filesExport: FamilyExport = {
  group: 'files',
  sql: ['families/files/export.sql'],
  async perfetto(ctx) {
    perfetto(ctx, await all(ctx));
  },
  async chrome(ctx) {
    if (!ctx.groups.has('syscall')) chrome(ctx, await all(ctx));
  },
};
