/** io's compare metrics: block I/O bytes, requests and latency p99 per group of submitting threads and per device ('[block vda]'). */
import type { CompareDef } from '../family.js';
import { num, numOrNull } from '../values.js';

export const ioCompare: CompareDef = {
  metrics: {
    io_read_bytes: { unit: 'bytes', kind: 'flow', doc: 'bytes of block read requests the group submitted (a device: all of its reads)' },
    io_write_bytes: { unit: 'bytes', kind: 'flow', doc: 'bytes of block write requests' },
    io_ops: { unit: 'count', kind: 'flow', activity: true, doc: 'block requests (reads, writes, flushes, discards)' },
    io_latency_p99_ns: { unit: 'ns', kind: 'dist', q: 0.99, doc: 'block request start → completion, 99th percentile' },
    io_service_p99_ns: { unit: 'ns', kind: 'dist', q: 0.99, doc: 'block request issue → completion (device time), 99th percentile' },
  },
  help: ['io_read_bytes  io_write_bytes  io_ops  io_latency_p99_ns  io_service_p99_ns (per group, and per device as [block <dev>])'],
  async collect(x) {
    for (const name of ['process', 'device']) {
      for (const r of await x.query(name)) {
        const n = num(r.ops);
        x.put(r.grp, 'io_read_bytes', num(r.read_bytes), n);
        x.put(r.grp, 'io_write_bytes', num(r.write_bytes), n);
        x.put(r.grp, 'io_ops', n, n);
        x.put(r.grp, 'io_latency_p99_ns', numOrNull(r.latency_p99), num(r.completed));
        x.put(r.grp, 'io_service_p99_ns', numOrNull(r.service_p99), num(r.serviced));
      }
    }
  },
};
