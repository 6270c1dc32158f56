/**
 * The signal family against the live kernel, through the built CLI. Ground truth is the workload's own
 * report (build/ktape-workload signals N): what it sent, what its handlers counted, what waitpid said.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ktape, privilegedSkipReason, tmp, WORKLOAD, analyzeOk, queryRows } from '../../../test/helpers.js';
import { decodeTrace } from '../../../test/e2e/export.helpers.js';

const skipOutsideCI = privilegedSkipReason();
const N = 25;
const SIGHUP = 1,
  SIGKILL = 9,
  SIGUSR1 = 10,
  SIGUSR2 = 12,
  SIGTERM = 15;

type Row = Record<string, any>;

describe.skipIf(skipOutsideCI)('signal family: recorded workload with known signals', () => {
  let dir: string;
  let wl: any;
  let report: any;
  const query = (sql: string): Row[] => queryRows(dir, sql);
  const pair = (target: number, sig: number) => report.pairs.find((p: Row) => p.sender_tgid === wl.pid && p.target_tgid === target && p.sig === sig);

  beforeAll(() => {
    dir = join(tmp(), 'cap');
    const r = ktape(['record', '-o', dir, '--json', '--events', 'signal,task', '--', WORKLOAD, 'signals', String(N)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    wl = lines.find((l) => l.mode === 'signals');
    expect(wl).toBeTruthy();
    report = JSON.parse(analyzeOk(dir, 'signals', '--json', '--top', '100'));
  });

  it('the workload saw what it expected (its own ground truth)', () => {
    expect(wl.usr1_sent).toBe(N);
    expect(wl.usr1_received).toBe(N);
    expect(wl.ignored_sig).toBe(SIGHUP);
    expect(wl.blocked_pending_before_unblock).toBe(1);
    expect(wl.blocked_received).toBe(1);
    expect(wl.never_pending_at_exit).toBe(1);
    expect(wl.kill_child_termsig).toBe(SIGKILL);
    expect(wl.term_child_termsig).toBe(SIGTERM);
    expect(wl.esrch_errno).toBe(3);
  });

  it('SIGUSR1 to itself: N generated, queued and delivered to its handler', () => {
    expect(pair(wl.pid, SIGUSR1)).toMatchObject({ signal: 'SIGUSR1', count: wl.usr1_sent, queued: wl.usr1_sent, delivered: wl.usr1_received, ignored: 0 });
    const d = report.deliveries.find((x: Row) => x.tid === wl.pid && x.sig === SIGUSR1);
    expect(d).toMatchObject({ tgid: wl.pid, disposition: 'handler', count: wl.usr1_received });
  });

  it('SIG_IGN: every SIGHUP generated with result ignored, none delivered', () => {
    expect(pair(wl.pid, SIGHUP)).toMatchObject({ count: wl.ignored_sent, ignored: wl.ignored_sent, delivered: 0, queued: 0 });
    expect(query(`SELECT count(*) AS n FROM signal_deliveries WHERE tgid = ${wl.pid} AND sig = ${SIGHUP}`)[0].n).toBe(0);
  });

  it('a thread that blocks SIGUSR2: pending, then already pending; one delivery when it unblocks', () => {
    const rows = query(`SELECT result_name, group_signal, delivered, deliver_tid, disposition, latency FROM signals
      WHERE target_tid = ${wl.blocked_tid} AND sig = ${SIGUSR2} ORDER BY ts`);
    expect(rows).toHaveLength(wl.blocked_sent);
    expect(rows[0]).toMatchObject({ result_name: 'delivered', group_signal: false, delivered: true, deliver_tid: wl.blocked_tid, disposition: 'handler' });
    expect(rows[0].latency).toBeGreaterThan(0);
    expect(rows[1]).toMatchObject({ result_name: 'already_pending', delivered: false });
    const d = report.deliveries.find((x: Row) => x.tid === wl.blocked_tid && x.sig === SIGUSR2);
    expect(d).toMatchObject({ count: wl.blocked_received, disposition: 'handler', comm: 'kt-sigblock' });
  });

  it('a child that exits with SIGUSR2 blocked and pending: queued, never delivered', () => {
    expect(pair(wl.never_pid, SIGUSR2)).toMatchObject({ count: wl.never_sent, queued: 1, delivered: 0 });
    expect(query(`SELECT count(*) AS n FROM signal_deliveries WHERE tgid = ${wl.never_pid} AND sig = ${SIGUSR2}`)[0].n).toBe(0);
  });

  it('SIGKILL to a child: delivered (default action), and the child died of it', () => {
    expect(pair(wl.kill_child, SIGKILL)).toMatchObject({ count: 1, queued: 1, delivered: 1 });
    const [s] = query(`SELECT delivered_sig, group_exit, disposition, deliver_tid FROM signals WHERE target_tgid = ${wl.kill_child} AND sig = ${SIGKILL}`);
    expect(s).toMatchObject({ delivered_sig: SIGKILL, group_exit: false, disposition: 'default', deliver_tid: wl.kill_child });
    expect(query(`SELECT exit_signal FROM threads WHERE tid = ${wl.kill_child}`)[0].exit_signal).toBe(wl.kill_child_termsig);
  });

  it('SIGTERM to a child without a handler: delivered as the SIGKILL of its group exit', () => {
    expect(pair(wl.term_child, SIGTERM)).toMatchObject({ count: 1, queued: 1, delivered: 1 });
    const [s] = query(`SELECT delivered_sig, group_exit, deliver_tid FROM signals WHERE target_tgid = ${wl.term_child} AND sig = ${SIGTERM}`);
    expect(s).toMatchObject({ delivered_sig: SIGKILL, group_exit: true, deliver_tid: wl.term_child });
    expect(query(`SELECT exit_signal FROM threads WHERE tid = ${wl.term_child}`)[0].exit_signal).toBe(wl.term_child_termsig);
  });

  it('kill() of a reaped child (ESRCH) generates nothing', () => {
    expect(query(`SELECT count(*) AS n FROM signals WHERE target_tgid = ${wl.esrch_pid} OR target_tid = ${wl.esrch_pid}`)[0].n).toBe(0);
    // the child itself existed: its SIGCHLD to the workload is there (ignored: SIG_DFL)
    expect(query(`SELECT result_name FROM signals WHERE sender_tid = ${wl.esrch_pid} AND sig = 17`)).toEqual([{ result_name: 'ignored' }]);
  });

  it('the raw tables hold every generated and delivered signal of the workload', () => {
    const [g] = query(
      `SELECT count(*) AS n FROM _signal_generate WHERE tgid = ${wl.pid} AND sig IN (${SIGUSR1}, ${SIGHUP}, ${SIGUSR2}, ${SIGKILL}, ${SIGTERM})`,
    );
    expect(g.n).toBe(wl.usr1_sent + wl.ignored_sent + wl.blocked_sent + wl.never_sent + 2);
    const [d] = query(`SELECT count(*) AS n FROM _signal_deliver WHERE tgid = ${wl.pid}`);
    expect(d.n).toBe(wl.usr1_received + wl.blocked_received);
    const [o] = query('SELECT count(*) AS n FROM oom_kills');
    expect(o.n).toBe(0);
  });

  it('the summary has a Signals section with the top pair', () => {
    const r = ktape(['analyze', dir, '--json']);
    expect(r.status).toBe(0);
    const top = JSON.parse(r.stdout).top_signals as Row[];
    expect(top[0]).toMatchObject({ sender_tgid: wl.pid, target_tgid: wl.pid, signal: 'SIGUSR1', count: N, delivered: N });
  });

  it('Perfetto: signal_generate and signal_deliver ftrace events (official schema)', () => {
    const out = join(tmp(), 'sig.pftrace');
    const r = ktape(['export', dir, '--perfetto', out]);
    expect(r.status).toBe(0);
    const gen: Row[] = [],
      del: Row[] = [];
    for (const p of decodeTrace(out).packet) {
      if (p.data.case !== 'ftraceEvents') continue;
      for (const e of p.data.value.event) {
        if (e.event.case === 'signalGenerate') gen.push({ cur: e.pid, ...e.event.value });
        if (e.event.case === 'signalDeliver') del.push({ cur: e.pid, ...e.event.value });
      }
    }
    expect(gen.filter((g) => g.cur === wl.pid && g.pid === wl.pid && g.sig === SIGUSR1 && g.result === 0)).toHaveLength(N);
    expect(gen.filter((g) => g.pid === wl.pid && g.sig === SIGHUP && g.result === 1)).toHaveLength(wl.ignored_sent);
    expect(gen.filter((g) => g.pid === wl.blocked_tid && g.sig === SIGUSR2).map((g) => g.result)).toEqual([0, 2]);
    expect(gen.filter((g) => g.pid === wl.kill_child && g.sig === SIGKILL && g.group === 1)).toHaveLength(1);
    expect(gen.filter((g) => g.pid === wl.esrch_pid)).toHaveLength(0);
    expect(del.filter((d) => d.cur === wl.pid && d.sig === SIGUSR1)).toHaveLength(N);
    expect(del.filter((d) => d.cur === wl.blocked_tid && d.sig === SIGUSR2)).toHaveLength(1);
    expect(del.filter((d) => d.cur === wl.kill_child && d.sig === SIGKILL)).toHaveLength(1);
  });

  it("Chrome: instants on the target's and the receiver's lanes", () => {
    const out = join(tmp(), 'sig.json');
    const r = ktape(['export', dir, '--chrome', out]);
    expect(r.status).toBe(0);
    const evs = (JSON.parse(readFileSync(out, 'utf8')).traceEvents as Row[]).filter((e) => e.cat === 'signal');
    expect(evs.every((e) => e.ph === 'i')).toBe(true);
    expect(evs.filter((e) => e.name === 'SIGUSR1 delivered' && e.tid === wl.pid && e.pid === wl.pid)).toHaveLength(N);
    expect(evs.filter((e) => e.name === 'SIGUSR1 sent' && e.tid === wl.pid && e.args.result === 'delivered')).toHaveLength(N);
    expect(evs.filter((e) => e.name === 'SIGUSR2 sent' && e.tid === wl.blocked_tid && e.pid === wl.pid).map((e) => e.args.result)).toEqual([
      'delivered',
      'already_pending',
    ]);
    expect(evs.filter((e) => e.name === 'SIGUSR2 delivered' && e.tid === wl.blocked_tid)).toHaveLength(1);
    expect(evs.filter((e) => e.name === 'SIGKILL sent' && e.tid === wl.kill_child && e.args.from_pid === wl.pid)).toHaveLength(1);
    expect(evs.filter((e) => e.name === 'SIGHUP sent' && e.args.result === 'ignored' && e.tid === wl.pid)).toHaveLength(wl.ignored_sent);
  });
});
