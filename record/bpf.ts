/**
 * Loading the BPF object: configure, size the maps, choose the programs,
 * load; attach and detach. Errors name the step, the cause and the fix.
 */
import * as W from '../formats/gen/events.gen.js';
import { BpfError, UnsupportedError } from '../formats/errors.js';
import { FAMILIES } from '../families/index.js';
import type { ProgramDef, RecordSettings } from '../families/family.js';
import { errno, libbpf, quietLibbpf, signalsBlocked, strerror } from './libbpf.js';
import { tracefsDir } from './tracefs.js';

/** Every family's programs by name, with the family that owns it. */
export const PROGRAMS: Record<string, ProgramDef & { group: string }> = Object.fromEntries(
  FAMILIES.flatMap((f) => f.programs.map((p) => [p.name, { ...p, group: f.name }])),
);

export interface BpfConfig extends RecordSettings {
  comm?: string;
  ringBytes: number;
  /** syscall/kmem events filtered to the kt_tgids map */
  filterTgids: boolean;
  /** follow the command's process tree (forks join the filter) */
  follow: boolean;
}

function encodeConfig(c: BpfConfig): Buffer {
  const O = W.OFF.kt_config;
  const b = Buffer.alloc(W.SIZEOF.kt_config);
  b.writeUInt32LE(process.pid, O.self_tgid);
  b.writeUInt32LE(c.filterTgids ? 1 : 0, O.filter_tgids);
  b.writeUInt32LE(c.follow ? 1 : 0, O.follow_children);
  if (c.comm) {
    b.writeUInt32LE(1, O.filter_comm);
    Buffer.from(c.comm, 'utf8').copy(b, O.comm, 0, W.KT_COMM_LEN - 1);
  }
  return b;
}

/** A loaded (not yet attached) BPF object and its map fds. */
export class BpfObject {
  readonly L = libbpf();
  readonly obj: unknown;
  readonly links: unknown[] = [];
  readonly attached: { name: string; fd: number }[] = [];
  ncpu = 0;
  fds = { ring: -1, losses: -1, stats: -1, tgids: -1 };

  constructor(readonly path: string) {
    quietLibbpf();
    this.obj = this.L.bpf_object__open_file(path, null);
    if (!this.obj) throw new BpfError('E_BPF_OPEN', `opening ${path}: ${strerror(errno())}`);
  }

  private map(name: string): unknown {
    const m = this.L.bpf_object__find_map_by_name(this.obj, name);
    if (!m) throw new BpfError('E_BPF_MAP', `loading ${this.path}: map ${name} not found (stale build? run \`npm run build\`)`);
    return m;
  }

  load(c: BpfConfig): void {
    const L = this.L;
    this.setConfig('.rodata.cfg', encodeConfig(c));
    for (const f of FAMILIES) if (f.bpfConfig) this.setConfig(`.rodata.${f.name}`, f.bpfConfig(c));
    L.bpf_map__set_max_entries(this.map('kt_ring'), c.ringBytes);
    const maps = {
      setMaxEntries: (m: string, n: number) => L.bpf_map__set_max_entries(this.map(m), n),
      setValueSize: (m: string, n: number) => L.bpf_map__set_value_size(this.map(m), n),
    };
    for (const f of FAMILIES) f.prepareMaps?.(maps, c);
    for (const [name, p] of Object.entries(PROGRAMS)) {
      const prog = L.bpf_object__find_program_by_name(this.obj, name);
      if (!prog) throw new BpfError('E_BPF_PROG', `loading ${this.path}: program ${name} not found (stale build?)`);
      L.bpf_program__set_autoload(prog, c.events.includes(p.group) || !!p.alsoWhen?.(c));
    }
    const err = signalsBlocked(() => L.bpf_object__load(this.obj));
    if (err) {
      const e = -err;
      if (e === 1 || e === 13)
        throw new UnsupportedError(
          'E_BPF_PERM',
          `loading ${this.path}: ${strerror(e)}; needs CAP_BPF and CAP_PERFMON (or root), and kernel.unprivileged_bpf_disabled does not apply to root`,
        );
      throw new BpfError(
        'E_BPF_LOAD',
        `loading ${this.path}: ${strerror(e)}; the kernel rejected the programs (needs BTF, tp_btf and ring buffer support, Linux >= 5.8)`,
      );
    }
    this.ncpu = L.libbpf_num_possible_cpus();
    const fd = (n: string) => L.bpf_map__fd(this.map(n)) as number;
    this.fds = { ring: fd('kt_ring'), losses: fd('kt_losses'), stats: fd('kt_stats'), tgids: fd('kt_tgids') };
  }

