/**
 * Diff tests: pairing generated signals with their deliveries (families/signal/sql/signals.sql), and OOM kills.
 *
 * Process 100 (threads 100, 101) sends; process 200 (threads 200, 201) receives. Capture [0, 100000].
 */
import { describe } from 'vitest';
import { diffTest } from '../../../test/diff/harness.js';

const gen = (ts: number, target_tid: number, target_tgid: number, sig: number, result: number, group_signal: number, tid = 100, tgid = 100) => ({
  ts,
  cpu: 0,
  tid,
  tgid,
  comm: `p${tgid}`,
  target_tid,
  target_tgid,
  target_comm: `p${target_tgid}`,
  sig,
  si_code: group_signal ? 0 : -6,
  si_errno: 0,
  result,
  group_signal,
});
const del = (ts: number, tid: number, tgid: number, sig: number, sa_handler: bigint = 0x401000n) => ({
  ts,
  cpu: 1,
  tid,
  tgid,
  comm: `p${tgid}`,
  sig,
  si_code: 0,
  si_errno: 0,
  sa_handler,
  sa_flags: 0n,
});
const exit = (ts: number, tid: number, tgid: number, exit_code: number, group_dead = 0) => ({ ts, cpu: 1, tid, tgid, exit_code, group_dead, comm: `p${tgid}` });

const manifest = { start_ts: 0, end_ts: 100_000 };
const SIGHUP = 1,
  SIGKILL = 9,
  SIGUSR1 = 10,
  SIGUSR2 = 12,
  SIGTERM = 15;

describe('signal pairing', () => {
  diffTest('a thread that blocks a signal: the first is queued and delivered when unblocked, the second already pending', {
    manifest,
    tables: {
      signal_generate: [gen(1000, 201, 200, SIGUSR2, 0, 0), gen(2000, 201, 200, SIGUSR2, 2, 0)],
      signal_deliver: [del(9000, 201, 200, SIGUSR2)],
    },
    query: 'SELECT ts, target_tid, signal, result_name, queued, delivered, deliver_ts, deliver_tid, disposition, latency FROM signals ORDER BY ts',
    csv: `
      ts,target_tid,signal,result_name,queued,delivered,deliver_ts,deliver_tid,disposition,latency
      1000,201,SIGUSR2,delivered,true,true,9000,201,handler,8000
      2000,201,SIGUSR2,already_pending,false,false,,,,`,
  });

  diffTest('a group signal is taken by any thread of the process; a thread signal only by its thread', {
    manifest,
    tables: {
      signal_generate: [gen(1000, 200, 200, SIGUSR1, 0, 1), gen(3000, 200, 200, SIGUSR2, 0, 0)],
      // SIGUSR1 taken by thread 201; a SIGUSR2 in thread 201 is not the one sent to thread 200
      signal_deliver: [del(1500, 201, 200, SIGUSR1), del(3500, 201, 200, SIGUSR2)],
    },
    query: `SELECT s.signal, s.delivered, s.deliver_tid FROM signals s ORDER BY s.ts`,
    csv: `
      signal,delivered,deliver_tid
      SIGUSR1,true,201
      SIGUSR2,false,`,
  });

  diffTest('a fatal default action: delivered as the SIGKILL of the group exit, in the thread that took it first', {
    manifest,
    tables: {
      signal_generate: [gen(1000, 200, 200, SIGTERM, 0, 1)],
      signal_deliver: [del(1200, 201, 200, SIGKILL, 0n), del(1300, 200, 200, SIGKILL, 0n)],
      task_exit: [exit(1250, 201, 200, SIGTERM), exit(1400, 200, 200, SIGTERM, 1)],
    },
    query: 'SELECT signal, delivered, deliver_ts, deliver_tid, delivered_sig, group_exit, disposition FROM signals',
    csv: `
      signal,delivered,deliver_ts,deliver_tid,delivered_sig,group_exit,disposition
      SIGTERM,true,1200,201,9,true,default`,
  });

  diffTest('a signal still blocked when the process exits (exit_group zaps the thread with SIGKILL): not delivered', {
    manifest,
    tables: {
      signal_generate: [gen(1000, 201, 200, SIGUSR2, 0, 0)],
      signal_deliver: [del(5000, 201, 200, SIGKILL, 0n)],
      task_exit: [exit(5100, 201, 200, 0), exit(5200, 200, 200, 0, 1)],
    },
    query: `SELECT 'signals' AS v, signal AS what, delivered::VARCHAR AS x FROM signals
            UNION ALL SELECT 'deliveries', signal, group_exit::VARCHAR FROM signal_deliveries`,
    csv: `
      v,what,x
      signals,SIGUSR2,false
      deliveries,SIGKILL,true`,
  });

  diffTest('signals report: who signalled whom, by result', {
    manifest,
    tables: {
      signal_generate: [
        gen(1000, 200, 200, SIGUSR1, 0, 1),
        gen(2000, 200, 200, SIGUSR1, 2, 1),
        gen(3000, 200, 200, SIGHUP, 1, 1),
        gen(4000, 100, 100, 17, 1, 1, 200, 200),
      ],
      signal_deliver: [del(1100, 200, 200, SIGUSR1)],
    },
    analyze: ['signals'],
    section: 'pairs',
    columns: ['sender_tgid', 'target_tgid', 'signal', 'count', 'delivered', 'queued', 'ignored', 'already_pending'],
    csv: `
      sender_tgid,target_tgid,signal,count,delivered,queued,ignored,already_pending
      100,200,SIGUSR1,2,1,1,0,1
      100,200,SIGHUP,1,0,0,1,0
      200,100,SIGCHLD,1,0,0,1,0`,
  });

  diffTest("oom_kills: memory in bytes from pages, the OOM killer's SIGKILL and the exit", {
    manifest,
    tables: {
      oom_victim: [
        {
          ts: 5000,
          cpu: 0,
          tid: 200,
          tgid: 200,
          comm: 'hog',
          uid: 1000,
          killer_tid: 300,
          killer_tgid: 300,
          total_vm_pages: 1000n,
          anon_rss_pages: 900n,
          file_rss_pages: 10n,
          shmem_rss_pages: 0n,
          pgtables_bytes: 8192n,
          oom_score_adj: -100,
        },
      ],
      signal_generate: [gen(4990, 200, 200, SIGKILL, 0, 1, 300, 300)],
      signal_deliver: [del(5500, 200, 200, SIGKILL, 0n)],
      task_exit: [exit(6000, 200, 200, SIGKILL, 1)],
    },
    query: 'SELECT ts, tid, comm, killer_tid, total_vm_bytes, anon_rss_bytes, file_rss_bytes, pgtables_bytes, oom_score_adj, kill_ts, exit_ts FROM oom_kills',
    csv: `
      ts,tid,comm,killer_tid,total_vm_bytes,anon_rss_bytes,file_rss_bytes,pgtables_bytes,oom_score_adj,kill_ts,exit_ts
      5000,200,hog,300,4096000,3686400,40960,8192,-100,4990,6000`,
  });
});
