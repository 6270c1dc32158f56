/**
 * Decoder plans for kinds whose table columns are copies of wire fields,
 * derived from the wire struct layout (formats/gen/events.gen.ts, generated
 * from the C headers) and the table definition: a column takes the field of
 * the same name, or the one `rename` gives ('h.tid' is the header's tid).
 * ts and cpu come from the header. Each column is copied with the width of
 * its wire field and stored with the column's type, as a C assignment
 * would (truncating, sign-extending). planEntry() compiles a
 * PlanSpec (fixed-width columns; bounded strings as text columns) into the
 * copy plan the C decoder runs (record/ktring.c kt_decode); copyPlan() makes one of a CopySpec, its strings
 * as text columns.
 */
import * as W from '../formats/gen/events.gen.js';
import type { TableDef } from '../formats/table.js';

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

const OFF = W.OFF as unknown as Record<string, Record<string, number>>;
const FSIZE = W.FSIZE as unknown as Record<string, Record<string, number>>;
const FTYPE = W.FTYPE as unknown as Record<string, Record<string, string>>;

const HDR = W.OFF.kt_hdr;

function fieldOf(spec: CopySpec, field: string): { off: number; size: number; signed: boolean; char: boolean } {
  if (field === 'h.tid') return { off: HDR.tid, size: 4, signed: false, char: false };
  if (field === 'h.ts') return { off: HDR.ts, size: 8, signed: false, char: false };
  if (field === 'h.cpu') return { off: HDR.cpu, size: 2, signed: false, char: false };
  const el = /^(\w+)\[(\d+)\]$/.exec(field); // an element of an array field, e.g. args[2]
  const name = el ? el[1] : field;
  const off = OFF[spec.struct]?.[name];
  if (off === undefined) throw new Error(`${spec.table.name}: wire struct ${spec.struct} has no field ${name}`);
  const t = FTYPE[spec.struct][name];
  if (el) {
    const size = Number(/\d+/.exec(t)![0]) / 8;
    if (!t.endsWith('[]') || (Number(el[2]) + 1) * size > FSIZE[spec.struct][name])
      throw new Error(`${spec.table.name}: ${spec.struct}.${field} is out of range`);
    return { off: off + Number(el[2]) * size, size, signed: t.startsWith('s'), char: false };
  }
  return { off, size: FSIZE[spec.struct][field], signed: t.startsWith('s'), char: t === 'char' };
}

/**
 * A kind decoded in C (record/ktring.c kt_decode): a CopySpec whose columns
 * are all fixed-width, and a few more ways to fill a column.
 */
export interface PlanSpec extends CopySpec {
  /** column = field & mask */
  masks?: Record<string, number>;
  /** column = 1 when (field & mask) != 0, else 0: [field, mask] */
  bits?: Record<string, [string, number]>;
  /** u64 fields stored in u32 columns, saturating at 0xffffffff */
  saturate?: string[];
  /** wire fields copied beside the rows for the family's after() pass, not written */
  side?: string[];
  /** a row in a second table too, when (field & mask) != 0 */
  also?: { when: [string, number]; spec: Omit<PlanSpec, 'struct' | 'also' | 'side' | 'texts'> };
  /**
   * utf8 columns from char[] fields, decoded in C (OP_TEXT): the string ends at its NUL, at `bound` bytes or
   * at the record's end (so the field may be the last, of any length the record gives it); bytes that are not
   * UTF-8 become U+FFFD as TextDecoder makes them, and the u8 column `lossy` is then 1
   */
  texts?: Record<string, { bound: number; lossy?: string }>;
}

/**
 * The PlanSpec of a CopySpec: the same copies, decoded in C, every utf8 column a text column bounded by its
 * char[] field (no JS string per row).
 */
export function copyPlan(spec: CopySpec): PlanSpec {
  const texts: Record<string, { bound: number }> = {};
  for (const c of spec.table.columns) {
    if (c.type !== 'utf8') continue;
    const f = fieldOf(spec, spec.rename?.[c.name] ?? c.name);
    if (!f.char) throw new Error(`${spec.table.name}.${c.name}: a utf8 column needs a char[] field`);
    texts[c.name] = { bound: f.size };
  }
  return { ...spec, texts };
}

/** Where the plan puts values: the slot of a table's column, or of a side field. */
export interface PlanSlots {
  table(name: string): number;
  column(table: string, column: string): number;
  side(table: string, field: string): number;
  /** the slots of a text column: its offsets and its bytes (room for `need` more bytes per row) */
  text(table: string, column: string, need: number): [number, number];
}

export const OP_COPY = 1,
  OP_CONST = 2,
  OP_SAT32 = 3,
  OP_MASK = 4,
  OP_BIT = 5,
  OP_TEXT = 6;

