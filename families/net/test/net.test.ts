/**
 * The net family against the live kernel, through the built CLI: TCP traffic between two private network
 * namespaces joined by a veth pair (families/tcp/test/netns.ts), nothing else on those devices (IPv6 off). Ground
 * truth: each veth's own counters, /sys/class/net/DEV/statistics, read inside its namespace before and after the
 * recording: tx and rx packets and bytes per device must equal what the capture counted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD } from '../../../test/helpers.js';
import { netnsPair, type NetnsPair } from '../../tcp/test/netns.js';

const skipOutsideCI = privilegedSkipReason();
type Row = Record<string, any>;

describe.skipIf(skipOutsideCI)('net family: packets on a veth pair against its sysfs counters', () => {
  let ns: NetnsPair;
  let dir: string;
  let rep: Row;
  const before: Record<string, Record<string, number>> = {};
  const after: Record<string, Record<string, number>> = {};
  const devs = () => [
    { ns: ns.client, dev: ns.clientDev },
    { ns: ns.server, dev: ns.serverDev },
  ];

  beforeAll(() => {
    ns = netnsPair('net');
    for (const d of devs()) before[d.dev] = ns.devStats(d.ns, d.dev);
    dir = join(tmp(), 'cap');
    const r = ktape(['record', '-o', dir, '--events', 'net', '--', WORKLOAD, 'tcp', ns.server, ns.client, ns.serverAddr, '5000', '16']);
    expect(r.status, r.stderr).toBe(0);
    for (const d of devs()) after[d.dev] = ns.devStats(d.ns, d.dev);
    const a = ktape(['analyze', dir, 'net', '--json', '--top', '100']);
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    rep = JSON.parse(a.stdout);
  });
  afterAll(() => ns?.cleanup());

  it('per device: tx and rx packets and bytes are exactly the deltas of /sys/class/net/DEV/statistics', () => {
    for (const d of devs()) {
      const delta = (k: string) => after[d.dev][k] - before[d.dev][k];
      const row = rep.by_device.find((r: Row) => r.device === d.dev && r.netns === ns.inode(d.ns));
      expect(row).toBeTruthy();
      expect(delta('tx_packets')).toBeGreaterThan(16 * 4); // handshake, data, FINs and ACKs of 16 connections
      expect(delta('tx_dropped')).toBe(0);
      expect({ tx_packets: row.tx_packets, tx_bytes: row.tx_bytes, rx_packets: row.rx_packets, rx_bytes: row.rx_bytes }).toEqual({
        tx_packets: delta('tx_packets'),
        tx_bytes: delta('tx_bytes'),
        rx_packets: delta('rx_packets'),
        rx_bytes: delta('rx_bytes'),
      });
    }
    // what one end sent, the other received
    const [c, s] = devs().map((d) => rep.by_device.find((r: Row) => r.device === d.dev));
    expect([c.tx_packets, c.tx_bytes]).toEqual([s.rx_packets, s.rx_bytes]);
  });

  it('every transmit on the veths was paired with its queue event, with percentiles and a histogram', () => {
    for (const d of devs()) {
      const row = rep.by_device.find((r: Row) => r.device === d.dev);
      expect(row.timed).toBe(row.tx_packets);
      expect(row.xmit_p50_ns).toBeGreaterThanOrEqual(0);
      expect(row.xmit_p50_ns).toBeLessThanOrEqual(row.xmit_p99_ns);
      expect(row.xmit_p99_ns).toBeLessThanOrEqual(row.xmit_max_ns);
      const h = rep.histograms.find((x: Row) => x.device === d.dev && x.netns === row.netns);
      expect(h.buckets.reduce((a: number, b: Row) => a + b.count, 0)).toBe(row.timed);
    }
  });

  it('drop reasons are named from the capture kernel', () => {
    const r = ktape(['query', dir, 'SELECT count(*) AS n, count(*) FILTER (WHERE name = $$NO_SOCKET$$) AS no_socket FROM _net_drop_reasons', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const [x] = JSON.parse(r.stdout);
    expect(x.n).toBeGreaterThan(10);
    expect(x.no_socket).toBe(1);
    for (const d of rep.drops) expect(d.reason).not.toMatch(/^reason_/);
  });

  it('--csv, and the export: tx and rx byte counters per device end at the totals', () => {
    const csv = ktape(['analyze', dir, 'net', '--csv']);
    expect(csv.status).toBe(0);
    expect(csv.stdout).toMatch(/^# by_device\ndevice,netns,tx_packets,tx_bytes,rx_packets,rx_bytes,/);
    const json = join(tmp(), 'net.json');
    expect(ktape(['export', dir, '--chrome', json]).status).toBe(0);
    const evs = (JSON.parse(readFileSync(json, 'utf8')).traceEvents as Row[]).filter((e) => e.cat === 'net' && e.ph === 'C');
    const names = (JSON.parse(readFileSync(json, 'utf8')).traceEvents as Row[]).filter((e) => e.ph === 'M' && e.name === 'process_name');
    for (const d of devs()) {
      const row = rep.by_device.find((r: Row) => r.device === d.dev);
      const pid = names.find((m) => m.args.name === `ktape: net ${d.dev} (netns ${row.netns})`)?.pid;
      const last = evs.filter((e) => e.pid === pid).at(-1)!;
      expect(last.args).toEqual({ tx: row.tx_bytes, rx: row.rx_bytes });
    }
  });
});
