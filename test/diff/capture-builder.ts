/**
 * Tiny captures from plain rows, for the diff tests: every table file is
 * written by the recorder's own writer (dist/record/writer.js, the code
 * `ktape record` runs), and manifest.json is a full Manifest (formats/schema.ts)
 * checked by the same parser every reader uses (formats/manifest.ts).
 *
 *   writeCapture(dir, {
 *     format: '1.2',                       // or '1.0', '1.1': older column sets, as those versions wrote them
 *     manifest: { start_ts: 0, end_ts: 10_000 },
 *     tables: { sched_switch: [{ ts: 1000, cpu: 0, prev_tid: 0, next_tid: 10 }] },
 *   });
 *
 * Every table of the format is written (empty when no rows are given). A
 * column left out of a row is 0 (numbers), '' (strings) or null (nullable
 * columns); a column the table does not have is an error, so a typo cannot
 * silently become a default.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordBatch, Schema } from 'apache-arrow';
import type * as WriterModule from '../../record/writer.js';
import type * as SchemaModule from '../../formats/schema.js';
import type * as ManifestModule from '../../formats/manifest.js';
import type * as TableModule from '../../formats/table.js';
import type { Manifest, TableDef } from '../../formats/schema.js';
import { ROOT } from '../helpers.js';

const W = (await import(join(ROOT, 'dist/record/writer.js'))) as typeof WriterModule;
const S = (await import(join(ROOT, 'dist/formats/schema.js'))) as typeof SchemaModule;
const M = (await import(join(ROOT, 'dist/formats/manifest.js'))) as typeof ManifestModule;
const { notInFormat } = (await import(join(ROOT, 'dist/formats/table.js'))) as typeof TableModule;

export type Value = number | bigint | string | null;
export type Rows = Record<string, Value>[];
export type FormatVersion = '1.0' | '1.1' | '1.2' | '1.3' | '1.6' | '1.7' | '1.8' | '1.9';

/**
 * Columns added by a minor format version after their table (formats/capture.md, "Versions"):
 * a capture of an older version has no such column in its files.
 */
export const COLUMN_SINCE: Record<string, FormatVersion> = {
  'losses.resume_ts': '1.1',
  'losses.resume_tid': '1.2',
  'losses.resume_wait_from': '1.2',
  'losses.resume_woken': '1.2',
  'sched_switch.next_flags': '1.2',
  ...Object.fromEntries(
    ['prio', 'nice', 'policy', 'rt_priority', 'nvcsw', 'nivcsw', 'min_flt', 'maj_flt', 'utime_ns', 'stime_ns', 'runtime_ns', 'vm_pages', 'maxrss_pages'].map(
      (c) => [`task_exit.${c}`, '1.7'],
    ),
  ),
  'task_newtask.vm_pages': '1.7',
  'sched_switch.next_wait_ns': '1.9',
  'sched_waking.slept_state': '1.9',
  'sched_waking.slept_ns': '1.9',
};

export interface CaptureSpec {
  /** capture format version (default: the writer's, FORMAT_VERSION) */
  format?: FormatVersion;
  /** rows per table name */
  tables?: Record<string, Rows>;
  /** manifest fields over the defaults (start_ts 0, end_ts 1e6, complete, every event group) */
  manifest?: Partial<Omit<Manifest, 'options' | 'host'>> & { options?: Partial<Manifest['options']>; host?: Partial<Manifest['host']> };
}

const older = (a: string, b: string) => {
  const [am, an] = a.split('.').map(Number),
    [bm, bn] = b.split('.').map(Number);
  return am < bm || (am === bm && an < bn);
};

/** The columns table `def` has in format `v`. */
function columnsIn(def: TableDef, v: string): string[] {
  return def.columns.filter((c) => !older(v, COLUMN_SINCE[`${def.name}.${c.name}`] ?? '0.0')).map((c) => c.name);
}

/** A row with every column of the table: given values, else 0 / '' / null. */
function fullRow(def: TableDef, row: Record<string, Value>): Record<string, Value> {
  for (const k of Object.keys(row)) if (!def.columns.some((c) => c.name === k)) throw new Error(`capture-builder: table ${def.name} has no column ${k}`);
  const out: Record<string, Value> = {};
  for (const c of def.columns) out[c.name] = row[c.name] !== undefined ? row[c.name] : c.nullable ? null : c.type === 'utf8' ? '' : 0;
  return out;
}

