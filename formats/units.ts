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
