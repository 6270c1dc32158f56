/** Command-line value checks shared by the subcommands. */
import { UsageError } from '../formats/errors.js';
import { DURATION_UNITS } from '../formats/units.js';
import { KT_COMM_LEN } from '../formats/gen/events.gen.js';
import { EVENT_GROUPS, type EventGroup } from '../formats/schema.js';

/** Parser for `--events <family>,...|all` (families/index.ts); `flag` names the option in errors. */
export function eventGroupsParser(flag: string, code = 'E_USAGE') {
  return (v: string): EventGroup[] => {
    const out: EventGroup[] = [];
    for (const raw of v.split(',')) {
      const e = raw.trim();
      if (e === 'all') return [...EVENT_GROUPS];
      if (!EVENT_GROUPS.includes(e as EventGroup))
        throw new UsageError(`${flag} ${v}: unknown family '${e}' (choose from ${EVENT_GROUPS.join(',')},all)`, code);
      if (!out.includes(e as EventGroup)) out.push(e as EventGroup);
    }
    if (out.length === 0) throw new UsageError(`${flag} ${v}: empty list (choose from ${EVENT_GROUPS.join(',')},all)`, code);
    return out;
  };
}

/** A task comm as the kernel stores it: 1 to KT_COMM_LEN - 1 bytes. */
export function isValidComm(c: string): boolean {
  return c.length > 0 && Buffer.byteLength(c) < KT_COMM_LEN;
}

// ---------- numbers: ONE syntax for every numeric flag of every subcommand ----------

/** Plain decimal: digits, optionally a fraction (no sign, exponent, hex, or leading/trailing dot). */
const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;
const INTEGER = /^[0-9]+$/;

export interface NumberSpec {
  min: number;
  max: number;
  integer?: boolean;
  /** error code (default E_USAGE) */
  code?: string;
  /** the whole error message (default: `FLAG VALUE: expected an integer/a number from MIN to MAX`) */
  message?: string;
}

/** Parse one flag value as a decimal number in [min, max]; throws UsageError naming the flag. */
export function parseNumber(flag: string, v: string, spec: NumberSpec): number {
  const t = v.trim();
  const n = Number(t);
  if (!(spec.integer ? INTEGER : DECIMAL).test(t) || !Number.isFinite(n) || n < spec.min || n > spec.max)
    throw new UsageError(spec.message ?? `${flag} ${v}: expected ${spec.integer ? 'an integer' : 'a number'} from ${spec.min} to ${spec.max}`, spec.code);
  return n;
}

/** Commander argParser for a numeric flag (record, analyze, export, compare, demo). */
export function num(flag: string, min: number, max = Number.MAX_SAFE_INTEGER, integer = false, code?: string) {
  return (v: string) => parseNumber(flag, v, { min, max, integer, code });
}

/** Commander argParser for an integer flag. */
export const int = (flag: string, min: number, max = 2 ** 31 - 1, code?: string) => num(flag, min, max, true, code);

/** Longest duration or offset accepted, in ns (2^53 - 1 ns, about 104 days: exact as a JS number, far below int64). */
export const MAX_DURATION_NS = Number.MAX_SAFE_INTEGER;

/**
 * Parse a duration: "1.5s", "200ms", "300us", "42ns", "2m"; a bare number is `bareUnit` (seconds unless
 * told). The number is a plain decimal; the result (ns) is at most MAX_DURATION_NS.
 */
export function parseDuration(flag: string, v: string, opts: { bareUnit?: string; units?: string[]; code?: string; message?: string } = {}): number {
  const units = opts.units ?? Object.keys(DURATION_UNITS);
  const m = /^\s*([0-9.]+)\s*([a-zµ]*)\s*$/.exec(v);
  const unit = m ? m[2] || (opts.bareUnit ?? 's') : '';
  if (!m || !DECIMAL.test(m[1]) || !units.includes(unit))
    throw new UsageError(
      opts.message ??
        `${flag} ${v}: expected a duration like 1.5s, 200ms, 300us or 42ns (a decimal number and one of ${units.join(', ')}; bare = ${opts.bareUnit ?? 's'})`,
      opts.code,
    );
  const ns = Math.round(Number(m[1]) * DURATION_UNITS[unit]);
  if (!Number.isSafeInteger(ns)) throw new UsageError(`${flag} ${v}: too long (at most ${Math.floor(MAX_DURATION_NS / 1e9)}s, about 104 days)`, opts.code);
  return ns;
}

// ---------- --comm regular expressions: DuckDB's RE2 decides ----------

/**
 * Check a --comm REGEX with the engine that runs it (DuckDB's regexp_matches, RE2), on a throwaway
 * in-memory database: JS-only syntax (lookarounds, backreferences) is refused naming the flag.
 */
export async function checkCommRegex(flag: string, re: string | undefined): Promise<void> {
  if (re === undefined) return;
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  try {
    await conn.run("SELECT regexp_matches('', $1)", [re]);
  } catch (e) {
    const why = (e as Error).message.split('\n')[0].replace(/^Invalid Input Error: /, '');
    throw new UsageError(`${flag} ${re}: not a valid regular expression (RE2, as DuckDB runs it: ${why}; no lookarounds or backreferences)`);
  } finally {
    conn.closeSync();
    inst.closeSync();
  }
}
