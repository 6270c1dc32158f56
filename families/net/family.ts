/** The net family: packets per device (net:net_dev_queue, net_dev_xmit, netif_receive_skb) and drops with their reason (skb:kfree_skb). */
import { readFileSync } from 'node:fs';
import * as W from '../../formats/gen/events.gen.js';
import { tracefsDir } from '../../record/tracefs.js';
import type { Family, FinishCtx } from '../family.js';
import { netCompare } from './compare.js';
import { netDecoder } from './decode.js';
import { TABLES } from './tables.js';

/** the { value, "NAME" } pairs of __print_symbolic(REC->reason, ...) in a tracepoint's print format */
export function dropReasons(format: string): { reason: number; name: string }[] {
  const at = format.indexOf('__print_symbolic(REC->reason');
  if (at < 0) return [];
  return [...format.slice(at).matchAll(/\{\s*(\d+)\s*,\s*"([^"]*)"\s*\}/g)].map((m) => ({ reason: Number(m[1]), name: m[2] }));
}

/** net_drop_reasons: the capture kernel's enum skb_drop_reason names */
function writeReasons(x: FinishCtx): Iterable<bigint> {
  const w = x.table('net_drop_reasons', 256);
  if (x.settings.events.includes('net')) {
    let text = '';
    try {
      text = readFileSync(`${tracefsDir('reading the drop reasons of skb:kfree_skb')}/events/skb/kfree_skb/format`, 'utf8');
    } catch {
      // no tracefs: the table stays empty (its doc says so) and the capture is still written
    }
    for (const r of dropReasons(text)) w.push(r);
  }
  w.close();
  return [];
}

export const net: Family = {
  name: 'net',
  doc: 'packets per device: queue → transmit time, length, receive counts; drops with their reason (net:net_dev_queue/net_dev_xmit/netif_receive_skb, skb:kfree_skb)',
  byDefault: false,
  tables: TABLES,
  kinds: [
    { id: W.KT_NET_QUEUE, name: 'net_dev_queue', struct: 'kt_net_pkt' },
    { id: W.KT_NET_XMIT, name: 'net_dev_xmit', struct: 'kt_net_pkt' },
    { id: W.KT_NET_RECEIVE, name: 'netif_receive_skb', struct: 'kt_net_pkt' },
    { id: W.KT_NET_DROP, name: 'kfree_skb', struct: 'kt_net_drop' },
    { id: W.KT_NET_DEVICE, name: 'net_device', struct: 'kt_net_dev' },
  ],
  programs: [
    { name: 'kt_net_queue', kind: W.KT_NET_QUEUE },
    { name: 'kt_net_xmit', kind: W.KT_NET_XMIT },
    { name: 'kt_net_receive', kind: W.KT_NET_RECEIVE },
    { name: 'kt_net_drop', kind: W.KT_NET_DROP },
    { name: 'kt_net_name_tx', kind: W.KT_NET_DEVICE },
    { name: 'kt_net_name_rx', kind: W.KT_NET_DEVICE },
  ],
  decoder: netDecoder,
  finish: writeReasons,
  kernelAddressColumns: [['net_drops', 'location']],
  export: async () => (await import('./export.js')).netExport,
  htmlSections: async () => (await import('./html.js')).netHtml,
  htmlDistributions: async () => (await import('./html.js')).netDistributions,
  compare: netCompare,
  reports: {
    net: {
      doc: 'packets per device: tx and rx packets and bytes, transmit (queue → xmit) latency percentiles and log2 histograms (netpack), drops by reason',
      reads: TABLES.map((t) => t.name),
      load: async () => (await import('./report.js')).netReport,
    },
  },
};
