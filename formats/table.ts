/**
 * The shape of a capture table definition, and the column helpers every
 * family's tables.ts uses. No table is defined here: the core tables are in
 * formats/schema.ts and each family's in families/<family>/tables.ts.
 */
import { versionLess } from './version.js';

export type ColType = 'i8' | 'i16' | 'i32' | 'i64' | 'u8' | 'u16' | 'u32' | 'u64' | 'utf8' | 'f64';
export interface ColumnDef {
  name: string;
  type: ColType;
  nullable?: boolean;
  doc: string;
}
export interface TableDef {
  name: string;
  /** 'event': streamed while recording; 'meta': written at start/end */
  role: 'event' | 'meta';
  /** format version that added the table: older captures load it empty */
  since?: string;
  /** the last format version that wrote the table: later captures load it empty */
  until?: string;
  /** the family (--events group) that records it; core tables have none */
  group?: string;
  doc: string;
  columns: ColumnDef[];
}

/** Whether a capture of format `version` has no files of the table (added later, or no longer written). */
export const notInFormat = (def: TableDef, version: string): boolean =>
  (def.since !== undefined && versionLess(version, def.since)) || (def.until !== undefined && versionLess(def.until, version));

/** a column */
export const col = (name: string, type: ColType, doc: string, nullable = false): ColumnDef => ({ name, type, doc, nullable });
/** the ts column every event table starts with */
export const TS_COL = col('ts', 'i64', 'event time, ns since boot (CLOCK_BOOTTIME)');
/** the cpu column of tables whose rows come from one CPU's events */
export const CPU_COL = col('cpu', 'u16', 'CPU the event fired on');