  private setConfig(section: string, b: Buffer): void {
    if (this.L.bpf_map__set_initial_value(this.map(section), b, b.length) !== 0)
      throw new BpfError('E_BPF_CONFIG', `configuring ${this.path}: ${section} size mismatch (stale build? run \`npm run build\`)`);
  }

  /** fd of a map of the loaded object */
  mapFd(name: string): number {
    return this.L.bpf_map__fd(this.map(name)) as number;
  }

  addTgid(pid: number): void {
    const k = Buffer.alloc(4),
      one = Buffer.alloc(4);
    k.writeUInt32LE(pid);
    one.writeUInt32LE(1);
    if (this.L.bpf_map_update_elem(this.fds.tgids, k, one, 0) !== 0)
      throw new BpfError('E_BPF_FILTER', `adding pid ${pid} to the filter: ${strerror(errno())}`);
  }

  attach(): void {
    const L = this.L;
    for (let prog = L.bpf_object__next_program(this.obj, null); prog; prog = L.bpf_object__next_program(this.obj, prog)) {
      if (!L.bpf_program__autoload(prog)) continue;
      const name = L.bpf_program__name(prog) as string;
      // libbpf reads a tp/ program's tracepoint id in tracefs
      if ((L.bpf_program__section_name(prog) as string).startsWith('tp/')) tracefsDir(`attaching ${name}`);
      const link = L.bpf_program__attach(prog);
      if (!link) throw new BpfError('E_BPF_ATTACH', `attaching ${name}: ${strerror(errno())}`);
      this.links.push(link);
      this.attached.push({ name, fd: L.bpf_program__fd(prog) });
    }
    if (this.attached.some((a) => a.name.endsWith('_nested'))) this.clearSeen();
  }

  /**
   * The nested-rescue notes (bpf/common.bpf.h, kt_seen) that the main programs pushed before their nested programs
   * were attached would stay in the per-CPU stacks, searched by every nested run (a skipped event with a stale
   * note's key would go unrecorded): cleared once all are attached. An event in flight at that moment may be
   * recorded twice (its note cleared between its main and nested runs): at most one per CPU and kind, at the start.
   */
  private clearSeen(): void {
    const L = this.L,
      m = this.map('kt_seen');
    const fd = L.bpf_map__fd(m) as number,
      n = L.bpf_map__max_entries(m) as number;
    const zero = Buffer.alloc(Math.ceil((L.bpf_map__value_size(m) as number) / 8) * 8 * this.ncpu),
      key = Buffer.alloc(4);
    for (let k = 0; k < n; k++) {
      key.writeUInt32LE(k);
      if (L.bpf_map_update_elem(fd, key, zero, 0) !== 0) throw new BpfError('E_BPF_ATTACH', `clearing kt_seen: ${strerror(errno())}`);
    }
  }

  /**
   * Detach in the reverse of the attach order: a nested program (attached after its main one, kmem, tcp) goes
   * first. Alone, it would record every event as a rescue (it finds no main program's note), which inflates the
   * rescued count that a main program's recursion misses are netted against (record/session.ts).
   */
  detach(): void {
    for (const l of this.links.splice(0).reverse()) this.L.bpf_link__destroy(l);
  }

  /** kt_stats[idx] summed over CPUs (null if unreadable) */
  statTotal(idx: number): bigint | null {
    const key = Buffer.alloc(4),
      val = Buffer.alloc(8 * this.ncpu);
    key.writeUInt32LE(idx);
    if (this.L.bpf_map_lookup_elem(this.fds.stats, key, val) !== 0) return null;
    let tot = 0n;
    for (let c = 0; c < this.ncpu; c++) tot += val.readBigUInt64LE(8 * c);
    return tot;
  }

  close(): void {
    this.detach();
    this.L.bpf_object__close(this.obj);
  }
}
