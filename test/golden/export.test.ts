/**
 * Golden exports: a reviewable digest of the Perfetto and Chrome exports of
 * small fixtures. UPDATE_GOLDEN=1 rewrites test/golden/expected/export-*.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJson } from '@bufbuild/protobuf';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, ktape, tmp } from '../helpers.js';
import { cpuTimeFromPerfetto, decodeTrace, desc, officialRegistry } from '../e2e/export.helpers.js';

const EXPECTED = join(ROOT, 'test/golden/expected');
const out = tmp('ktape-golden-export-');

function count<T>(xs: T[], key: (x: T) => string): Record<string, number> {
  const o: Record<string, number> = {};
  for (const x of xs) o[key(x)] = (o[key(x)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(o).sort());
}

function perfettoDigest(trace: any) {
  const packets = trace.packet as any[];
  const cpus: Record<string, any> = {};
  const firstEvents: unknown[] = [];
  for (const p of packets) {
    if (p.data.case !== 'ftraceEvents') continue;
    const b = p.data.value;
    const c = (cpus[b.cpu] ??= { bundles: 0, events: {} as Record<string, number>, compact_switches: 0, compact_wakings: 0, lost_events_bundles: 0 });
    c.bundles++;
    if (b.lostEvents) c.lost_events_bundles++;
    for (const e of b.event) {
      c.events[e.event.case] = (c.events[e.event.case] ?? 0) + 1;
      if (firstEvents.length < 6 && b.cpu === 0) firstEvents.push(toJson(desc('FtraceEvent'), e, { registry: officialRegistry() }));
    }
    if (b.compactSched) {
      c.compact_switches += b.compactSched.switchNextPid.length;
      c.compact_wakings += b.compactSched.wakingPid.length;
    }
  }
  for (const c of Object.values(cpus)) c.events = Object.fromEntries(Object.entries(c.events).sort());
  const trees = packets.filter((p) => p.data.case === 'processTree').map((p) => p.data.value);
  const interned = { fn: new Map<string, string>(), frames: new Map<string, any>(), stacks: new Map<string, any>() };
  const trackNames = new Map<string, string>();
  const tracks: Record<string, string[]> = {};
  for (const p of packets) {
    const d = p.internedData;
    if (d) {
      for (const s of d.functionNames) interned.fn.set(String(s.iid), new TextDecoder().decode(s.str));
      for (const f of d.frames) interned.frames.set(String(f.iid), f);
      for (const c of d.callstacks) interned.stacks.set(String(c.iid), c);
    }
    if (p.data.case === 'trackDescriptor') trackNames.set(String(p.data.value.uuid), p.data.value.staticOrDynamicName.value);
    if (p.data.case === 'trackEvent') {
      const ev = p.data.value;
      if (ev.type === 2) continue;
      let line = `${p.timestamp} ${ev.nameField.value}`;
      if (ev.callstackField?.case === 'callstackIid') {
        const cs = interned.stacks.get(String(ev.callstackField.value));
        line += ` | ${cs.frameIds.map((id: bigint) => interned.fn.get(String(interned.frames.get(String(id)).functionNameId))).join(' > ')}`;
      }
      (tracks[trackNames.get(String(ev.trackUuid))!] ??= []).push(line);
    }
  }
  const cpu = [...cpuTimeFromPerfetto(trace)].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, 8);
  return {
    packets: count(packets, (p) => p.data.case),
    system_info: toJson(desc('SystemInfo'), packets.find((p) => p.data.case === 'systemInfo').data.value),
    clock_snapshots: packets.filter((p) => p.data.case === 'clockSnapshot').length,
    process_tree: {
      snapshot: { processes: trees[0].processes.length, threads: trees[0].threads.length },
      later: trees.slice(1).map((t: any) => t.threads.map((th: any) => `${th.tid}/${th.tgid ?? '?'} ${th.name ?? ''}`).join(', ')),
    },
    cpus,
    first_cpu0_events: firstEvents,
    ftrace_stats: packets.filter((p) => p.data.case === 'ftraceStats').map((p) => toJson(desc('FtraceStats'), p.data.value)),
    tracks: Object.fromEntries(Object.entries(tracks).map(([k, v]) => [k, { events: v.length, first: v.slice(0, 5) }])),
    cpu_ns_top_threads: Object.fromEntries(cpu.map(([tid, ns]) => [tid, ns])),
  };
}

function chromeDigest(json: any) {
  const ev = json.traceEvents as any[];
  const procs = ev.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => `${e.pid} ${e.args.name}`);
  return {
    events: count(ev, (e) => `${e.ph} ${e.cat ?? e.name}`),
    processes: procs.length,
    first_processes: procs.slice(0, 12),
    first_events: ev.filter((e) => e.ph !== 'M').slice(0, 8),
    metadata: json.metadata,
  };
}

function golden(name: string, got: unknown) {
  const path = join(EXPECTED, `${name}.json`);
  const text = `${JSON.stringify(got, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`;
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    mkdirSync(EXPECTED, { recursive: true });
    writeFileSync(path, text);
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`${path} did not exist; written — review and commit it`);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

describe('golden exports', () => {
  for (const f of ['leak', 'cmp-base']) {
    it(`${f}: Perfetto digest`, () => {
      const p = join(out, `${f}.pftrace`);
      const r = ktape(['export', join(FIXTURES, f), '--perfetto', p, '-q']);
      expect(r.status, r.stderr).toBe(0);
      golden(`export-${f}.perfetto`, perfettoDigest(decodeTrace(p)));
    });
    it(`${f}: Chrome JSON digest`, () => {
      const p = join(out, `${f}.json`);
      const r = ktape(['export', join(FIXTURES, f), '--chrome', p, '-q']);
      expect(r.status, r.stderr).toBe(0);
      golden(`export-${f}.chrome`, chromeDigest(JSON.parse(readFileSync(p, 'utf8'))));
    });
  }
});
