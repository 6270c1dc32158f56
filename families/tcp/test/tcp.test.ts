/**
 * The tcp family against the live kernel, through the built CLI, between two private network namespaces joined
 * by a veth pair (netns.ts). Ground truth: the workload's own timing of each connect() (CLOCK_BOOTTIME, ktape's
 * clock, read just before and just after the call, in the calling thread), its local ports and thread ids, and the
 * kernel's counters inside each namespace (/proc/net/snmp Tcp.ActiveOpens, PassiveOpens, RetransSegs;
 * /proc/net/netstat TcpExt.ListenOverflows, ListenDrops), read before and after the recording: only the test's
 * connections use these namespaces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD } from '../../../test/helpers.js';
import { decodeTrace } from '../../../test/e2e/export.helpers.js';
import { netnsPair, type NetnsPair } from './netns.js';

const skipOutsideCI = privilegedSkipReason();
/**
 * The bound of |client's connect() time - recorded SYN_SENT → ESTABLISHED|: the recorded interval lies inside the
 * client's (asserted exactly); what the client sees more is the syscall's entry before the state change and its
 * wakeup after the handshake: 12 to 36 µs for a fast connect here, 3.4 ms after a SYN retry with the load average at
 * 30 on this shared 2-core machine; 25 ms at most.
 */
const BOUND_NS = 25e6;

type Row = Record<string, any>;
interface Capture {
  dir: string;
  wl: Row;
  /** counter deltas over the recording, per namespace */
  client: Record<string, number>;
  server: Record<string, number>;
}

function record(ns: NetnsPair, port: number, args: string[]): Capture {
  const dir = join(tmp(), `cap-${port}`);
  const c0 = ns.counters(ns.client),
    s0 = ns.counters(ns.server);
  const r = ktape(['record', '-o', dir, '--json', '--events', 'tcp,task', '--', WORKLOAD, 'tcp', ns.server, ns.client, ns.serverAddr, String(port), ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const c1 = ns.counters(ns.client),
    s1 = ns.counters(ns.server);
  const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - (a[k] ?? 0)]));
  const wl = r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .find((l) => l.mode === 'tcp');
  expect(wl).toBeTruthy();
  return { dir, wl, client: delta(c0, c1), server: delta(s0, s1) };
}

