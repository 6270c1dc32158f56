/** cache decoder: every column is a copy of a wire field, decoded in C (record/copy-decoder.ts PlanSpec); the kind gives the event column. */
import * as W from '../../formats/gen/events.gen.js';
import type { PlanSpec } from '../../record/copy-decoder.js';
import type { FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';

const CACHE_EV = TABLES.find((t) => t.name === 'cache_ev')!;

/** cache_ev.event of each kind */
export const CACHE_EVENT: Record<number, number> = {
  [W.KT_CACHE_ADD]: 0,
  [W.KT_CACHE_READ]: 1,
  [W.KT_CACHE_FAULT]: 2,
  [W.KT_CACHE_MAP]: 3,
  [W.KT_CACHE_DIRTY]: 4,
};

const PLANS: Record<number, PlanSpec> = Object.fromEntries(
  Object.entries(CACHE_EVENT).map(([kind, event]) => [kind, { struct: 'kt_cache_ev', table: CACHE_EV, constants: { event } }]),
);

export const cacheDecoder = (): FamilyDecoder => ({ handlers: {}, plans: PLANS });
