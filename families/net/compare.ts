/** net's compare metrics, per device as groups '[net <device>]': packets, bytes and transmit latency p99. */
import type { CompareDef } from '../family.js';
import { num, numOrNull } from '../values.js';

export const netCompare: CompareDef = {
  metrics: {
    net_packet_count: { unit: 'count', kind: 'flow', activity: true, doc: 'packets the device transmitted and received' },
    net_tx_bytes: { unit: 'bytes', kind: 'flow', doc: 'bytes the device transmitted (frames)' },
    net_rx_bytes: { unit: 'bytes', kind: 'flow', doc: 'bytes the device received (frames)' },
    net_xmit_p99_ns: { unit: 'ns', kind: 'dist', q: 0.99, doc: 'transmit latency (net_dev_queue → net_dev_xmit), 99th percentile' },
    net_drops: { unit: 'count', kind: 'flow', doc: 'packets dropped on the device (skb:kfree_skb)' },
  },
  help: ['net_packet_count  net_tx_bytes  net_rx_bytes  net_xmit_p99_ns  net_drops (per device, as [net <device>])'],
  async collect(x) {
    for (const r of await x.query('device')) {
      const n = num(r.packets);
      x.put(r.grp, 'net_packet_count', n, n);
      x.put(r.grp, 'net_tx_bytes', num(r.tx_bytes), n);
      x.put(r.grp, 'net_rx_bytes', num(r.rx_bytes), n);
      x.put(r.grp, 'net_xmit_p99_ns', numOrNull(r.xmit_p99), num(r.timed));
      x.put(r.grp, 'net_drops', num(r.drops), n);
    }
  },
};
