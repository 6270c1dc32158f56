/** Chrome JSON: the synthetic pid/tid spaces and the time format shared by the core and the family handlers. */

/** real pids are < 2^22 (PID_MAX_LIMIT), so synthetic ones above it never collide */
export const PID_MAX_LIMIT = 1 << 22;
/** one synthetic process per CPU */
export const CPU_PID_BASE = PID_MAX_LIMIT;
/** ktape's own tracks */
export const LOSS_PID = PID_MAX_LIMIT + 65536;
export const LEAK_PID = PID_MAX_LIMIT + 65537;
/** companion lanes of a thread (e.g. syscalls): tid + LANE_TID_BASE */
export const LANE_TID_BASE = PID_MAX_LIMIT;

/** ns since boot → JSON µs with 3 decimals (exact to the ns), trailing zeros dropped */
export const us = (ns: number): string => {
  const r = ns % 1000;
  const s = String(Math.trunc(ns / 1000));
  if (r === 0) return s;
  if (r < 0) return `${s}.${String(r).padStart(3, '0').replace(/0+$/, '')}`; // as before, for the (never seen) negative case
  // per event, twice: digit arithmetic instead of padStart and a regex
  if (r % 100 === 0) return `${s}.${r / 100}`;
  if (r % 10 === 0) return `${s}.${r < 100 ? '0' : ''}${r / 10}`;
  return `${s}.${r < 10 ? '00' : r < 100 ? '0' : ''}${r}`;
};
