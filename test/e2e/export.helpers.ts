/**
 * Test-side readers for exported traces. The Perfetto side decodes with a
 * descriptor built at test time from Perfetto's official schema in
 * ../shared/perfetto (the oracle), never with ktape's own subset.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileRegistry, fromBinary, isFieldSet, type DescMessage, type FileRegistry } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { SHARED, tmp } from '../helpers.js';

let registry: FileRegistry | null = null;
export function officialRegistry(): FileRegistry {
  if (registry) return registry;
  const dir = join(SHARED, 'perfetto');
  if (!existsSync(join(dir, 'perfetto_trace.proto'))) throw new Error(`missing ${dir}/perfetto_trace.proto (the test oracle)`);
  const out = join(tmp('ktape-pdesc-'), 'perfetto.desc');
  execFileSync('protoc', [`--descriptor_set_out=${out}`, '--include_imports', '-I', dir, 'perfetto_trace.proto']);
  registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(out)));
  return registry;
}
export function desc(name: string): DescMessage {
  const d = officialRegistry().getMessage(`perfetto.protos.${name}`);
  if (!d) throw new Error(`no message ${name} in the official schema`);
  return d;
}

/** Decode a .pftrace with the official schema. */
export function decodeTrace(path: string): any {
  return fromBinary(desc('Trace'), readFileSync(path));
}

/** Paths of every unknown field ($unknown) in a decoded message tree. */
export function unknownFields(msg: any, path = 'Trace', out: string[] = []): string[] {
  if (msg === null || typeof msg !== 'object') return out;
  if (Array.isArray(msg)) {
    msg.forEach((m, i) => {
      unknownFields(m, `${path}[${i}]`, out);
    });
    return out;
  }
  if (msg instanceof Uint8Array) return out;
  if (Array.isArray(msg.$unknown) && msg.$unknown.length) out.push(`${path} (${msg.$typeName}): field ${msg.$unknown.map((u: any) => u.no).join(',')}`);
  for (const [k, v] of Object.entries(msg)) {
    if (k === '$unknown' || k === '$typeName') continue;
    if (v && typeof v === 'object') unknownFields(v, `${path}.${k}`, out);
  }
  return out;
}

export function has(msg: any, typeName: string, field: string): boolean {
  const d = desc(typeName);
  const f = d.fields.find((x) => x.name === field);
  if (!f) throw new Error(`${typeName}.${field} not in schema`);
  return isFieldSet(msg, f);
}

export interface Switch {
  ts: number;
  prev?: number;
  next: number;
  compact: boolean;
}

/** sched switches per CPU from a decoded trace (CompactSched and plain), in file order */
export function switchesByCpu(trace: any): Map<number, Switch[]> {
  const out = new Map<number, Switch[]>();
  for (const p of trace.packet) {
    if (p.data.case !== 'ftraceEvents') continue;
    const b = p.data.value;
    let a = out.get(b.cpu);
    if (!a) out.set(b.cpu, (a = []));
    for (const e of b.event)
      if (e.event.case === 'schedSwitch') a.push({ ts: Number(e.timestamp), prev: e.event.value.prevPid, next: e.event.value.nextPid, compact: false });
    const cs = b.compactSched;
    if (cs) {
      let ts = 0;
      cs.switchTimestamp.forEach((d: bigint, k: number) => {
        ts += Number(d);
        a!.push({ ts, next: cs.switchNextPid[k], compact: true });
      });
    }
  }
  for (const a of out.values()) a.sort((x, y) => x.ts - y.ts);
  return out;
}

/** first and last BOOTTIME clock snapshot = capture window */
export function traceWindow(trace: any): { start: number; end: number } {
  const boots: number[] = [];
  for (const p of trace.packet) if (p.data.case === 'clockSnapshot') for (const c of p.data.value.clocks) if (c.clockId === 6) boots.push(Number(c.timestamp));
  return { start: Math.min(...boots), end: Math.max(...boots) };
}

/**
 * CPU time per tid rebuilt from the sched switches of a Perfetto trace, with
 * the analyzer's slice rules: the task switched in runs until the next
 * switch on that CPU; the first slice (prev of the first switch) starts at
 * the capture start, the last ends at the capture end.
 */
export function cpuTimeFromPerfetto(trace: any): Map<number, number> {
  const { start, end } = traceWindow(trace);
  const out = new Map<number, number>();
  const add = (tid: number, ns: number) => out.set(tid, (out.get(tid) ?? 0) + ns);
  for (const sw of switchesByCpu(trace).values()) {
    if (!sw.length) continue;
    if (sw[0].prev === undefined) throw new Error('first switch of a CPU is compact: its prev task is unknown');
    if (sw[0].ts > start) add(sw[0].prev, sw[0].ts - start);
    for (let k = 0; k < sw.length; k++) add(sw[k].next, (k + 1 < sw.length ? sw[k + 1].ts : end) - sw[k].ts);
  }
  return out;
}

/** CPU time per tid from a Chrome JSON export: running X events (cat "sched"), µs → ns */
export function cpuTimeFromChrome(json: any): { ns: Map<number, number>; slices: Map<number, number> } {
  const ns = new Map<number, number>();
  const slices = new Map<number, number>();
  for (const e of json.traceEvents) {
    if (e.ph !== 'X' || e.cat !== 'sched') continue;
    ns.set(e.tid, (ns.get(e.tid) ?? 0) + Math.round(e.dur * 1000));
    slices.set(e.tid, (slices.get(e.tid) ?? 0) + 1);
  }
  return { ns, slices };
}
