/** The families' export handlers, in registry order (families/index.ts). */
import { FAMILIES } from '../families/index.js';
import type { FamilyExport } from './handlers.js';

export async function familyExports(): Promise<FamilyExport[]> {
  return Promise.all(FAMILIES.flatMap((f) => (f.export ? [f.export()] : [])));
}