const WIDTH: Record<string, number> = { i8: 1, u8: 1, i16: 2, u16: 2, i32: 4, u32: 4, i64: 8, u64: 8 };

/** One op (6 ints: code, src offset, src size | signed << 4, slot, dst size, arg) per column of spec.table. */
function planOps(spec: PlanSpec, slots: PlanSlots): number[] {
  const table = spec.table.name;
  const ops: number[] = [];
  const src = (field: string) => {
    const f = fieldOf(spec, field);
    if (f.char) throw new Error(`${table}: ${spec.struct}.${field} is a string; make the column a text column (texts, or copyPlan)`);
    return [f.off, f.size | (f.signed ? 16 : 0)];
  };
  const lossy = new Set(Object.values(spec.texts ?? {}).map((t) => t.lossy));
  for (const c of spec.table.columns) {
    if (lossy.has(c.name)) continue; // filled by its text column's op
    const text = spec.texts?.[c.name];
    if (text) {
      ops.push(...textOp(spec, c.name, text, slots));
      continue;
    }
    const dst = WIDTH[c.type];
    if (dst === undefined) throw new Error(`${table}.${c.name}: a ${c.type} column cannot be filled in C`);
    const slot = slots.column(table, c.name);
    const field = spec.rename?.[c.name] ?? (['ts', 'cpu', 'tid'].includes(c.name) ? `h.${c.name}` : c.name);
    if (spec.constants && c.name in spec.constants) ops.push(OP_CONST, 0, 0, slot, dst, spec.constants[c.name]);
    else if (spec.bits?.[c.name]) ops.push(OP_BIT, ...src(spec.bits[c.name][0]), slot, dst, spec.bits[c.name][1]);
    else if (spec.masks?.[c.name] !== undefined) ops.push(OP_MASK, ...src(field), slot, dst, spec.masks[c.name]);
    else if (spec.saturate?.includes(c.name)) {
      if (fieldOf(spec, field).size !== 8 || dst !== 4) throw new Error(`${table}.${c.name}: saturate needs a u64 field and a u32 column`);
      ops.push(OP_SAT32, ...src(field), slot, dst, 0);
    } else ops.push(OP_COPY, ...src(field), slot, dst, 0);
  }
  for (const f of (spec as PlanSpec).side ?? []) ops.push(OP_COPY, ...src(f), slots.side(table, f), fieldOf(spec, f).size, 0);
  return ops;
}

/** The OP_TEXT op of a utf8 column (6 ints: code, src offset, bound, offsets slot, bytes slot, lossy slot or -1). */
function textOp(spec: PlanSpec, name: string, t: { bound: number; lossy?: string }, slots: PlanSlots): number[] {
  const table = spec.table.name;
  const f = fieldOf(spec, spec.rename?.[name] ?? name);
  if (!f.char || spec.table.columns.find((c) => c.name === name)?.type !== 'utf8')
    throw new Error(`${table}.${name}: a text column is a utf8 column from a char[] field`);
  if (!(t.bound > 0)) throw new Error(`${table}.${name}: a text column needs a bound`);
  if (t.lossy !== undefined && spec.table.columns.find((c) => c.name === t.lossy)?.type !== 'u8')
    throw new Error(`${table}.${t.lossy}: the lossy mark of a text column is a u8 column`);
  const [offsets, bytes] = slots.text(table, name, 3 * t.bound);
  return [OP_TEXT, f.off, t.bound, offsets, bytes, t.lossy === undefined ? -1 : slots.column(table, t.lossy)];
}

/** The plan entry of one kind (layout in record/ktring.c). */
export function planEntry(spec: PlanSpec, slots: PlanSlots): number[] {
  const ops = planOps(spec, slots);
  const pairs = spec.forgetsTid ? [] : (spec.tgids ?? (OFF[spec.struct].tgid !== undefined ? [['h.tid', 'tgid']] : []));
  const e = [slots.table(spec.table.name), ops.length / 6, ...ops, pairs.length];
  for (const [t, g] of pairs) e.push(fieldOf(spec, t).off, fieldOf(spec, g).off);
  e.push(spec.forgetsTid ? HDR.tid : -1);
  if (!spec.also) return [...e, 0, 0, 0, 0];
  const also = { ...spec.also.spec, struct: spec.struct };
  const cond = fieldOf(spec, spec.also.when[0]);
  if (cond.size !== 4) throw new Error(`${spec.table.name}: also.when needs a 32-bit field`);
  const aops = planOps(also, slots);
  return [...e, cond.off, spec.also.when[1], slots.table(also.table.name), aops.length / 6, ...aops];
}
