/**
 * Perfetto: the outstanding allocations as instants with interned kernel callstacks. The interned data
 * (function names, frames, callstacks) rides on the first instant, after the sequence was cleared.
 */
import { create } from '@bufbuild/protobuf';
import * as pb from '../../formats/perfetto/gen/ktape_perfetto_pb.js';
import type { PerfettoContext } from '../../export/handlers.js';

export interface Outstanding {
  ts: number;
  tid: number;
  cpu: number;
  kind: string;
  ptr: bigint;
  callSite: bigint;
  site: string;
  bytesReq: number;
  bytes: number;
  comm: string;
  /** the stacks view's frames, innermost first: return addresses, symbols and symbol+0xoffset */
  ips: bigint[];
  symbols: string[];
  frames: string[];
}

const MAPPING = 1n;

class Interner {
  readonly data = create(pb.InternedDataSchema);
  private fnIds = new Map<string, bigint>();
  private frameIds = new Map<bigint, bigint>();
  private stackIds = new Map<string, bigint>();
  constructor(
    private readonly minAddr: bigint,
    maxAddr: bigint,
  ) {
    this.data.mappingPaths.push(create(pb.InternedStringSchema, { iid: 1n, str: new TextEncoder().encode('[kernel.kallsyms]') }));
    this.data.mappings.push(create(pb.MappingSchema, { iid: MAPPING, start: minAddr, end: maxAddr, pathStringIds: [1n] }));
  }
  private fn(name: string): bigint {
    let id = this.fnIds.get(name);
    if (id === undefined) {
      this.fnIds.set(name, (id = BigInt(this.fnIds.size + 1)));
      this.data.functionNames.push(create(pb.InternedStringSchema, { iid: id, str: new TextEncoder().encode(name) }));
    }
    return id;
  }
  private frame(ip: bigint, name: string): bigint {
    let id = this.frameIds.get(ip);
    if (id === undefined) {
      this.frameIds.set(ip, (id = BigInt(this.frameIds.size + 1)));
      this.data.frames.push(
        create(pb.FrameSchema, {
          iid: id,
          functionNameId: this.fn(name),
          mappingId: MAPPING,
          relPc: ip >= this.minAddr ? ip - this.minAddr : 0n,
          kindField: { case: 'kind', value: pb.Frame_Kind.KERNEL },
        }),
      );
    }
    return id;
  }
  /** callstack iid of an allocation: its frames, or its call site alone when it has no stack */
  callstack(a: Outstanding, callSite: bigint): bigint {
    const ips = a.ips.length ? a.ips : [callSite];
    const names = a.ips.length ? a.symbols : [a.site];
    const key = ips.join(',');
    let id = this.stackIds.get(key);
    if (id === undefined) {
      this.stackIds.set(key, (id = BigInt(this.stackIds.size + 1)));
      // Perfetto wants the outermost frame first
      const frames = ips.map((ip, k) => this.frame(ip, names[k])).reverse();
      this.data.callstacks.push(create(pb.CallstackSchema, { iid: id, frameIds: frames }));
    }
    return id;
  }
}

export function writeLeaks(ctx: PerfettoContext, live: Outstanding[], track: bigint, minAddr: bigint, maxAddr: bigint): void {
  if (!live.length) return;
  const intern = new Interner(minAddr, maxAddr);
  const ids = live.map((a) => intern.callstack(a, a.callSite));
  const name = (s: string) => ({ case: 'name' as const, value: s });
  live.forEach((a, k) => {
    ctx.writePacket({
      timestamp: BigInt(a.ts),
      optionalTrustedPacketSequenceId: { case: 'trustedPacketSequenceId', value: 2 },
      sequenceFlags: ctx.trackSeqFlags(),
      ...(k === 0 ? { internedData: intern.data } : {}),
      data: {
        case: 'trackEvent',
        value: {
          type: pb.TrackEvent_Type.INSTANT,
          trackUuid: track,
          nameField: name(`${a.bytes} B ${a.kind === 'kmalloc' ? 'kmalloc' : 'kmem_cache_alloc'} @ ${a.site}`),
          callstackField: { case: 'callstackIid', value: ids[k] },
          debugAnnotations: [
            { nameField: name('ptr'), value: { case: 'pointerValue', value: a.ptr } },
            { nameField: name('bytes_alloc'), value: { case: 'uintValue', value: BigInt(a.bytes) } },
            { nameField: name('bytes_req'), value: { case: 'uintValue', value: BigInt(a.bytesReq) } },
            { nameField: name('call_site'), value: { case: 'stringValue', value: a.site } },
            { nameField: name('tid'), value: { case: 'intValue', value: BigInt(a.tid) } },
            { nameField: name('comm'), value: { case: 'stringValue', value: a.comm } },
            { nameField: name('cpu'), value: { case: 'uintValue', value: BigInt(a.cpu) } },
          ],
        },
      },
    });
  });
}
