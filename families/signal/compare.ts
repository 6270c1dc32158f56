/** signal's compare metrics: signals received, delivered and sent per group, SIGKILLs and OOM kills. */
import type { CompareDef } from '../family.js';
import { num, numOrNull } from '../values.js';

export const signalCompare: CompareDef = {
  metrics: {
    signals_received: { unit: 'count', kind: 'flow', doc: "signals generated for the group's threads" },
    signals_delivered: { unit: 'count', kind: 'flow', doc: 'of those, taken by a thread in the capture' },
    signals_sent: { unit: 'count', kind: 'flow', doc: "signals the group's threads generated" },
    sigkills_received: { unit: 'count', kind: 'flow', doc: "SIGKILLs generated for the group's threads" },
    signal_pending_p99_ns: { unit: 'ns', kind: 'dist', q: 0.99, doc: 'generated → delivered, 99th percentile' },
    oom_kills: { unit: 'count', kind: 'flow', doc: 'threads of the group chosen as OOM victims' },
  },
  help: ['signals_received  signals_delivered  signals_sent  sigkills_received  signal_pending_p99_ns  oom_kills'],
  async collect(x) {
    for (const r of await x.query('signals')) {
      const n = num(r.received);
      x.put(r.grp, 'signals_received', n, n);
      x.put(r.grp, 'signals_delivered', num(r.delivered), n);
      x.put(r.grp, 'sigkills_received', num(r.sigkill), num(r.sigkill));
      x.put(r.grp, 'signal_pending_p99_ns', numOrNull(r.latency_p99), num(r.delivered));
    }
    for (const r of await x.query('sent')) x.put(r.grp, 'signals_sent', num(r.sent), num(r.sent));
    for (const r of await x.query('oom')) x.put(r.grp, 'oom_kills', num(r.kills), num(r.kills));
  },
};
