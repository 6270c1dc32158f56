/** SQL result values as numbers: NULL → 0 (num) or null (numOrNull); bigint and numeric strings → number. */
export const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
