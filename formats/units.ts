/**
 * The one units module. Inside ktape every time is ns (since boot for a
 * `ts`, a length for a duration) and every size is bytes; these turn them
 * into text for people. Durations typed by people are parsed in cli/args.ts
 * (parseDuration: a bare number is seconds, as in perf and trace-cmd).
 */
export const NS_PER_US = 1e3;
export const NS_PER_MS = 1e6;
export const NS_PER_S = 1e9;

/** 621ns, 1.50µs, 180.4ms, 1.234s */
export function fmtNs(v: number): string {
  const a = Math.abs(v);
  if (a < 1e3) return `${Math.round(v)}ns`;
  if (a < 1e6) return `${(v / 1e3).toFixed(a < 1e4 ? 2 : a < 1e5 ? 1 : 0)}µs`;
  if (a < 1e9) return `${(v / 1e6).toFixed(a < 1e7 ? 2 : a < 1e8 ? 1 : 0)}ms`;
  return `${(v / 1e9).toFixed(a < 1e10 ? 3 : 2)}s`;
}

/** 512B, 2.0KiB, 1.5MiB, 2.00GiB (binary units, as /proc and the kernel count) */
export function fmtBytes(v: number): string {
  const a = Math.abs(v);
  if (a < 1024) return `${Math.round(v)}B`;
  if (a < 1 << 20) return `${(v / 1024).toFixed(1)}KiB`;
  if (a < 1 << 30) return `${(v / (1 << 20)).toFixed(1)}MiB`;
  return `${(v / (1 << 30)).toFixed(2)}GiB`;
}

/** Duration units people type (ns per unit): 1.5s, 200ms, 300us, 42ns, 2m */
export const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9 };
/** Size units people type (bytes per unit); KB/MB/GB are binary here, as --buffer-mb and the kernel count */
export const SIZE_UNITS: Record<string, number> = { B: 1, KB: 1024, KiB: 1024, MB: 1 << 20, MiB: 1 << 20, GB: 2 ** 30, GiB: 2 ** 30 };

/**
 * A decimal number with one of `units` ("200ms", "512MB"), in the unit's base (ns, bytes), rounded;
 * null when the text is not that.
 */
export function parseQuantity(v: string, units: Record<string, number>): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-zµ]+)\s*$/.exec(v);
  if (!m || !(m[2] in units)) return null;
  const n = Math.round(Number(m[1]) * units[m[2]]);
  return Number.isSafeInteger(n) ? n : null;
}