const query = (dir: string, sql: string): Row[] => {
  const r = ktape(['query', dir, sql, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
};
const report = (dir: string): Row => {
  const r = ktape(['analyze', dir, 'tcp', '--json', '--top', '100']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout);
};

describe.skipIf(skipOutsideCI)('tcp family: connections between two namespaces', () => {
  const N = 8;
  let ns: NetnsPair;
  let cap: Capture;
  let rep: Row;
  let clientNs: number;
  let serverNs: number;

  beforeAll(() => {
    ns = netnsPair('tcp');
    clientNs = ns.inode(ns.client);
    serverNs = ns.inode(ns.server);
    cap = record(ns, 5000, [String(N)]);
    rep = report(cap.dir);
  });
  afterAll(() => ns?.cleanup());

  it('the kernel counted exactly the workload connections in each namespace', () => {
    expect(cap.wl.conns).toHaveLength(N);
    expect(cap.client['Tcp.ActiveOpens']).toBe(N);
    expect(cap.server['Tcp.PassiveOpens']).toBe(N);
    expect(cap.client['Tcp.RetransSegs']).toBe(0);
  });

  it("each connection's connect latency lies inside the client's own timing of connect(), within the bound", () => {
    const rows = query(cap.dir, `SELECT * FROM tcp_connections WHERE role = 'active' AND netns = ${clientNs} ORDER BY ts`);
    expect(rows).toHaveLength(N);
    for (const c of cap.wl.conns) {
      const r = rows.filter((x) => x.lport === c.port);
      expect(r).toHaveLength(1);
      expect(r[0].syn_ts).toBeGreaterThanOrEqual(c.start_ns);
      expect(r[0].established_ts).toBeLessThanOrEqual(c.end_ns);
      expect(r[0].connect_ns).toBeGreaterThan(0);
      expect(c.end_ns - c.start_ns - r[0].connect_ns).toBeLessThanOrEqual(BOUND_NS);
      expect(r[0]).toMatchObject({ tgid: cap.wl.pid, tid: c.tid, comm: 'kt-tcp-client', raddr: ns.serverAddr, rport: 5000, laddr: ns.clientAddr });
    }
  });

  it('passive side: one accepted connection per client port, owned by the server process, with its accept latency', () => {
    const rows = query(cap.dir, `SELECT * FROM tcp_connections WHERE role = 'passive' AND netns = ${serverNs}`);
    expect(rows).toHaveLength(N);
    expect(rows.map((r) => r.rport).sort()).toEqual(cap.wl.conns.map((c: Row) => c.port).sort());
    for (const r of rows) {
      expect(r).toMatchObject({ tgid: cap.wl.server_pid, tid: cap.wl.server_pid, comm: 'kt-tcp-server', lport: 5000, laddr: ns.serverAddr });
      expect(r.accept_ns).toBeGreaterThanOrEqual(0);
      expect(r.accept_ts).toBeGreaterThanOrEqual(r.established_ts);
    }
    // a child is born in softirq: the task current then is not the server (and never what the report names)
    const [{ n }] = query(
      cap.dir,
      `SELECT count(*) AS n FROM _tcp_events WHERE netns = ${serverNs} AND event = 0 AND newstate = 1 AND own_tgid = ${cap.wl.server_pid}`,
    );
    expect(n).toBe(N);
  });

  it("bytes, lifetimes and states come from the kernel's socket at close", () => {
    const rows = query(cap.dir, 'SELECT * FROM tcp_connections');
    expect(rows).toHaveLength(2 * N);
    for (const r of rows) {
      expect(r.state).toBe('CLOSE');
      expect(r.lifetime_ns).toBeGreaterThan(0);
      expect(r.retransmits).toBe(0);
      expect(r.resets_sent + r.resets_received).toBe(0);
      // payload, plus a FIN received; acked: payload, plus the SYN (active side) and the FIN
      if (r.role === 'active') expect([r.bytes_acked, r.bytes_received]).toEqual([cap.wl.send + 2, cap.wl.reply + 1]);
      else expect([r.bytes_acked, r.bytes_received]).toEqual([cap.wl.reply + 1, cap.wl.send + 1]);
    }
  });

  it('the report: per process counts and percentiles, a histogram per process and per remote address', () => {
    const client = rep.by_process.find((r: Row) => r.tgid === cap.wl.pid);
    const server = rep.by_process.find((r: Row) => r.tgid === cap.wl.server_pid);
    expect(client).toMatchObject({ comm: 'kt-tcp-client', connections: N, active: N, passive: 0, retransmits: 0 });
    expect(server).toMatchObject({ comm: 'kt-tcp-server', connections: N, active: 0, passive: N });
    expect(client.connect_p50_ns).toBeLessThanOrEqual(client.connect_p99_ns);
    expect(client.connect_p99_ns).toBeLessThanOrEqual(client.connect_max_ns);
    const slowest = Math.max(...cap.wl.conns.map((c: Row) => c.end_ns - c.start_ns));
    expect(client.connect_max_ns).toBeLessThanOrEqual(slowest);
    const remote = rep.by_remote.find((r: Row) => r.remote === ns.serverAddr);
    expect(remote).toMatchObject({ connections: N, active: N });
    for (const [by, key] of [
      ['process', `kt-tcp-client (${cap.wl.pid})`],
      ['remote', ns.serverAddr],
    ]) {
      const h = rep.histograms.find((x: Row) => x.by === by && x.key === key);
      expect(h.buckets.reduce((a: number, b: Row) => a + b.count, 0)).toBe(N);
    }
    expect(rep.connections).toHaveLength(2 * N);
  });

  it('--csv has the connection rows', () => {
    const r = ktape(['analyze', cap.dir, 'tcp', '--csv']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^# connections\nts,role,tgid,comm,local,remote,/);
    expect(r.stdout).toContain(`,active,${cap.wl.pid},kt-tcp-client,${ns.clientAddr}:`);
  });

  it('Perfetto and Chrome: each connection a slice on its owning process', () => {
    const out = join(tmp(), 'tcp.pftrace');
    expect(ktape(['export', cap.dir, '--perfetto', out]).status).toBe(0);
    const tracks = new Map<bigint, Row>();
    const slices: Row[] = [];
    for (const p of decodeTrace(out).packet) {
      if (p.data.case === 'trackDescriptor') tracks.set(p.data.value.uuid, p.data.value);
      if (p.data.case === 'trackEvent' && p.data.value.type === 1) slices.push(p.data.value);
    }
    const pidOf = (uuid: bigint): number | undefined => {
      const t = tracks.get(uuid);
      return t?.process?.pid ?? (t?.parentUuid === undefined ? undefined : pidOf(t.parentUuid));
    };
    const tcp = slices.filter((s) => /^(connect|accepted) /.test(s.nameField?.value ?? ''));
    expect(tcp.filter((s) => pidOf(s.trackUuid) === cap.wl.pid)).toHaveLength(N);
    expect(tcp.filter((s) => pidOf(s.trackUuid) === cap.wl.server_pid)).toHaveLength(N);
    const json = join(tmp(), 'tcp.json');
    expect(ktape(['export', cap.dir, '--chrome', json]).status).toBe(0);
    const evs = (JSON.parse(readFileSync(json, 'utf8')).traceEvents as Row[]).filter((e) => e.cat === 'tcp' && e.ph === 'X');
    expect(evs.filter((e) => e.pid === cap.wl.pid)).toHaveLength(N);
    expect(evs.filter((e) => e.pid === cap.wl.server_pid)).toHaveLength(N);
  });
});

describe.skipIf(skipOutsideCI)('tcp family: a full accept queue drops SYNs, which the client retries', () => {
  const FAST = 3, // the listener's backlog is 2: its accept queue holds 3
    BLOCKED = 2;
  let ns: NetnsPair;
  let cap: Capture;
  let fast: Capture;
  let rep: Row;

  beforeAll(() => {
    ns = netnsPair('tcpq');
    fast = record(ns, 5001, ['4']);
    // the server waits 300 ms before accepting: the BLOCKED connects after the queue is full lose their SYN, retried after ~1 s
    cap = record(ns, 5002, [String(FAST), '2', '300', String(BLOCKED)]);
    rep = report(cap.dir);
  });
  afterAll(() => ns?.cleanup());

  it("the kernel dropped one SYN per blocked connection (server's ListenOverflows) and the client retransmitted each", () => {
    expect(cap.server['TcpExt.ListenOverflows']).toBe(BLOCKED);
    expect(cap.server['TcpExt.ListenDrops']).toBe(BLOCKED);
    expect(cap.client['Tcp.RetransSegs']).toBe(BLOCKED);
  });

  it("the report: the blocked connections' latency (the client's own, ~1 s) and retransmits agree with the kernel", () => {
    const client = ns.inode(ns.client);
    const rows = query(cap.dir, `SELECT * FROM tcp_connections WHERE role = 'active' AND netns = ${client}`);
    expect(rows).toHaveLength(FAST + BLOCKED);
    for (const c of cap.wl.conns) {
      const r = rows.find((x) => x.lport === c.port)!;
      expect(r.syn_ts).toBeGreaterThanOrEqual(c.start_ns);
      expect(r.established_ts).toBeLessThanOrEqual(c.end_ns);
      expect(c.end_ns - c.start_ns - r.connect_ns).toBeLessThanOrEqual(BOUND_NS);
      expect(r.tid).toBe(c.tid);
      if (c.blocked) {
        expect(r.connect_ns).toBeGreaterThan(0.9e9);
        expect(r.retransmits).toBe(1);
        expect(r.total_retrans).toBe(1);
      } else expect(r.retransmits).toBe(0);
    }
    const p = rep.by_process.find((r: Row) => r.tgid === cap.wl.pid);
    expect(p.retransmits).toBe(cap.client['Tcp.RetransSegs']);
    expect(p.connect_max_ns).toBeGreaterThan(0.9e9);
    expect(rows.filter((r) => r.retransmits > 0)).toHaveLength(cap.server['TcpExt.ListenOverflows']);
    // each retransmission was a SYN, on the blocked thread's socket
    const rtx = query(cap.dir, 'SELECT state, err, tid FROM tcp_retransmits ORDER BY ts');
    expect(rtx).toHaveLength(BLOCKED);
    expect(rtx.every((r) => r.state === 'SYN_SENT' && r.err === 0)).toBe(true);
    expect(rtx.map((r) => r.tid).sort()).toEqual(
      cap.wl.conns
        .filter((c: Row) => c.blocked)
        .map((c: Row) => c.tid)
        .sort(),
    );
  });

  it('exports the retransmits as instants on their connection', () => {
    const json = join(tmp(), 'tcpq.json');
    expect(ktape(['export', cap.dir, '--chrome', json]).status).toBe(0);
    const evs = (JSON.parse(readFileSync(json, 'utf8')).traceEvents as Row[]).filter((e) => e.cat === 'tcp');
    expect(evs.filter((e) => e.ph === 'i' && e.pid === cap.wl.pid)).toHaveLength(BLOCKED);
  });

  it('ktape compare: connect p99 and retransmits of the client grow', () => {
    const r = ktape(['compare', fast.dir, cap.dir, '--json', '--no-normalize', '--min-count', '1']);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).rows as Row[];
    const row = (metric: string) => rows.find((x) => x.group === 'kt-tcp-client' && x.metric === metric);
    expect(row('tcp_retransmits')).toMatchObject({ base: 0, new: BLOCKED });
    expect(row('tcp_connections')).toMatchObject({ base: 4, new: FAST + BLOCKED });
    expect(row('tcp_connect_p99_ns').new).toBeGreaterThan(0.9e9);
    expect(row('tcp_connect_p99_ns').base).toBeLessThan(BOUND_NS);
  });
});
