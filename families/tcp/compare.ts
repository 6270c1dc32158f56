/** tcp's compare metrics: connections, connect latency p99 and retransmits per group of owning threads. */
import type { CompareDef } from '../family.js';
import { num, numOrNull } from '../values.js';

export const tcpCompare: CompareDef = {
  metrics: {
    tcp_connections: { unit: 'count', kind: 'flow', activity: true, doc: 'TCP connections the group connected or accepted' },
    tcp_connect_p99_ns: { unit: 'ns', kind: 'dist', q: 0.99, doc: 'TCP connect latency (SYN_SENT → ESTABLISHED), 99th percentile' },
    tcp_retransmits: { unit: 'count', kind: 'flow', doc: "retransmitted segments of the group's connections (SYNs included)" },
  },
  help: ['tcp_connections  tcp_connect_p99_ns  tcp_retransmits (per group of the owning threads)'],
  async collect(x) {
    for (const r of await x.query('process')) {
      const n = num(r.connections);
      x.put(r.grp, 'tcp_connections', n, n);
      x.put(r.grp, 'tcp_connect_p99_ns', numOrNull(r.connect_p99), num(r.connected));
      x.put(r.grp, 'tcp_retransmits', num(r.retransmits), n);
    }
  },
};
