/** io decoder: every column is a copy of a wire field (record/copy-decoder.ts); the kind gives the event column. */
import * as W from '../../formats/gen/events.gen.js';
import { copyHandler } from '../../record/copy-decoder.js';
import type { FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';

const BLOCK_RQ = TABLES.find((t) => t.name === 'block_rq')!;

/** block_rq.event of each kind */
export const IO_EVENT: Record<number, number> = { [W.KT_IO_START]: 0, [W.KT_IO_INSERT]: 1, [W.KT_IO_ISSUE]: 2, [W.KT_IO_COMPLETE]: 3 };

export const ioDecoder = (): FamilyDecoder => ({
  handlers: Object.fromEntries(
    Object.entries(IO_EVENT).map(([kind, event]) => [kind, copyHandler({ struct: 'kt_io_rq', table: BLOCK_RQ, constants: { event } })]),
  ),
});
