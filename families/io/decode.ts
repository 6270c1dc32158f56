/** io decoder: every column is a copy of a wire field, decoded in C (record/copy-decoder.ts PlanSpec, sub_comm as a text column); the kind gives the event column. */
import * as W from '../../formats/gen/events.gen.js';
import type { PlanSpec } from '../../record/copy-decoder.js';
import type { FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';

const BLOCK_RQ = TABLES.find((t) => t.name === 'block_rq')!;

/** block_rq.event of each kind */
export const IO_EVENT: Record<number, number> = { [W.KT_IO_START]: 0, [W.KT_IO_INSERT]: 1, [W.KT_IO_ISSUE]: 2, [W.KT_IO_COMPLETE]: 3 };

const plan = (event: number): PlanSpec => ({ struct: 'kt_io_rq', table: BLOCK_RQ, constants: { event }, texts: { sub_comm: { bound: W.KT_COMM_LEN } } });

export const ioDecoder = (): FamilyDecoder => ({
  handlers: {},
  plans: Object.fromEntries(Object.entries(IO_EVENT).map(([kind, event]) => [kind, plan(event)])),
});
