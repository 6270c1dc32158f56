/** fault decoder: every column is a copy of a wire field, decoded in C (record/copy-decoder.ts PlanSpec). */
import * as W from '../../formats/gen/events.gen.js';
import type { PlanSpec } from '../../record/copy-decoder.js';
import type { FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';

const T = (name: string) => TABLES.find((t) => t.name === name)!;
const PLANS: Record<number, PlanSpec> = {
  [W.KT_FAULT]: { struct: 'kt_fault', table: T('fault') },
  [W.KT_FAULT_EXIT]: { struct: 'kt_fault_exit', table: T('fault_exit') },
  [W.KT_FAULT_FILE]: { struct: 'kt_fault_file', table: T('fault_file') },
};

export const faultDecoder = (): FamilyDecoder => ({ handlers: {}, plans: PLANS });
