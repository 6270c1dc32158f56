/** The tcp family's capture tables (formats/capture.md is generated from them). */
import { col as c, CPU_COL as CPU, TS_COL as TS, type TableDef } from '../../formats/table.js';

const ADDR = (side: string, half: string) =>
  c(
    `${side}addr_${half}`,
    'u64',
    `${side === 's' ? 'local' : 'remote'} address, ${half === 'hi' ? 'high' : 'low'} 64 bits of the 128-bit number (IPv4: the mapped ::ffff:a.b.c.d)`,
  );

export const TABLES: TableDef[] = [
  {
    name: 'tcp_events',
    role: 'event',
    group: 'tcp',
    since: '1.7',
    doc: "One row per event of a socket: sock:inet_sock_set_state (every state change of a TCP, DCCP, SCTP or MPTCP socket), tcp:tcp_retransmit_skb, tcp:tcp_send_reset and tcp:tcp_receive_reset, with the socket's addresses, ports and namespace, its owner (see the tcp family's attribution rule, families/tcp/sql/connections.sql) and the tcp_sock counters at that moment. The tcp_connections view pairs them into one row per connection. With a process filter, kept when the socket's owner is selected.",
    columns: [
      TS,
      CPU,
      c('event', 'u8', '0 state change, 1 retransmit, 2 reset sent, 3 reset received'),
      c('tid', 'i32', 'the task current when the event fired (in softirq: whoever was interrupted, or 0 idle)'),
      c('tgid', 'i32', 'its process'),
      c('sk', 'u64', "the socket's kernel address: its identity from its first state change to CLOSE (then reused)"),
      c('family', 'u16', 'address family: 2 AF_INET, 10 AF_INET6'),
      c('protocol', 'u16', 'IPPROTO_*: 6 TCP, 33 DCCP, 132 SCTP, 262 MPTCP'),
      c('netns', 'u32', "inode number of the socket's network namespace (as in /proc/PID/ns/net)"),
      ADDR('s', 'hi'),
      ADDR('s', 'lo'),
      ADDR('d', 'hi'),
      ADDR('d', 'lo'),
      c('sport', 'u16', 'local port'),
      c('dport', 'u16', 'remote port'),
      c(
        'oldstate',
        'u8',
        'state changes: the state before (TCP_*: 1 ESTABLISHED, 2 SYN_SENT, 3 SYN_RECV, 4 FIN_WAIT1, 5 FIN_WAIT2, 6 TIME_WAIT, 7 CLOSE, 8 CLOSE_WAIT, 9 LAST_ACK, 10 LISTEN, 11 CLOSING, 12 NEW_SYN_RECV); other events: the current state',
      ),
      c('newstate', 'u8', 'state changes: the state after; other events: the current state'),
      c(
        'own_tid',
        'i32',
        "the socket's owner at the event: the thread that connected, listened (for a passive child until it is accepted) or accepted it (0: unknown)",
      ),
      c('own_tgid', 'i32', 'its process'),
      c(
        'total_retrans',
        'u32',
        "tcp_sock.total_retrans: the socket's retransmitted segments so far (0 for other protocols and for request or time-wait sockets)",
      ),
      c('arg', 'i32', 'retransmit: the error of the retransmission (0: sent); reset sent: enum sk_rst_reason; else 0'),
      c('bytes_received', 'u64', 'tcp_sock.bytes_received: sequence space received so far after the SYN (payload, and 1 for a FIN; RFC 4898)'),
      c('bytes_acked', 'u64', 'tcp_sock.bytes_acked: sequence space the peer acknowledged so far (payload, and 1 each for a SYN and a FIN sent; RFC 4898)'),
    ],
  },
  {
    name: 'tcp_owners',
    role: 'event',
    group: 'tcp',
    since: '1.7',
    doc: 'One row each time a task became the owner of a socket, in its own context: connect() (the state change CLOSE → SYN_SENT), listen() (CLOSE → LISTEN) or accept()/accept4() returning the socket (syscalls:sys_exit_accept4, sys_exit_accept). With a process filter, kept when the task is selected.',
    columns: [
      TS,
      CPU,
      c('tid', 'i32', 'the task'),
      c('tgid', 'i32', 'its process'),
      c('how', 'u8', '0 connect, 1 listen, 2 accept'),
      c('sk', 'u64', 'the socket (tcp_events.sk)'),
      c('comm', 'utf8', 'its comm then'),
    ],
  },
];
