/**
 * ktape export, end to end through the built CLI, on the committed fixtures.
 * Perfetto output is decoded with Perfetto's official schema (../shared).
 */
import { cpSync, existsSync, readFileSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, fixtureWorkload, ktape, tmp } from '../helpers.js';
import { cpuTimeFromChrome, cpuTimeFromPerfetto, decodeTrace, has, switchesByCpu, traceWindow, unknownFields } from './export.helpers.js';

// format 1.0 (demo, leak, cmp-*) and 1.2 (waits, tiny: kernel gaps with losses.resume_ts)
const FIXTURE_NAMES = ['demo', 'leak', 'cmp-base', 'cmp-new', 'waits', 'tiny'];
const out = tmp('ktape-export-');

function exportOk(args: string[]): string {
  const r = ktape(['export', ...args, '-q']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

const traces = new Map<string, any>();
const jsons = new Map<string, any>();
beforeAll(() => {
  for (const f of FIXTURE_NAMES) {
    const p = join(out, `${f}.pftrace`),
      j = join(out, `${f}.json`);
    exportOk([join(FIXTURES, f), '--perfetto', p, '--chrome', j]);
    traces.set(f, decodeTrace(p));
    jsons.set(f, JSON.parse(readFileSync(j, 'utf8')));
  }
  const p = join(out, 'demo-plain.pftrace');
  exportOk([join(FIXTURES, 'demo'), '--perfetto', p, '--no-compact']);
  traces.set('demo-plain', decodeTrace(p));
});

/** schema assertions shared by every exported .pftrace */
function checkPerfetto(name: string, trace: any) {
  expect(unknownFields(trace), `${name}: fields the official schema does not know`).toEqual([]);
  const kinds = trace.packet.map((p: any) => p.data.case);
  expect(
    kinds.filter((k: string) => k === 'systemInfo'),
    `${name}: SystemInfo count`,
  ).toHaveLength(1);
  const si = trace.packet.find((p: any) => p.data.case === 'systemInfo').data.value;
  expect(si.utsname.sysname).toBe('Linux');
  expect(si.utsname.release).toMatch(/^\d+\.\d+/);
  expect(si.utsname.machine).toBe('x86_64');
  const clocks = trace.packet.filter((p: any) => p.data.case === 'clockSnapshot');
  expect(clocks.length).toBeGreaterThan(0);
  for (const c of clocks) expect(c.data.value.clocks.map((x: any) => x.clockId).sort()).toEqual([1, 3, 6]);

  const declared = new Set<number>();
  const undeclared: string[] = [];
  const need = (tid: number, what: string) => {
    if (tid > 0 && !declared.has(tid)) undeclared.push(`${what} ${tid}`);
  };
  let events = 0;
  for (const p of trace.packet) {
    if (p.data.case === 'processTree') {
      for (const t of p.data.value.threads) declared.add(t.tid);
      for (const pr of p.data.value.processes) declared.add(pr.pid);
      continue;
    }
    if (p.data.case !== 'ftraceEvents') continue;
    const b = p.data.value;
    let last = -1;
    for (const e of b.event) {
      events++;
      expect(has(e, 'FtraceEvent', 'timestamp') && has(e, 'FtraceEvent', 'pid'), `${name}: FtraceEvent without pid/timestamp`).toBe(true);
      expect(e.event.case, `${name}: empty FtraceEvent`).toBeDefined();
      const ts = Number(e.timestamp);
      expect(ts, `${name}: cpu ${b.cpu} bundle not sorted`).toBeGreaterThanOrEqual(last);
      last = ts;
      need(e.pid, `${e.event.case}.pid`);
      const v = e.event.value;
      switch (e.event.case) {
        case 'schedSwitch':
          need(v.prevPid, 'prev');
          need(v.nextPid, 'next');
          break;
        case 'schedWaking':
        case 'schedWakeupNew':
        case 'taskNewtask':
        case 'taskRename':
          need(v.pid, e.event.case);
          break;
        default:
          break;
      }
    }
    const cs = b.compactSched;
    if (cs) {
      for (const [tsField, n] of [
        ['switchTimestamp', cs.switchNextPid.length],
        ['wakingTimestamp', cs.wakingPid.length],
      ] as const) {
        expect(cs[tsField]).toHaveLength(n);
        let t = 0,
          prev = -1;
        for (const d of cs[tsField]) {
          t += Number(d);
          expect(t, `${name}: compact ${tsField} not sorted`).toBeGreaterThanOrEqual(prev);
          prev = t;
          events++;
        }
      }
      for (const t of cs.switchNextPid) need(t, 'compact next');
      for (const t of cs.wakingPid) need(t, 'compact waking');
      for (const k of [...cs.switchNextCommIndex, ...cs.wakingCommIndex]) expect(k).toBeLessThan(cs.internTable.length);
    }
  }
  expect(undeclared, `${name}: tids referenced before any ProcessTree declared them`).toEqual([]);
  return events;
}

describe('export --perfetto: decodes with the official schema', () => {
  for (const f of [...FIXTURE_NAMES, 'demo-plain']) {
    it(`${f}: no unknown fields, one SystemInfo, pid+timestamp everywhere, sorted bundles, process tree first`, () => {
      const events = checkPerfetto(f, traces.get(f));
      expect(events).toBeGreaterThan(f === 'tiny' ? 10 : 100);
    });
  }

  it('every event of the capture is exported (demo)', async () => {
    const m = JSON.parse(readFileSync(join(FIXTURES, 'demo', 'manifest.json'), 'utf8'));
    const counts: Record<string, number> = {};
    const bump = (k: string, n = 1) => (counts[k] = (counts[k] ?? 0) + n);
    for (const p of traces.get('demo').packet) {
      if (p.data.case !== 'ftraceEvents') continue;
      for (const e of p.data.value.event) bump(e.event.case);
      const cs = p.data.value.compactSched;
      if (cs) {
        bump('schedSwitch', cs.switchNextPid.length);
        bump('schedWaking', cs.wakingPid.length);
      }
    }
    const t = m.tables;
    // one switch per sched_slices row (the recorded ones, the inferred ones, the one running at the start) and
    // one per CPU at the end of the window
    const [{ n }] = await viewRows(join(FIXTURES, 'demo'), 'SELECT (SELECT count(*) FROM sched_slices) + (SELECT count(DISTINCT cpu) FROM sched_slices) AS n');
    expect(counts.schedSwitch).toBe(n);
    expect(n).toBeGreaterThanOrEqual(t.sched_switch.rows);
    expect(counts.schedWaking + counts.schedWakeupNew).toBe(t.sched_waking.rows);
    expect(counts.sysEnter).toBe(t.syscall_enter.rows);
    expect(counts.sysExit).toBe(t.syscall_exit.rows);
    expect(counts.kmalloc + counts.kmemCacheAlloc).toBe(t.kmem_alloc.rows);
    expect(counts.kfree + counts.kmemCacheFree).toBe(t.kmem_free.rows);
    expect(counts.taskNewtask).toBe(t.task_newtask.rows);
    expect(counts.schedProcessExec).toBe(t.task_exec.rows);
    expect(counts.schedProcessExit).toBe(t.task_exit.rows);
    expect(counts.schedProcessFree).toBe(t.task_free.rows);
    expect(counts.taskRename).toBeGreaterThanOrEqual(t.task_rename.rows);
  });

  it('--no-compact writes plain sched_switch/sched_waking and the same switches', () => {
    const plain = traces.get('demo-plain'),
      compact = traces.get('demo');
    for (const p of plain.packet) if (p.data.case === 'ftraceEvents') expect(p.data.value.compactSched).toBeUndefined();
    const a = switchesByCpu(plain),
      b = switchesByCpu(compact);
    for (const [cpu, sw] of a) expect(sw.map((s) => [s.ts, s.next])).toEqual(b.get(cpu)!.map((s) => [s.ts, s.next]));
  });

  it('the exec of the demo children renames them (task_rename), the workload threads are named', () => {
    const names = new Set<string>();
    for (const p of traces.get('demo').packet) {
      if (p.data.case === 'ftraceEvents') for (const e of p.data.value.event) if (e.event.case === 'taskRename') names.add(e.event.value.newcomm);
      if (p.data.case === 'processTree') for (const t of p.data.value.threads) if (t.name) names.add(t.name);
    }
    for (const w of fixtureWorkload('demo').workers) expect(names).toContain(w.comm);
    expect(names).toContain('ktape-workload');
  });

  it('leak stacks: outstanding allocations as TrackEvents with interned kernel callstacks (leak)', () => {
    const t = traces.get('leak');
    const interned = { fn: new Map<string, string>(), frames: new Map<string, any>(), stacks: new Map<string, any>() };
    const leakTrack = t.packet.find(
      (p: any) => p.data.case === 'trackDescriptor' && p.data.value.staticOrDynamicName.value === 'ktape: kmem outstanding at end',
    );
    expect(leakTrack).toBeDefined();
    const uuid = leakTrack.data.value.uuid;
    let leaks = 0,
      cleared = false;
    const stackNames: string[][] = [];
    for (const p of t.packet) {
      if (p.optionalTrustedPacketSequenceId?.value === 2 && p.sequenceFlags === 1) cleared = true;
      const d = p.internedData;
      if (d) {
        for (const s of d.functionNames) interned.fn.set(String(s.iid), new TextDecoder().decode(s.str));
        for (const f of d.frames) interned.frames.set(String(f.iid), f);
        for (const c of d.callstacks) interned.stacks.set(String(c.iid), c);
      }
      if (p.data.case === 'trackEvent' && p.data.value.trackUuid === uuid) {
        expect(cleared, 'interned data used before SEQ_INCREMENTAL_STATE_CLEARED').toBe(true);
        leaks++;
        const ev = p.data.value;
        expect(ev.callstackField.case).toBe('callstackIid');
        const cs = interned.stacks.get(String(ev.callstackField.value));
        expect(cs, 'callstack iid not interned').toBeDefined();
        stackNames.push(cs.frameIds.map((id: bigint) => interned.fn.get(String(interned.frames.get(String(id)).functionNameId))));
      }
    }
    // 300 pipes held open past the end → at least 300 outstanding allocations
    expect(leaks).toBeGreaterThanOrEqual(300);
    // symbolized through kallsyms; the pipe allocation path is visible
    expect(stackNames.flat().some((n) => /pipe/.test(n))).toBe(true);
    expect(stackNames.flat().filter((n) => n.startsWith('0x')).length).toBeLessThan(stackNames.flat().length / 10);
  });

  it('losses: FtraceStats END_OF_TRACE and a loss track with one slice per window (leak)', async () => {
    const t = traces.get('leak');
    const stats = t.packet.filter((p: any) => p.data.case === 'ftraceStats');
    expect(stats).toHaveLength(1);
    expect(stats[0].data.value.phase).toBe(2);
    const { readTable } = await import(join(ROOT, 'dist/formats/reader.js'));
    let losses = 0;
    for (const b of readTable(join(FIXTURES, 'leak'), 'losses').batches)
      for (let i = 0; i < b.numRows; i++) if (b.get(i).cpu !== 65535) losses += Number(b.get(i).count);
    expect(losses, 'the leak fixture has kernel_gap losses').toBeGreaterThan(0);
    const dropped = stats[0].data.value.cpuStats.reduce((s: number, c: any) => s + Number(c.droppedEvents), 0);
    expect(dropped).toBe(losses);
    const track = t.packet.find((p: any) => p.data.case === 'trackDescriptor' && p.data.value.staticOrDynamicName.value === 'ktape: lost events');
    if (losses > 0) {
      expect(track).toBeDefined();
      const begins = t.packet.filter((p: any) => p.data.case === 'trackEvent' && p.data.value.trackUuid === track.data.value.uuid && p.data.value.type !== 2);
      expect(begins.length).toBeGreaterThan(0);
      expect(t.packet.some((p: any) => p.data.case === 'ftraceEvents' && p.data.value.lostEvents)).toBe(true);
    }
  });
});

/** rows of a query on a fixture through the built analyzer (openCapture) */
async function viewRows(dir: string, sql: string): Promise<any[]> {
  const { openCapture } = await import(join(ROOT, 'dist/analyze/db.js'));
  const c = await openCapture(dir, { onWarning: () => {} });
  try {
    return await c.query(sql);
  } finally {
    c.close();
  }
}

const tally = (xs: [string, number][]) => {
  const o: Record<string, number> = {};
  for (const [k, v] of xs) o[k] = (o[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(o).sort());
};

describe('the exports hold what the views say, on every fixture', () => {
  for (const f of FIXTURE_NAMES) {
    it(`${f}: thread states at switch-out (Perfetto prev_state, Chrome end_state) = sched_slices / thread_state`, async () => {
      const dir = join(FIXTURES, f);
      const want = await viewRows(
        dir,
        `SELECT coalesce(end_state, '') AS s, count(*)::INTEGER AS n FROM sched_slices WHERE tid <> 0 AND end_state IS NOT NULL GROUP BY 1`,
      );
      const chrome = jsons
        .get(f)
        .traceEvents.filter((e: any) => e.ph === 'X' && e.cat === 'sched' && e.args.end_state)
        .map((e: any) => [e.args.end_state, 1]);
      expect(tally(chrome)).toEqual(tally(want.map((r) => [r.s, r.n])));
      // every state a thread left a CPU in is one of thread_state's rows of that state
      const ts = await viewRows(dir, `SELECT state AS s, count(*)::INTEGER AS n FROM thread_state WHERE state NOT IN ('Running', 'R') GROUP BY 1`);
      const tsN = new Map(ts.map((r) => [r.s, r.n]));
      for (const r of want) if (r.s !== 'R') expect(tsN.get(r.s), `${f}: state ${r.s}`).toBeGreaterThanOrEqual(r.n);
      const raw = await viewRows(
        dir,
        `SELECT end_state_raw::INTEGER AS s, count(*)::INTEGER AS n FROM sched_slices WHERE end_state_raw IS NOT NULL AND NOT (tid = 0 AND end_state_raw = 0) GROUP BY 1`,
      );
      const got: [string, number][] = [];
      for (const p of traces.get(f).packet) {
        if (p.data.case !== 'ftraceEvents') continue;
        for (const e of p.data.value.event)
          if (e.event.case === 'schedSwitch')
            got.push([String(Number(e.event.value.prevState)), e.event.value.prevPid === 0 && Number(e.event.value.prevState) === 0 ? 0 : 1]);
        const cs = p.data.value.compactSched;
        if (cs) for (const st of cs.switchPrevState) got.push([String(Number(st)), 1]);
      }
      const g = tally(got.filter(([, v]) => v)),
        w = tally(raw.map((r) => [String(r.s), r.n]));
      // prev_state 0 also stands for the switches at the window edges and after unreported switches
      for (const [k, v] of Object.entries(w)) if (k !== '0') expect(g[k], `${f}: prev_state ${k}`).toBe(v);
    });

    it(`${f}: syscall counts and durations (Chrome) and entries/exits (Perfetto) = the syscalls view`, async () => {
      const dir = join(FIXTURES, f);
      const want = await viewRows(
        dir,
        `SELECT name, count(*)::INTEGER AS n, sum(dur)::BIGINT AS ns, count(ts)::INTEGER AS enters, count(end_ts)::INTEGER AS exits FROM syscalls GROUP BY name`,
      );
      const byName = new Map<string, { n: number; ns: number }>();
      for (const e of jsons.get(f).traceEvents) {
        if (e.ph !== 'X' || e.cat !== 'syscall') continue;
        const x = byName.get(e.name) ?? { n: 0, ns: 0 };
        x.n++;
        if (!e.args.clipped) x.ns += Math.round(e.dur * 1000);
        byName.set(e.name, x);
      }
      for (const r of want) {
        expect(byName.get(r.name)?.n, `${f}: ${r.name}`).toBe(r.n);
        if (r.ns !== null) expect(Math.abs(byName.get(r.name)!.ns - Number(r.ns)), `${f}: ${r.name} ns`).toBeLessThanOrEqual(r.n);
      }
      expect(byName.size).toBe(want.length);
      let enters = 0,
        exits = 0;
      for (const p of traces.get(f).packet)
        if (p.data.case === 'ftraceEvents')
          for (const e of p.data.value.event) {
            if (e.event.case === 'sysEnter') enters++;
            if (e.event.case === 'sysExit') exits++;
          }
      expect(enters).toBe(want.reduce((a, r) => a + r.enters, 0));
      expect(exits).toBe(want.reduce((a, r) => a + r.exits, 0));
    });

    it(`${f}: outstanding allocations (Perfetto track, Chrome instants) = the allocations view`, async () => {
      const [{ n }] = await viewRows(join(FIXTURES, f), 'SELECT count(*)::INTEGER AS n FROM allocations WHERE outstanding');
      const t = traces.get(f);
      const track = t.packet.find((p: any) => p.data.case === 'trackDescriptor' && p.data.value.staticOrDynamicName.value === 'ktape: kmem outstanding at end');
      const perfetto = track ? t.packet.filter((p: any) => p.data.case === 'trackEvent' && p.data.value.trackUuid === track.data.value.uuid).length : 0;
      expect(perfetto).toBe(n);
      expect(jsons.get(f).traceEvents.filter((e: any) => e.cat === 'kmem').length).toBe(n);
    });

    it(`${f}: the Perfetto trace spans the capture window (start_ts to the analyzer's end_ts)`, async () => {
      const [{ s, e }] = await viewRows(join(FIXTURES, f), 'SELECT start_ts AS s, end_ts AS e FROM capture');
      let lo = Infinity,
        hi = -Infinity;
      for (const p of traces.get(f).packet) {
        const ts = p.timestamp !== undefined ? Number(p.timestamp) : NaN;
        if (p.data.case === 'trackEvent' && !Number.isNaN(ts)) {
          lo = Math.min(lo, ts);
          hi = Math.max(hi, ts);
        }
      }
      expect([lo, hi]).toEqual([s, e]);
      for (const sw of switchesByCpu(traces.get(f)).values()) expect(sw.at(-1)!.ts).toBe(e);
    });
  }
});

describe('round trip: CPU time per thread', () => {
  let analyzer: ((dir: string) => Promise<Map<number, number>>) | null = null;
  beforeAll(async () => {
    const db = join(ROOT, 'dist/analyze/db.js');
    if (!existsSync(db)) return;
    const { openCapture } = await import(db);
    analyzer = async (dir: string) => {
      const c = await openCapture(dir, { onWarning: () => {} });
      try {
        const rows = await c.query('SELECT tid, sum(dur)::BIGINT AS ns FROM sched_slices GROUP BY tid');
        return new Map(rows.map((r: any) => [Number(r.tid), Number(r.ns)]));
      } finally {
        c.close();
      }
    };
  });

  for (const f of FIXTURE_NAMES) {
    it(`${f}: Perfetto identical to the ns, Chrome JSON within µs rounding, vs the analyzer's sched_slices`, async () => {
      expect(analyzer, 'dist/analyze/db.js (openCapture) missing: build first').not.toBeNull();
      const want = await analyzer!(join(FIXTURES, f));
      // the switch to idle that closes each CPU at the window end gives idle a 0 ns slice
      const fromPerfetto = new Map([...cpuTimeFromPerfetto(traces.get(f))].filter(([tid, ns]) => ns > 0 || want.has(tid)));
      expect(Object.fromEntries(fromPerfetto)).toEqual(Object.fromEntries(want));
      const { ns, slices } = cpuTimeFromChrome(jsons.get(f));
      const wantBusy = new Map([...want].filter(([tid]) => tid !== 0));
      expect([...ns.keys()].sort((a, b) => a - b)).toEqual([...wantBusy.keys()].sort((a, b) => a - b));
      for (const [tid, v] of wantBusy) expect(Math.abs(ns.get(tid)! - v), `tid ${tid}`).toBeLessThanOrEqual(slices.get(tid)! * 1000);
    });
  }

  it('the demo workers ran about as long as the workload itself measured', () => {
    const t = cpuTimeFromPerfetto(traces.get('demo'));
    for (const w of fixtureWorkload('demo').workers) {
      const got = t.get(w.tid)!;
      expect(Math.abs(got - w.cpu_ns) / w.cpu_ns).toBeLessThan(0.1);
    }
  });
});

describe('export --chrome', () => {
  it('Trace Event Format: metadata, X running intervals with cpu, CPU lanes on synthetic pids, syscalls, counters, instants', () => {
    const j = jsons.get('demo');
    const ev: any[] = j.traceEvents;
    const meta = ev.filter((e) => e.ph === 'M');
    for (const n of ['process_name', 'thread_name', 'process_sort_index', 'thread_sort_index'])
      expect(
        meta.some((e) => e.name === n),
        n,
      ).toBe(true);
    const running = ev.filter((e) => e.ph === 'X' && e.cat === 'sched');
    expect(running.length).toBeGreaterThan(100);
    for (const e of running) {
      expect(typeof e.args.cpu).toBe('number');
      expect(e.pid).toBeLessThan(1 << 22);
    }
    const cpuLanes = ev.filter((e) => e.ph === 'X' && e.cat === 'cpu');
    expect(new Set(cpuLanes.map((e) => e.pid))).toEqual(new Set([1 << 22, (1 << 22) + 1]));
    const names = new Map(meta.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args.name]));
    expect(names.get(1 << 22)).toBe('CPU 0');
    const realPids = new Set(running.map((e) => e.pid));
    for (const p of realPids) expect(p).toBeLessThan(1 << 22);
    const sys = ev.filter((e) => e.ph === 'X' && e.cat === 'syscall');
    const w = fixtureWorkload('demo');
    expect(sys.filter((e) => e.name === 'getppid' && e.tid === (1 << 22) + w.syscall_tid).length).toBe(w.syscalls);
    expect(ev.some((e) => e.ph === 'C' && e.name === 'utilization')).toBe(true);
    for (const c of ev.filter((e) => e.ph === 'C')) expect(c.args['busy %']).toBeLessThanOrEqual(100);
    const inst = ev.filter((e) => e.ph === 'i').map((e) => e.name.split(' ')[0]);
    for (const k of ['fork', 'exec', 'exit']) expect(inst).toContain(k);
  });

  it('the file is streamed JSON that parses, one event per line', () => {
    const text = readFileSync(join(out, 'demo.json'), 'utf8');
    const lines = text.split('\n');
    expect(lines.length).toBe(jsons.get('demo').traceEvents.length + 3);
  });
});

describe('export filters', () => {
  it('--pid keeps the workload process only (syscalls, kmem, task events)', () => {
    const w = fixtureWorkload('demo');
    const p = join(out, 'demo-pid.pftrace');
    exportOk([join(FIXTURES, 'demo'), '--perfetto', p, '--pid', String(w.pid)]);
    const t = decodeTrace(p);
    checkPerfetto('demo --pid', t);
    const threads = new Map<number, number>();
    for (const pk of t.packet) if (pk.data.case === 'processTree') for (const th of pk.data.value.threads) threads.set(th.tid, th.tgid);
    let sys = 0;
    for (const pk of t.packet) {
      if (pk.data.case !== 'ftraceEvents') continue;
      for (const e of pk.data.value.event) {
        if (e.event.case === 'sysEnter' || e.event.case === 'kmalloc' || e.event.case === 'kmemCacheAlloc') {
          sys++;
          expect(threads.get(e.pid)).toBe(w.pid);
        }
      }
    }
    expect(sys).toBeGreaterThanOrEqual(w.syscalls);
  });

  it('--comm keeps the processes that had a thread with that comm (Chrome)', () => {
    const w = fixtureWorkload('demo');
    const j = join(out, 'demo-comm.json');
    exportOk([join(FIXTURES, 'demo'), '--chrome', j, '--comm', w.workers[0].comm]);
    const ev = JSON.parse(readFileSync(j, 'utf8')).traceEvents;
    const pids = new Set(ev.filter((e: any) => e.ph === 'X' && (e.cat === 'sched' || e.cat === 'syscall')).map((e: any) => e.pid));
    expect([...pids]).toEqual([w.pid]);
    expect(ev.filter((e: any) => e.cat === 'syscall' && e.name === 'getppid')).toHaveLength(w.syscalls);
  });

  it('--since/--until keep events inside the window; --events sched keeps sched only', () => {
    const p = join(out, 'demo-win.pftrace');
    exportOk([join(FIXTURES, 'demo'), '--perfetto', p, '--since', '50ms', '--until', '0.1s', '--events', 'sched']);
    const t = decodeTrace(p);
    checkPerfetto('demo window', t);
    const m = JSON.parse(readFileSync(join(FIXTURES, 'demo', 'manifest.json'), 'utf8'));
    const lo = m.start_ts + 50e6,
      hi = m.start_ts + 100e6;
    let n = 0;
    for (const sw of switchesByCpu(t).values())
      for (const s of sw) {
        n++;
        expect(s.ts).toBeGreaterThanOrEqual(lo);
        expect(s.ts).toBeLessThanOrEqual(hi);
      }
    expect(n).toBeGreaterThan(10);
    for (const pk of t.packet)
      if (pk.data.case === 'ftraceEvents')
        for (const e of pk.data.value.event) expect(['schedSwitch', 'schedWaking', 'schedWakeupNew']).toContain(e.event.case);
    const j = join(out, 'demo-win.json');
    exportOk([join(FIXTURES, 'demo'), '--chrome', j, '--since', '50ms', '--until', '0.1s']);
    for (const e of JSON.parse(readFileSync(j, 'utf8')).traceEvents)
      if (e.ph === 'X' && e.cat === 'sched') {
        expect(e.ts * 1000).toBeGreaterThanOrEqual(lo - 1);
        expect((e.ts + e.dur) * 1000).toBeLessThanOrEqual(hi + 1);
      }
    expect(traceWindow(traces.get('demo')).start).toBe(m.start_ts);
  });
});

describe('export: bad inputs give one line and a non-zero exit', () => {
  const cases: [string, string[], number, RegExp][] = [
    ['missing capture', ['/nonexistent/cap', '--perfetto', join(out, 'x.pftrace')], 2, /no such capture directory/],
    ['no output', [join(FIXTURES, 'demo')], 2, /--perfetto OUT.pftrace and\/or --chrome OUT.json/],
    ['bad --since', [join(FIXTURES, 'demo'), '--perfetto', join(out, 'x.pftrace'), '--since', 'soon'], 2, /--since: 'soon' is not a time offset/],
    ['empty window', [join(FIXTURES, 'demo'), '--chrome', join(out, 'x.json'), '--since', '2s', '--until', '1s'], 2, /not after --since/],
    ['unknown group', [join(FIXTURES, 'demo'), '--perfetto', join(out, 'x.pftrace'), '--events', 'sched,disk'], 2, /unknown family 'disk'/],
    ['group not recorded', [join(FIXTURES, 'cmp-base'), '--perfetto', join(out, 'x.pftrace'), '--events', 'kmem'], 2, /'kmem' was not recorded/],
    ['bad --pid', [join(FIXTURES, 'demo'), '--perfetto', join(out, 'x.pftrace'), '--pid', 'abc'], 2, /not a process id/],
    ['unwritable output', [join(FIXTURES, 'demo'), '--perfetto', '/nonexistent/dir/x.pftrace'], 1, /cannot create \/nonexistent\/dir\/x.pftrace/],
    ['not a capture', [ROOT, '--perfetto', join(out, 'x.pftrace')], 2, /not a ktape capture/],
  ];
  for (const [name, args, code, re] of cases) {
    it(name, () => {
      const r = ktape(['export', ...args]);
      expect(r.status).toBe(code);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toMatch(/^(ktape: |error: )/);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      if (lines[0].startsWith('ktape: ')) expect(lines).toHaveLength(1);
    });
  }

  it('a torn capture (recorder killed) still exports its complete batches, with a warning', () => {
    const cap = join(tmp('ktape-torn-'), 'demo');
    cpSync(join(FIXTURES, 'demo'), cap, { recursive: true });
    const f = join(cap, 'syscall_enter.0000.arrows');
    truncateSync(f, statSync(f).size - 1000);
    const r = ktape(['export', cap, '--perfetto', join(out, 'torn.pftrace')]);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/warning: .*syscall_enter.0000.arrows: batch at byte \d+ is cut short; exported the complete batches before it/);
    checkPerfetto('torn', decodeTrace(join(out, 'torn.pftrace')));
  });
});
