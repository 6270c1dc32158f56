/**
 * Diff tests: packet pairing and counting (families/net/sql/packets.sql). Devices: eth0 (ifindex 2) and a VLAN
 * eth0.5 (ifindex 3) in namespace 1000, and another ifindex 2 ("peer") in namespace 2000. Capture [0, 100000].
 */
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { diffTest, writeCapture } from '../../../test/diff/harness.js';
import { ktape, tmp } from '../../../test/helpers.js';

const QUEUE = 0,
  XMIT = 1,
  RECV = 2;
const A = 0xffff888050000000n,
  B = 0xffff888050001000n;
const pkt = (ts: number, event: number, skb: bigint, o: { ifindex?: number; netns?: number; len?: number; rc?: number; mac?: number } = {}) => ({
  ts,
  cpu: 0,
  event,
  tid: 0,
  tgid: 0,
  skb,
  netns: o.netns ?? 1000,
  ifindex: o.ifindex ?? 2,
  len: o.len ?? 100,
  rc: o.rc ?? 0,
  mac_len: o.mac ?? 0,
});
const net_devices = [
  { ts: 1, netns: 1000, ifindex: 2, name: 'eth0' },
  { ts: 1, netns: 1000, ifindex: 3, name: 'eth0.5' },
  { ts: 1, netns: 2000, ifindex: 2, name: 'peer' },
];
const manifest = { start_ts: 0, end_ts: 100_000 };

describe('net packet pairing', () => {
  diffTest('a transmit pairs with its queue; a second transmit of the address without a new queue has no queue time', {
    manifest,
    tables: {
      net_packets: [pkt(1000, QUEUE, A), pkt(1300, XMIT, A), pkt(5000, XMIT, A), pkt(6000, XMIT, B)],
      net_devices,
    },
    query: 'SELECT ts, device, len, queue_ns FROM net_transmits ORDER BY ts',
    csv: `
      ts,device,len,queue_ns
      1300,eth0,100,300
      5000,eth0,100,
      6000,eth0,100,`,
  });

  diffTest('stacked devices: the same packet queued and sent on the VLAN, then on its lower device, one row each', {
    manifest,
    tables: {
      net_packets: [
        pkt(1000, QUEUE, A, { ifindex: 3 }),
        pkt(1100, XMIT, A, { ifindex: 3 }),
        pkt(1200, QUEUE, A, { len: 104 }),
        pkt(1700, XMIT, A, { len: 104 }),
      ],
      net_devices,
    },
    query: 'SELECT ts, device, len, queue_ns FROM net_transmits ORDER BY ts',
    csv: `
      ts,device,len,queue_ns
      1100,eth0.5,100,100
      1700,eth0,104,500`,
  });

  diffTest('the same ifindex in two namespaces is two devices; an unnamed device shows as if<n>', {
    manifest,
    tables: {
      net_packets: [
        pkt(1000, QUEUE, A),
        pkt(1000, QUEUE, A, { netns: 2000 }),
        pkt(1500, XMIT, A, { netns: 2000 }),
        pkt(2000, XMIT, A),
        pkt(3000, XMIT, B, { ifindex: 9 }),
      ],
      net_devices,
    },
    query: 'SELECT device, netns, queue_ns FROM net_transmits ORDER BY ts',
    csv: `
      device,netns,queue_ns
      peer,2000,500
      eth0,1000,1000
      if9,1000,`,
  });

  diffTest(
    'the report: tx counts what the driver took (a refused transmit is tried again), latency to the accepted try; rx counts the frame with its pulled header',
    {
      manifest,
      tables: {
        net_packets: [
          pkt(1000, QUEUE, A),
          pkt(1100, XMIT, A, { rc: 16 }),
          pkt(1400, XMIT, A),
          pkt(2000, RECV, B, { len: 86, mac: 14 }),
          pkt(2100, RECV, B, { len: 36, mac: 14 }),
        ],
        net_devices,
      },
      analyze: ['net'],
      section: 'by_device',
      columns: ['device', 'tx_packets', 'tx_bytes', 'rx_packets', 'rx_bytes', 'xmit_p50_ns', 'xmit_max_ns'],
      csv: `
      device,tx_packets,tx_bytes,rx_packets,rx_bytes,xmit_p50_ns,xmit_max_ns
      eth0,1,100,2,150,400,400`,
    },
  );

  diffTest('drops by reason: names from the capture kernel, an unknown reason by its number', {
    manifest,
    tables: {
      net_drops: [
        { ts: 1000, cpu: 0, tid: 0, tgid: 0, skb: A, netns: 1000, ifindex: 2, location: 0xffffffff81000000n, reason: 40, len: 60, protocol: 2048 },
        { ts: 2000, cpu: 0, tid: 0, tgid: 0, skb: B, netns: 1000, ifindex: 2, location: 0xffffffff81000000n, reason: 40, len: 60, protocol: 2048 },
        { ts: 3000, cpu: 0, tid: 0, tgid: 0, skb: B, netns: 0, ifindex: 0, location: 0xffffffff81000000n, reason: 999, len: 10, protocol: 2054 },
      ],
      net_devices,
      net_drop_reasons: [
        { reason: 2, name: 'NOT_SPECIFIED' },
        { reason: 40, name: 'TCP_LISTEN_OVERFLOW' },
      ],
    },
    analyze: ['net'],
    section: 'drops',
    columns: ['reason', 'reason_id', 'device', 'drops', 'bytes'],
    csv: `
      reason,reason_id,device,drops,bytes
      TCP_LISTEN_OVERFLOW,40,eth0,2,120
      reason_999,999,,1,10`,
  });
});

describe('net: hostile strings', () => {
  it('device and reason names with terminal escapes and newlines are printed escaped', () => {
    const dir = join(tmp('ktape-diff-'), 'cap');
    try {
      writeCapture(dir, {
        manifest,
        tables: {
          net_packets: [pkt(1000, QUEUE, A), pkt(1100, XMIT, A)],
          net_devices: [{ ts: 1, netns: 1000, ifindex: 2, name: 'e\x1b]0;x\x07\nth' }],
          net_drops: [{ ts: 1000, cpu: 0, tid: 0, tgid: 0, skb: A, netns: 1000, ifindex: 2, location: 0n, reason: 7, len: 1, protocol: 0 }],
          net_drop_reasons: [{ reason: 7, name: 'BAD\x1b[2J\rNAME' }],
        },
      });
      const r = ktape(['analyze', dir, 'net']);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/[\x07\x1b\r]/);
      expect(r.stdout).toContain('e\\x1b]0;x\\x07\\nth');
      expect(r.stdout).toContain('BAD\\x1b[2J\\rNAME');
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });

  it('a capture without the net family says so', () => {
    const dir = join(tmp('ktape-diff-'), 'cap');
    try {
      writeCapture(dir, { manifest: { ...manifest, options: { events: ['task', 'sched'] } }, tables: {} });
      const r = ktape(['analyze', dir, 'net', '--json']);
      expect(r.status, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).notes).toEqual(['this capture has no net events: record with --events net']);
    } finally {
      rmSync(join(dir, '..'), { recursive: true, force: true });
    }
  });
});
