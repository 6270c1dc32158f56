/**
 * Diff tests: TCP connection pairing and attribution (families/tcp/sql/connections.sql).
 *
 * Client process 100 (comm "client", thread 101 connects), server process 200 (comm "server": thread 200
 * listens, thread 201 accepts). State changes in softirq run over whatever task was current (0 idle, 77).
 * Capture [0, 1000000]. Addresses: client 10.0.0.1, server 10.0.0.2 (IPv4-mapped in the 128-bit columns).
 */
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { diffTest, writeCapture } from '../../../test/diff/harness.js';
import { ktape, tmp } from '../../../test/helpers.js';

const STATE = 0,
  RETRANS = 1,
  SEND_RST = 2;
const [ESTABLISHED, SYN_SENT, SYN_RECV, FIN_WAIT1, TIME_WAIT, CLOSE, LISTEN] = [1, 2, 3, 4, 6, 7, 10];
const CONNECT = 0,
  LISTENED = 1,
  ACCEPT = 2;
const v4 = (a: string) => 0xffff00000000n | BigInt(a.split('.').reduce((x, o) => x * 256 + Number(o), 0));
const C = v4('10.0.0.1'),
  S = v4('10.0.0.2');
const SK = 0xffff888010000000n,
  CHILD = 0xffff888020000000n,
  LSK = 0xffff888030000000n;

interface Ev {
  cur?: [number, number];
  own?: [number, number];
  ports?: [number, number];
  addrs?: [bigint, bigint, bigint, bigint];
  family?: number;
  retrans?: number;
  rx?: number;
  acked?: number;
  arg?: number;
}
/** one tcp_events row of socket `sk`: state `from` → `to` (other events: the current state twice) */
const ev = (ts: number, event: number, sk: bigint, from: number, to: number, o: Ev = {}) => {
  const [shi, slo, dhi, dlo] = o.addrs ?? (sk === SK ? [0n, C, 0n, S] : [0n, S, 0n, C]);
  const [sport, dport] = o.ports ?? (sk === SK ? [40000, 80] : sk === LSK ? [80, 0] : [80, 40000]);
  return {
    ts,
    cpu: 0,
    event,
    tid: (o.cur ?? [0, 0])[0],
    tgid: (o.cur ?? [0, 0])[1],
    sk,
    family: o.family ?? 2,
    protocol: 6,
    netns: 4026531840,
    saddr_hi: shi,
    saddr_lo: slo,
    daddr_hi: dhi,
    daddr_lo: dlo,
    sport,
    dport,
    oldstate: from,
    newstate: to,
    own_tid: (o.own ?? [0, 0])[0],
    own_tgid: (o.own ?? [0, 0])[1],
    total_retrans: o.retrans ?? 0,
    arg: o.arg ?? 0,
    bytes_received: o.rx ?? 0,
    bytes_acked: o.acked ?? 0,
  };
};
const owner = (ts: number, tid: number, tgid: number, how: number, sk: bigint, comm: string) => ({ ts, cpu: 0, tid, tgid, how, sk, comm });
const manifest = { start_ts: 0, end_ts: 1_000_000 };
const CLI = [101, 100] as [number, number],
  SRV = [200, 200] as [number, number];

/** an active connection of thread 101: connect() at 1000 (no port yet), established in softirq at 1500, closed at 9000 */
const active = (sk = SK, t0 = 1000) => [
  ev(t0, STATE, sk, CLOSE, SYN_SENT, { cur: CLI, own: CLI, ports: [0, 80] }),
  ev(t0 + 500, STATE, sk, SYN_SENT, ESTABLISHED, { own: CLI, acked: 1 }),
  ev(t0 + 6000, STATE, sk, ESTABLISHED, FIN_WAIT1, { cur: CLI, own: CLI, rx: 100, acked: 1001 }),
  ev(t0 + 8000, STATE, sk, FIN_WAIT1, CLOSE, { cur: [77, 77], own: CLI, rx: 101, acked: 1002, ports: [0, 80] }),
];
const COLS = 'role, tid, tgid, comm, local, remote, connect_ns, accept_ns, lifetime_ns, state, closed_from, retransmits, bytes_received, bytes_acked';

