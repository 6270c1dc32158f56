/** fault's compare metrics: minor and major page faults per group (flows: per second when normalized). */
import type { CompareDef } from '../family.js';
import { num } from '../values.js';

export const faultCompare: CompareDef = {
  metrics: {
    faults_minor: { unit: 'count', kind: 'flow', activity: true, doc: 'minor page faults of the group (per second when normalized)' },
    faults_major: { unit: 'count', kind: 'flow', doc: 'major page faults (they waited for I/O)' },
  },
  help: ['faults_minor  faults_major (page faults per group)'],
  async collect(x) {
    for (const r of await x.query('process')) {
      const n = num(r.faults);
      x.put(r.grp, 'faults_minor', num(r.minor), n);
      x.put(r.grp, 'faults_major', num(r.major), n);
    }
  },
};
