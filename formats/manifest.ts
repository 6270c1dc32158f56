/**
 * manifest.json, checked once, here, for every command that reads a capture.
 * The manifest of a capture from another machine is untrusted: every field a
 * reader uses is typed and bounded, so a hostile or damaged manifest is a
 * one-line CaptureError (exit 2) naming the field, never an internal error
 * later on. Fields this version does not know are kept (a later minor
 * version may add some); the ones it uses must be right.
 *
 * zod (a well-kept schema library with TS inference) does the checking: a
 * hand-written checker for ~30 nested fields would be longer and weaker.
 */
import { z } from 'zod';
import { CaptureError } from './errors.js';
import { CODECS } from './codec.js';
import { EVENT_GROUPS, FORMAT_MAJOR, FORMAT_NAME, SEGMENT_RE, type Manifest } from './schema.js';

/** boottime ns (JSON numbers: exact to the ns up to 104 days of uptime); beyond 2^62 ns (146 years) is hostile */
const ns = z
  .number()
  .int()
  .min(0)
  .max(2 ** 62);
const count = z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER);
const id = z
  .number()
  .int()
  .min(0)
  .max(2 ** 31 - 1);
const str = (max = 4096) => z.string().max(max);
/** the longest capture anyone records: a year */
const MAX_SPAN_NS = 366 * 86400e9;

/** every field is written by every ktape release, and readers use them all */
const host = z.looseObject({
  hostname: str(256),
  kernel_release: str(256),
  kernel_version: str(1024),
  machine: str(64),
  cpus: z.number().int().min(1).max(65536),
  page_size: z
    .number()
    .int()
    .min(1)
    .max(2 ** 30),
  boot_id: str(64),
  clk_tck: z.number().int().min(1).max(1e6),
});

const options = z.looseObject({
  events: z
    .array(z.enum(EVENT_GROUPS as [string, ...string[]]))
    .max(64)
    .optional(),
  tgids: z
    .array(id)
    .max(1 << 16)
    .optional(),
  comm: str(64).nullable().optional(),
  follow_children: z.boolean().optional(),
  system_wide: z.boolean().optional(),
  buffer_mb: z
    .number()
    .int()
    .min(0)
    .max(1 << 20)
    .optional(),
  kallsyms: z.enum(['full', 'used']).optional(),
  kmem_stacks: z.boolean().optional(),
  sched_wait: z.boolean().optional(),
  paired_waits: z.boolean().optional(),
  /** body compression of the table files (1.4; each file declares its own in every batch) */
  compress: z.enum(CODECS).optional(),
});

const table = z.looseObject({
  rows: count,
  files: z.array(str(256).regex(SEGMENT_RE, 'a segment file name (table.NNNN.arrows)')).max(1 << 16),
});

export const manifestSchema = z
  .looseObject({
    format: z.literal(FORMAT_NAME),
    format_version: z.string().regex(/^\d{1,4}\.\d{1,4}$/, 'MAJOR.MINOR'),
    wire_version: z.number().int().min(0).max(1e6).optional(),
    complete: z.boolean(),
    ktape_version: str(64).optional(),
    command_line: z
      .array(str())
      .max(1 << 16)
      .optional(),
    host,
    options: options.nullable().optional(),
    recorder_tgid: id.nullable().optional(),
    start_ts: ns,
    end_ts: ns.nullable(),
    workload: z
      .looseObject({
        argv: z
          .array(str())
          .max(1 << 16)
          .optional(),
        pid: id,
        exit_code: z
          .number()
          .int()
          .min(-(2 ** 31))
          .max(2 ** 31 - 1)
          .nullable()
          .optional(),
      })
      .nullable()
      .optional(),
    stop_reason: str(64).optional(),
    /** a flight recorder's dump (1.7) */
    window: z
      .looseObject({
        ring: str(64),
        start_ts: ns,
        trigger: str(256),
        what: str(),
        trigger_ts: ns,
        dropped_before: z.boolean(),
      })
      .optional(),
    tables: z.record(z.string().regex(/^[a-z_]{1,64}$/), table).optional(),
    summary: z
      .looseObject({
        events: z.record(str(64), count).optional(),
        lost: count.optional(),
        kernel_gaps: count.optional(),
        bytes: count.optional(),
      })
      .nullable()
      .optional(),
  })
  .refine((m) => m.end_ts === null || (m.end_ts >= m.start_ts && m.end_ts - m.start_ts <= MAX_SPAN_NS), {
    message: 'must be at or after start_ts, and at most a year after it',
    path: ['end_ts'],
  });

/** `a.b[3].c` for an issue path */
function where(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(top level)';
}

/** Parse and check manifest text; `path` names the file in errors. */
export function parseManifest(path: string, text: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new CaptureError('E_MANIFEST_CORRUPT', `${path}: not valid JSON (${(e as Error).message.split('\n')[0].slice(0, 120)})`);
  }
  const fmt = (raw as { format?: unknown } | null)?.format;
  if (!raw || typeof raw !== 'object' || fmt !== FORMAT_NAME)
    throw new CaptureError(
      'E_MANIFEST_CORRUPT',
      `${path}: not a ktape capture manifest (format field is ${typeof fmt === 'string' ? JSON.stringify(fmt.slice(0, 64)) : typeof fmt})`,
    );
  const fv = (raw as { format_version?: unknown }).format_version;
  if (typeof fv === 'string' && /^\d+\./.test(fv) && Number(fv.split('.')[0]) !== FORMAT_MAJOR)
    throw new CaptureError(
      'E_FORMAT_VERSION',
      `${path}: capture format version ${fv.slice(0, 16)} is not supported (this ktape reads ${FORMAT_MAJOR}.x); use a matching ktape release`,
    );
  const r = manifestSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new CaptureError('E_MANIFEST_INVALID', `${path}: field ${where(i.path)}: ${i.message.slice(0, 160)}; the manifest is damaged or not from ktape`);
  }
  return r.data as unknown as Manifest;
}
