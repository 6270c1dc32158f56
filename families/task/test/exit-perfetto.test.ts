/**
 * The exit accounting in the Perfetto export, through the built CLI on the exit-acct fixture (fixtures/README.md),
 * decoded with Perfetto's own schema (../shared/perfetto, read at test time): every exit with accounting is an
 * "exit accounting" instant on its thread's track (a TrackDescriptor with that thread's pid and tid), its figures
 * as debug annotations, the same as the task_accounting view's; for the workload's children, the kernel's own
 * counts as their parent's wait4 rusage printed them (fixtures/exit-acct.workload.json).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { FIXTURES, fixtureWorkload, ktape, queryRows, tmp } from '../../../test/helpers.js';
import { decodeTrace, unknownFields } from '../../../test/e2e/export.helpers.js';

type Row = Record<string, any>;
const CAP = join(FIXTURES, 'exit-acct');

/** the instants' annotations by `tid@ts`, their thread from the track they are on */
function exitInstants(trace: any): Map<string, { thread: Row; args: Row }> {
  const threads = new Map<bigint, Row>();
  for (const p of trace.packet) if (p.data.case === 'trackDescriptor' && p.data.value.thread) threads.set(p.data.value.uuid, p.data.value.thread);
  const out = new Map<string, { thread: Row; args: Row }>();
  for (const p of trace.packet) {
    const e = p.data.case === 'trackEvent' ? p.data.value : null;
    if (e?.nameField.value !== 'exit accounting') continue;
    const thread = threads.get(e.trackUuid);
    expect(thread, 'the instant is on a thread track').toBeTruthy();
    const args = Object.fromEntries(
      e.debugAnnotations.map((a: any) => [a.nameField.value, typeof a.value.value === 'bigint' ? Number(a.value.value) : a.value.value]),
    );
    out.set(`${thread!.tid}@${p.timestamp}`, { thread: thread!, args });
  }
  return out;
}

describe('Perfetto export: exit accounting on the exit-acct fixture', () => {
  let trace: any;
  beforeAll(() => {
    const out = join(tmp(), 'exit.pftrace');
    const r = ktape(['export', CAP, '--perfetto', out]);
    expect(r.status, r.stderr).toBe(0);
    trace = decodeTrace(out);
  });

  it('every field is in Perfetto schema', () => {
    expect(unknownFields(trace)).toEqual([]);
  });

  it("every exit's accounting is on its thread's track, the figures those of task_accounting", () => {
    const want = queryRows(
      CAP,
      `SELECT tid, tgid, ts, prio, nice, policy_name AS policy, nvcsw, nivcsw, min_flt, maj_flt, utime_adj_ns AS utime_ns,
         stime_adj_ns AS stime_ns, runtime_ns, vm_bytes, maxrss_bytes FROM task_accounting ORDER BY ts, tid`,
    );
    const got = exitInstants(trace);
    expect(want.length).toBeGreaterThan(0);
    expect(got.size).toBe(want.length);
    for (const { tid, tgid, ts, ...acct } of want) {
      const g = got.get(`${tid}@${ts}`);
      expect(g, `exit of ${tid} at ${ts}`).toBeTruthy();
      expect(g!.thread).toMatchObject({ pid: tgid, tid: BigInt(tid) });
      const known = Object.fromEntries(Object.entries(acct).filter(([, v]) => v !== null));
      expect(g!.args).toEqual(known);
    }
  });

  it("the workload's children: nice, policy, faults and peak RSS as the kernel counted them (wait4)", () => {
    const wl = fixtureWorkload('exit-acct');
    const got = [...exitInstants(trace).values()];
    const policies = ['other', 'fifo', 'rr', 'batch'];
    for (const c of wl.children.filter((x: Row) => x.threads === 1)) {
      const [e] = got.filter((g) => g.thread.pid === c.pid && Number(g.thread.tid) === c.pid);
      expect(e, `child ${c.pid}`).toBeTruthy();
      expect(e.args).toMatchObject({ nice: c.nice, prio: 120 + c.nice, policy: policies[c.policy], min_flt: c.minflt, maj_flt: c.majflt });
      expect(e.args.maxrss_bytes).toBe(c.maxrss_kib * 1024);
      expect(e.args.utime_ns + e.args.stime_ns).toBe(e.args.runtime_ns);
    }
  });
});
