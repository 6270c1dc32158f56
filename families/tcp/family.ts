/** The tcp family: TCP socket state changes, retransmits, resets and owners (sock:inet_sock_set_state, tcp:*, syscalls:sys_exit_accept*). */
import * as W from '../../formats/gen/events.gen.js';
import type { Family } from '../family.js';
import { tcpCompare } from './compare.js';
import { tcpDecoder } from './decode.js';
import { TABLES } from './tables.js';

export const tcp: Family = {
  name: 'tcp',
  doc: 'TCP connections: state changes with addresses and ports, retransmits, resets, the task that connected or accepted each (sock:inet_sock_set_state, tcp:tcp_retransmit_skb/tcp_send_reset/tcp_receive_reset)',
  byDefault: false,
  tables: TABLES,
  kinds: [
    { id: W.KT_TCP_STATE, name: 'inet_sock_set_state', struct: 'kt_tcp_ev' },
    { id: W.KT_TCP_RETRANSMIT, name: 'tcp_retransmit_skb', struct: 'kt_tcp_ev' },
    { id: W.KT_TCP_SEND_RESET, name: 'tcp_send_reset', struct: 'kt_tcp_ev' },
    { id: W.KT_TCP_RECV_RESET, name: 'tcp_receive_reset', struct: 'kt_tcp_ev' },
    { id: W.KT_TCP_OWNER, name: 'tcp_owner', struct: 'kt_tcp_owner' },
  ],
  programs: [
    { name: 'kt_tcp_state', kind: W.KT_TCP_STATE },
    // records the state changes the kernel skipped kt_tcp_state for (a softirq's, nested in it on the CPU): bpf/common.bpf.h
    { name: 'kt_tcp_state_nested', kind: W.KT_TCP_STATE, nested: true },
    { name: 'kt_tcp_retransmit', kind: W.KT_TCP_RETRANSMIT },
    { name: 'kt_tcp_send_reset', kind: W.KT_TCP_SEND_RESET },
    { name: 'kt_tcp_recv_reset', kind: W.KT_TCP_RECV_RESET },
    { name: 'kt_tcp_accept4', kind: W.KT_TCP_OWNER },
    { name: 'kt_tcp_accept', kind: W.KT_TCP_OWNER },
  ],
  // the owner maps are preallocated: a token size when tcp is not recorded
  prepareMaps: (maps, s) => {
    if (!s.events.includes('tcp')) {
      maps.setMaxEntries('kt_tcp_owners', 1);
      maps.setMaxEntries('kt_tcp_listeners', 1);
    }
  },
  decoder: tcpDecoder,
  export: async () => (await import('./export.js')).tcpExport,
  htmlSections: async () => (await import('./html.js')).tcpHtml,
  htmlDistributions: async () => (await import('./html.js')).tcpDistributions,
  compare: tcpCompare,
  reports: {
    tcp: {
      doc: 'TCP connections: active ones with connect latency (tcpconnlat), passive ones with accept latency, lifetimes and bytes (tcplife), retransmits and resets per connection and per process, latency percentiles and log2 histograms per process and per remote address',
      reads: TABLES.map((t) => t.name),
      load: async () => (await import('./report.js')).tcpReport,
    },
  },
};
