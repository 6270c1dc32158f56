/** net decoder: packets and drops are copies of wire fields, decoded in C (record/copy-decoder.ts PlanSpec); the rare device names too, as text columns. */
import * as W from '../../formats/gen/events.gen.js';
import { copyPlan, type PlanSpec } from '../../record/copy-decoder.js';
import type { FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';

const T = (name: string) => TABLES.find((t) => t.name === name)!;

/** net_packets.event of each kind */
export const NET_EVENT: Record<number, number> = { [W.KT_NET_QUEUE]: 0, [W.KT_NET_XMIT]: 1, [W.KT_NET_RECEIVE]: 2 };

const packet = (event: number): PlanSpec => ({ struct: 'kt_net_pkt', table: T('net_packets'), constants: { event } });

export const netDecoder = (): FamilyDecoder => ({
  handlers: {},
  plans: {
    [W.KT_NET_DEVICE]: copyPlan({ struct: 'kt_net_dev', table: T('net_devices') }),
    ...Object.fromEntries(Object.entries(NET_EVENT).map(([kind, event]) => [kind, packet(event)])),
    [W.KT_NET_DROP]: { struct: 'kt_net_drop', table: T('net_drops') },
  },
});
