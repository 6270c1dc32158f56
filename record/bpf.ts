/**
 * Loading the BPF object: configure, size the maps, choose the programs,
 * load; attach and detach. Errors name the step, the cause and the fix.
 */
import * as W from '../formats/gen/events.gen.js';
import { BpfError, UnsupportedError } from '../formats/errors.js';
import type { EventGroup } from '../formats/schema.js';
import { errno, libbpf, quietLibbpf, strerror } from './libbpf.js';

export const PROGRAMS: Record<string, { group: EventGroup; kinds: number[]; nested?: boolean }> = {
  kt_sched_switch: { group: 'sched', kinds: [W.KT_SCHED_SWITCH] },
  kt_sched_waking: { group: 'sched', kinds: [W.KT_SCHED_WAKING] },
  kt_sched_wakeup_new: { group: 'sched', kinds: [W.KT_SCHED_WAKEUP_NEW] },
  kt_task_newtask: { group: 'task', kinds: [W.KT_TASK_NEWTASK] },
  kt_task_exec: { group: 'task', kinds: [W.KT_TASK_EXEC] },
  kt_task_exit: { group: 'task', kinds: [W.KT_TASK_EXIT] },
  kt_task_rename: { group: 'task', kinds: [W.KT_TASK_RENAME] },
  kt_task_free: { group: 'task', kinds: [W.KT_TASK_FREE] },
  kt_sys_enter: { group: 'syscall', kinds: [W.KT_SYS_ENTER] },
  kt_sys_exit: { group: 'syscall', kinds: [W.KT_SYS_EXIT] },
  kt_kmalloc: { group: 'kmem', kinds: [W.KT_KMALLOC] },
  kt_kmem_cache_alloc: { group: 'kmem', kinds: [W.KT_KMEM_CACHE_ALLOC] },
  kt_kfree: { group: 'kmem', kinds: [W.KT_KFREE] },
  kt_kmem_cache_free: { group: 'kmem', kinds: [W.KT_KMEM_CACHE_FREE] },
  // run only when the main program is busy on the CPU (nested in an interrupt)
  kt_kmalloc_nested: { group: 'kmem', kinds: [W.KT_KMALLOC], nested: true },
  kt_kmem_cache_alloc_nested: { group: 'kmem', kinds: [W.KT_KMEM_CACHE_ALLOC], nested: true },
  kt_kfree_nested: { group: 'kmem', kinds: [W.KT_KFREE], nested: true },
  kt_kmem_cache_free_nested: { group: 'kmem', kinds: [W.KT_KMEM_CACHE_FREE], nested: true },
};

export interface BpfConfig {
  events: EventGroup[];
  comm?: string;
  kmemStacks: boolean;
  schedWait: boolean;
  stackDepth: number;
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
  b.writeUInt32LE(c.kmemStacks ? 1 : 0, O.kmem_stacks);
  b.writeUInt32LE(c.events.includes('task') ? 1 : 0, O.emit_task);
  b.writeUInt32LE(c.schedWait ? 1 : 0, O.pair_waits);
  return b;
}

/** A loaded (not yet attached) BPF object and its map fds. */
export class BpfObject {
  readonly L = libbpf();
  readonly obj: unknown;
  readonly links: unknown[] = [];
  readonly attached: { name: string; fd: number }[] = [];
  ncpu = 0;
  fds = { ring: -1, losses: -1, stats: -1, tgids: -1, stacks: -1 };

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
    const cfg = encodeConfig(c);
    if (L.bpf_map__set_initial_value(this.map('.rodata.cfg'), cfg, cfg.length) !== 0)
      throw new BpfError('E_BPF_CONFIG', `configuring ${this.path}: .rodata.cfg size mismatch (stale build? run \`npm run build\`)`);
    L.bpf_map__set_max_entries(this.map('kt_ring'), c.ringBytes);
    if (!c.events.includes('kmem') || !c.kmemStacks) L.bpf_map__set_max_entries(this.map('kt_stacks'), 1);
    else L.bpf_map__set_value_size(this.map('kt_stacks'), c.stackDepth * 8);
    for (const [name, p] of Object.entries(PROGRAMS)) {
      const prog = L.bpf_object__find_program_by_name(this.obj, name);
      if (!prog) throw new BpfError('E_BPF_PROG', `loading ${this.path}: program ${name} not found (stale build?)`);
      // following a command's process tree needs the fork/free programs even when task events are not recorded
      const filterOnly = c.follow && (name === 'kt_task_newtask' || name === 'kt_task_free');
      L.bpf_program__set_autoload(prog, c.events.includes(p.group) || filterOnly);
    }
    const err = L.bpf_object__load(this.obj);
    if (err) {
      const e = -err;
      if (e === 1 || e === 13)
        throw new UnsupportedError('E_BPF_PERM', `loading ${this.path}: ${strerror(e)}; needs CAP_BPF and CAP_PERFMON (or root), and kernel.unprivileged_bpf_disabled does not apply to root`);
      throw new BpfError('E_BPF_LOAD', `loading ${this.path}: ${strerror(e)}; the kernel rejected the programs (needs BTF, tp_btf and ring buffer support, Linux >= 5.8)`);
    }
    this.ncpu = L.libbpf_num_possible_cpus();
    const fd = (n: string) => L.bpf_map__fd(this.map(n)) as number;
    this.fds = { ring: fd('kt_ring'), losses: fd('kt_losses'), stats: fd('kt_stats'), tgids: fd('kt_tgids'), stacks: fd('kt_stacks') };
  }

  addTgid(pid: number): void {
    const k = Buffer.alloc(4), one = Buffer.alloc(4);
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
      const link = L.bpf_program__attach(prog);
      if (!link) throw new BpfError('E_BPF_ATTACH', `attaching ${name}: ${strerror(errno())}`);
      this.links.push(link);
      this.attached.push({ name, fd: L.bpf_program__fd(prog) });
    }
  }

  detach(): void {
    for (const l of this.links.splice(0)) this.L.bpf_link__destroy(l);
  }

  /** kt_stats[idx] summed over CPUs (null if unreadable) */
  statTotal(idx: number): bigint | null {
    const key = Buffer.alloc(4), val = Buffer.alloc(8 * this.ncpu);
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
