/**
 * Decoder handlers for kinds whose table columns are copies of wire fields,
 * derived from the wire struct layout (formats/gen/events.gen.ts, generated
 * from the C headers) and the table definition: a column takes the field of
 * the same name, or the one `rename` gives ('h.tid' is the header's tid).
 * ts and cpu come from the header. Each column is copied with the width of
 * its wire field and stored with the column's type, as a C assignment
 * would (truncating, sign-extending). Hand-written handlers remain for kinds
 * with logic (sched_switch) or on the hot path.
 */
import * as W from '../formats/gen/events.gen.js';
import type { TableDef } from '../formats/table.js';
import type { DecodeCtx, KindHandler } from '../families/family.js';

export interface CopySpec {
  /** wire struct, e.g. 'kt_task_exit' */
  struct: string;
  table: TableDef;
  /** column → wire field where the names differ ('h.tid': the header's tid) */
  rename?: Record<string, string>;
  /** constant columns, e.g. { wakeup_new: 1 } */
  constants?: Record<string, number>;
  /** [tid field, tgid field] pairs to note in task_ids (default: ['h.tid', 'tgid'] when the struct has a tgid) */
  tgids?: [string, string][];
  /** the subject tid was freed: forget its tgid instead of noting it */
  forgetsTid?: boolean;
}

type Op = (x: DecodeCtx, p: number, i: number, cols: Record<string, unknown>, w32: Record<string, Uint32Array>, tid: number) => void;

const OFF = W.OFF as unknown as Record<string, Record<string, number>>;
const FSIZE = W.FSIZE as unknown as Record<string, Record<string, number>>;
const FTYPE = W.FTYPE as unknown as Record<string, Record<string, string>>;

function fieldOf(spec: CopySpec, field: string): { off: number; size: number; signed: boolean; char: boolean } {
  if (field === 'h.tid') return { off: W.OFF.kt_hdr.tid, size: 4, signed: false, char: false };
  const off = OFF[spec.struct]?.[field];
  if (off === undefined) throw new Error(`${spec.table.name}: wire struct ${spec.struct} has no field ${field}`);
  const t = FTYPE[spec.struct][field];
  return { off, size: FSIZE[spec.struct][field], signed: t.startsWith('s'), char: t === 'char' };
}

/** The copy of one column. */
function columnOp(spec: CopySpec, name: string, type: string): Op {
  if (spec.constants && name in spec.constants) {
    const v = spec.constants[name];
    return (_x, _p, i, cols) => {
      (cols[name] as Int32Array)[i] = v;
    };
  }
  const f = fieldOf(spec, spec.rename?.[name] ?? (name === 'tid' ? 'h.tid' : name));
  if (f.char)
    return (x, p, i, cols) => {
      (cols[name] as string[])[i] = x.str(p + f.off, f.size);
    };
  if (type === 'utf8') throw new Error(`${spec.table.name}.${name}: a utf8 column needs a char[] field`);
  if (type === 'i64' || type === 'u64') {
    if (f.size === 8)
      return (x, p, i, _c, w32) => {
        const a = (p + f.off) >> 2;
        w32[name][2 * i] = x.u32[a];
        w32[name][2 * i + 1] = x.u32[a + 1];
      };
    if (f.size !== 4) throw new Error(`${spec.table.name}.${name}: cannot widen a ${f.size}-byte field`);
    return f.signed
      ? (x, p, i, _c, w32) => {
          const v = x.i32[(p + f.off) >> 2];
          w32[name][2 * i] = v;
          w32[name][2 * i + 1] = v < 0 ? 0xffffffff : 0;
        }
      : (x, p, i, _c, w32) => {
          w32[name][2 * i] = x.u32[(p + f.off) >> 2];
          w32[name][2 * i + 1] = 0;
        };
  }
  // narrower columns: read the field's low 32 bits (little-endian), the typed array truncates
  if (f.size === 2)
    return (x, p, i, cols) => {
      (cols[name] as Int32Array)[i] = x.u16[(p + f.off) >> 1];
    };
  if (f.size === 1)
    return (x, p, i, cols) => {
      (cols[name] as Int32Array)[i] = x.u8[p + f.off];
    };
  return f.signed
    ? (x, p, i, cols) => {
        (cols[name] as Int32Array)[i] = x.i32[(p + f.off) >> 2];
      }
    : (x, p, i, cols) => {
        (cols[name] as Int32Array)[i] = x.u32[(p + f.off) >> 2];
      };
}

/** A handler that copies the wire fields of `spec.struct` into the columns of `spec.table`. */
export function copyHandler(spec: CopySpec): KindHandler {
  const def = spec.table;
  const ops: Op[] = def.columns.filter((c) => c.name !== 'ts' && c.name !== 'cpu').map((c) => columnOp(spec, c.name, c.type));
  const hasCpu = def.columns.some((c) => c.name === 'cpu');
  const tgids = (spec.tgids ?? (OFF[spec.struct].tgid !== undefined ? [['h.tid', 'tgid']] : [])).map(
    ([t, g]) => [fieldOf(spec, t).off >> 2, fieldOf(spec, g).off >> 2] as const,
  );
  const table = def.name,
    forgets = !!spec.forgetsTid;
  return (x, p, tslo, tshi, cpu, tid) => {
    const w = x.writers[table];
    if (!w) return;
    const b = w.builder,
      i = b.length++;
    b.w32.ts[2 * i] = tslo;
    b.w32.ts[2 * i + 1] = tshi;
    if (hasCpu) (b.cols.cpu as Uint16Array)[i] = cpu;
    for (const op of ops) op(x, p, i, b.cols, b.w32, tid);
    if (b.full) w.flush();
    const q = p >> 2;
    if (forgets) x.forgetTgid(tid);
    else for (const [t, g] of tgids) x.noteTgid(tslo, tshi, x.i32[q + t], x.i32[q + g]);
  };
}