/** Write one table file with the recorder's TableWriter (the current format). Returns its files. */
function writeCurrent(dir: string, table: string, rows: Rows, sink: WriterModule.CaptureSink): string[] {
  const def = S.TABLE_BY_NAME.get(table)!;
  const w = new W.TableWriter(dir, table, Math.max(1, rows.length), sink);
  for (const r of rows) w.push(fullRow(def, r));
  w.close();
  return w.files;
}

/**
 * Write one table file as an older format version did: the writer's BatchBuilder fills the batch,
 * which is projected onto that version's columns and written by the writer's StreamFile.
 */
function writeOlder(dir: string, table: string, rows: Rows, v: string, sink: WriterModule.CaptureSink): string[] {
  const def = S.TABLE_BY_NAME.get(table)!;
  const keep = columnsIn(def, v);
  const full = S.arrowSchema(table);
  const schema = new Schema(
    full.select(keep).fields,
    new Map([
      ['ktape.format_version', v],
      ['ktape.table', table],
    ]),
  );
  const name = S.segmentFile(table, 0);
  const file = new W.StreamFile(join(dir, name), schema, sink);
  if (rows.length) {
    const b = new W.BatchBuilder(table, rows.length);
    for (const r of rows) b.push(fullRow(def, r));
    file.write(new RecordBatch(schema, b.take().select(keep).data));
  }
  file.close(true);
  return [name];
}

function defaultManifest(v: string): Manifest {
  return {
    format: S.FORMAT_NAME,
    format_version: v,
    wire_version: 1,
    complete: true,
    ktape_version: 'diff-test',
    command_line: ['ktape', 'record', '-o', 'diff-test'],
    host: {
      hostname: 'diff',
      kernel_release: '6.1.0',
      kernel_version: '#1 SMP',
      machine: 'x86_64',
      cpus: 2,
      page_size: 4096,
      boot_id: '00000000-0000-0000-0000-000000000000',
      clk_tck: 100,
    },
    options: {
      events: [...S.EVENT_GROUPS],
      tgids: [],
      comm: null,
      follow_children: false,
      system_wide: true,
      buffer_mb: 64,
      kallsyms: 'used',
      kmem_stacks: true,
      ...(older(v, '1.2') ? {} : older(v, '1.9') ? { sched_wait: true } : { sched_wait: false, paired_waits: true }),
    },
    recorder_tgid: 1,
    start_ts: 0,
    end_ts: 1_000_000,
    workload: null,
    stop_reason: 'duration',
    tables: {},
    summary: null,
  };
}

/** Write a capture directory (created if missing, must be empty) from `spec`; returns its manifest. */
export function writeCapture(dir: string, spec: CaptureSpec): Manifest {
  const v = spec.format ?? S.FORMAT_VERSION;
  const tables = spec.tables ?? {};
  for (const t of Object.keys(tables)) {
    const def = S.TABLE_BY_NAME.get(t);
    if (!def) throw new Error(`capture-builder: no table ${t}`);
    if (notInFormat(def, v))
      throw new Error(`capture-builder: table ${t} is not in format ${v} (${def.since ? `since ${def.since}` : ''}${def.until ? ` until ${def.until}` : ''})`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const m = defaultManifest(v);
  const sink = new W.CaptureSink(dir);
  for (const def of S.TABLES) {
    if (notInFormat(def, v)) continue; // that version had no such table
    const rows = tables[def.name] ?? [];
    const files = v === S.FORMAT_VERSION ? writeCurrent(dir, def.name, rows, sink) : writeOlder(dir, def.name, rows, v, sink);
    m.tables[def.name] = { rows: rows.length, files };
  }
  if (sink.failure) throw sink.failure;
  const { options, host, ...rest } = spec.manifest ?? {};
  const events: Record<string, number> = {};
  for (const def of S.TABLES) if (def.role === 'event') events[def.name] = m.tables[def.name]?.rows ?? 0;
  const losses = tables.losses ?? [];
  const kernelGaps = losses.filter((l) => l.reason === 'kernel_gap').length;
  const lost = losses.filter((l) => l.reason === 'ringbuf_full').reduce((a, l) => a + Number(l.count ?? 0), 0);
  const manifest: Manifest = {
    ...m,
    summary: { events, lost, kernel_gaps: kernelGaps, bytes: sink.bytes },
    ...rest,
    options: { ...m.options, ...options },
    host: { ...m.host, ...host },
  };
  const text = JSON.stringify(manifest, null, 2);
  M.parseManifest(join(dir, S.MANIFEST_FILE), text); // the same checks as every reader: a bad spec fails here
  writeFileSync(join(dir, S.MANIFEST_FILE), text, { mode: 0o600, flag: 'wx' });
  return manifest;
}
