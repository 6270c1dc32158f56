/** tcp decoder: socket events are copies of wire fields, decoded in C (record/copy-decoder.ts PlanSpec); the rare owner records (with a comm) too, as text columns. */
import * as W from '../../formats/gen/events.gen.js';
import { copyPlan, type PlanSpec } from '../../record/copy-decoder.js';
import type { FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';

const T = (name: string) => TABLES.find((t) => t.name === name)!;

/** tcp_events.event of each kind */
export const TCP_EVENT: Record<number, number> = { [W.KT_TCP_STATE]: 0, [W.KT_TCP_RETRANSMIT]: 1, [W.KT_TCP_SEND_RESET]: 2, [W.KT_TCP_RECV_RESET]: 3 };

const plan = (event: number): PlanSpec => ({ struct: 'kt_tcp_ev', table: T('tcp_events'), constants: { event } });

export const tcpDecoder = (): FamilyDecoder => ({
  handlers: {},
  plans: {
    ...Object.fromEntries(Object.entries(TCP_EVENT).map(([kind, event]) => [kind, plan(event)])),
    [W.KT_TCP_OWNER]: copyPlan({ struct: 'kt_tcp_owner', table: T('tcp_owners') }),
  },
});