describe('tcp connection pairing and attribution', () => {
  diffTest('an active connection: owned by the connecting thread, not the softirq task; ports from its last bound event', {
    manifest,
    tables: { tcp_events: active(), tcp_owners: [owner(1000, 101, 100, CONNECT, SK, 'client')] },
    query: `SELECT ${COLS} FROM tcp_connections`,
    csv: `
      role,tid,tgid,comm,local,remote,connect_ns,accept_ns,lifetime_ns,state,closed_from,retransmits,bytes_received,bytes_acked
      active,101,100,client,10.0.0.1:40000,10.0.0.2:80,500,,8000,CLOSE,FIN_WAIT1,0,101,1002`,
  });

  diffTest('a passive child: born in softirq with its listener as owner, then owned by the thread that accepted it', {
    manifest,
    tables: {
      tcp_events: [
        ev(100, STATE, LSK, CLOSE, LISTEN, { cur: SRV, own: SRV }),
        ev(1400, STATE, CHILD, LISTEN, SYN_RECV, { cur: [77, 77], own: SRV }),
        ev(1410, STATE, CHILD, SYN_RECV, ESTABLISHED, { cur: [77, 77], own: SRV }),
        ev(9000, STATE, CHILD, ESTABLISHED, CLOSE, { cur: [201, 200], own: [201, 200], rx: 1001, acked: 101 }),
      ],
      tcp_owners: [owner(100, 200, 200, LISTENED, LSK, 'server'), owner(3410, 201, 200, ACCEPT, CHILD, 'server-w')],
    },
    query: `SELECT ${COLS} FROM tcp_connections`,
    csv: `
      role,tid,tgid,comm,local,remote,connect_ns,accept_ns,lifetime_ns,state,closed_from,retransmits,bytes_received,bytes_acked
      passive,201,200,server-w,10.0.0.2:80,10.0.0.1:40000,,2000,7600,CLOSE,ESTABLISHED,0,1001,101`,
  });

  diffTest('a passive child never accepted in the capture: its listener owner (and that owner comm), no accept latency', {
    manifest,
    tables: {
      tcp_events: [
        ev(100, STATE, LSK, CLOSE, LISTEN, { cur: SRV, own: SRV }),
        ev(1400, STATE, CHILD, LISTEN, SYN_RECV, { own: SRV }),
        ev(1410, STATE, CHILD, SYN_RECV, ESTABLISHED, { own: SRV }),
      ],
      tcp_owners: [owner(100, 200, 200, LISTENED, LSK, 'server')],
    },
    query: `SELECT ${COLS} FROM tcp_connections`,
    csv: `
      role,tid,tgid,comm,local,remote,connect_ns,accept_ns,lifetime_ns,state,closed_from,retransmits,bytes_received,bytes_acked
      passive,200,200,server,10.0.0.2:80,10.0.0.1:40000,,,,ESTABLISHED,,0,0,0`,
  });

  diffTest('a socket address reused after CLOSE is a new connection; each keeps its own owner and retransmits', {
    manifest,
    tables: {
      tcp_events: [
        ...active(SK, 1000),
        ...active(SK, 20000).map((e) => ({ ...e, own_tid: e.own_tid && 102, tid: e.tid === 101 ? 102 : e.tid })),
        ev(20700, RETRANS, SK, ESTABLISHED, ESTABLISHED, { own: [102, 100], retrans: 1 }),
      ],
      tcp_owners: [owner(1000, 101, 100, CONNECT, SK, 'client'), owner(20000, 102, 100, CONNECT, SK, 'client2')],
    },
    query: 'SELECT ts, tid, comm, connect_ns, retransmits FROM tcp_connections ORDER BY ts',
    csv: `
      ts,tid,comm,connect_ns,retransmits
      1000,101,client,500,0
      20000,102,client2,500,1`,
  });

  diffTest('a connection that began before the capture: role unknown, no owner, its lifetime from its first event', {
    manifest,
    tables: {
      tcp_events: [ev(5000, STATE, SK, ESTABLISHED, FIN_WAIT1, { cur: [300, 300] }), ev(6000, STATE, SK, FIN_WAIT1, CLOSE, { cur: [0, 0], ports: [0, 80] })],
      tcp_owners: [],
    },
    query: 'SELECT role, tid, comm, local, connect_ns, lifetime_ns FROM tcp_connections',
    csv: `
      role,tid,comm,local,connect_ns,lifetime_ns
      unknown,,,10.0.0.1:40000,,1000`,
  });

  diffTest('a reset sent from a time-wait socket is not a connection of its own; listeners are not connections', {
    manifest,
    tables: {
      tcp_events: [
        ev(100, STATE, LSK, CLOSE, LISTEN, { cur: SRV, own: SRV }),
        ...active(),
        ev(12000, SEND_RST, 0xffff888040000000n, TIME_WAIT, TIME_WAIT, { arg: 3 }),
      ],
      tcp_owners: [owner(1000, 101, 100, CONNECT, SK, 'client')],
    },
    query: 'SELECT role, tid, resets_sent FROM tcp_connections',
    csv: `
      role,tid,resets_sent
      active,101,0`,
  });

  diffTest('IPv6 addresses: zero runs written ::, IPv4-mapped ones dotted, brackets around the address in an endpoint', {
    manifest,
    tables: {
      tcp_events: [
        ev(1000, STATE, SK, CLOSE, SYN_SENT, { family: 10, addrs: [0n, 1n, 0xfe80000000000000n, 0x0001000200030004n], ports: [5, 6] }),
        ev(2000, STATE, CHILD, LISTEN, SYN_RECV, { family: 10, addrs: [0n, C, 0x20010db800000000n, 0n], ports: [7, 8] }),
      ],
      tcp_owners: [],
    },
    query: 'SELECT laddr, raddr, local, remote, family FROM tcp_connections ORDER BY ts',
    csv: `
      laddr,raddr,local,remote,family
      ::1,fe80::1:2:3:4,[::1]:5,[fe80::1:2:3:4]:6,ipv6
      ::ffff:10.0.0.1,2001:db8::,::ffff:10.0.0.1:7,[2001:db8::]:8,ipv6`,
  });

  diffTest('the report: per process and per remote address, connect latency percentiles', {
    manifest,
    tables: {
      tcp_events: [...active(SK, 1000), ...active(CHILD, 20000).map((e) => ({ ...e, sport: e.sport && 40001, saddr_lo: C, daddr_lo: S }))],
      tcp_owners: [owner(1000, 101, 100, CONNECT, SK, 'client'), owner(20000, 101, 100, CONNECT, CHILD, 'client')],
    },
    analyze: ['tcp'],
    section: 'by_process',
    columns: ['tgid', 'comm', 'connections', 'active', 'passive', 'connect_p50_ns', 'connect_max_ns', 'bytes_acked'],
    csv: `
      tgid,comm,connections,active,passive,connect_p50_ns,connect_max_ns,bytes_acked
      100,client,2,2,0,500,500,2004`,
  });
});

describe('tcp: hostile strings', () => {
  it('a comm with terminal escapes and a newline is printed escaped by the human report', () => {
    const dir = join(tmp('ktape-diff-'), 'cap');
    try {
      writeCapture(dir, { manifest, tables: { tcp_events: active(), tcp_owners: [owner(1000, 101, 100, CONNECT, SK, '\x1b[31mevil\nrow')] } });
      const r = ktape(['analyze', dir, 'tcp']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).not.toContain('\x1b');
      expect(r.stdout).toContain('\\x1b[31mevil\\nrow');
      const j = ktape(['analyze', dir, 'tcp', '--json']);
      expect(JSON.parse(j.stdout).connections[0].comm).toBe('\x1b[31mevil\nrow');
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });

  it('a capture without the tcp family says so', () => {
    const dir = join(tmp('ktape-diff-'), 'cap');
    try {
      writeCapture(dir, { manifest: { ...manifest, options: { events: ['task', 'sched'] } }, tables: {} });
      const r = ktape(['analyze', dir, 'tcp', '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).notes).toEqual(['this capture has no tcp events: record with --events tcp']);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
