/**
 * What makes a capture self-contained: host facts, the /proc process
 * snapshot, kernel symbols and modules. Read-only access to /proc and /sys.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { hostname, cpus, release, version, machine } from 'node:os';
import type { Manifest } from '../formats/schema.js';

const CLK_TCK = 100; // USER_HZ: 100 on every Linux ABI ktape supports

function read(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

const AT_PAGESZ = 6;

/** The page size the kernel gave this process (AT_PAGESZ in /proc/self/auxv, 64-bit entries); 4096 if unreadable. */
export function pageSize(): number {
  try {
    const auxv = readFileSync('/proc/self/auxv');
    for (let o = 0; o + 16 <= auxv.length; o += 16) if (auxv.readBigUInt64LE(o) === BigInt(AT_PAGESZ)) return Number(auxv.readBigUInt64LE(o + 8));
  } catch {}
  return 4096;
}

export function hostFacts(): Manifest['host'] {
  return {
    hostname: hostname(),
    kernel_release: release(),
    kernel_version: version(),
    machine: machine(),
    cpus: cpus().length,
    page_size: pageSize(),
    boot_id: (read('/proc/sys/kernel/random/boot_id') ?? '').trim(),
    clk_tck: CLK_TCK,
  };
}

export function pidMax(): number {
  return Number((read('/proc/sys/kernel/pid_max') ?? '4194304').trim()) || 4194304;
}

export interface SnapshotRow {
  ts: bigint;
  tid: number;
  tgid: number;
  ppid: number;
  comm: string;
  cmdline: string;
  start_ts: bigint;
  uid: number;
  kernel_thread: number;
}

const PF_KTHREAD = 0x00200000;

/** Parse /proc/<pid>/task/<tid>/stat: comm may contain spaces and parens. */
function parseStat(s: string): { comm: string; ppid: number; flags: number; starttime: number } | null {
  const l = s.indexOf('(');
  const r = s.lastIndexOf(')');
  if (l < 0 || r < 0) return null;
  const rest = s.slice(r + 2).split(' ');
  // rest[0] = state (field 3), ppid = field 4, flags = field 9, starttime = field 22
  return { comm: s.slice(l + 1, r), ppid: Number(rest[1]), flags: Number(rest[6]), starttime: Number(rest[19]) };
}

/** Every thread in /proc, as of boottime `ts`. Threads that vanish mid-read are skipped. */
export function processSnapshot(ts: bigint): SnapshotRow[] {
  const rows: SnapshotRow[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const tgid = Number(p);
    const cmdline = (read(`/proc/${p}/cmdline`) ?? '').replace(/\0+$/, '').replace(/\0/g, ' ');
    const status = read(`/proc/${p}/status`) ?? '';
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tids) {
      const st = read(`/proc/${p}/task/${t}/stat`);
      if (!st) continue;
      const f = parseStat(st);
      if (!f) continue;
      rows.push({
        ts,
        tid: Number(t),
        tgid,
        ppid: f.ppid,
        comm: f.comm,
        cmdline,
        start_ts: (BigInt(f.starttime) * 1_000_000_000n) / BigInt(CLK_TCK),
        uid,
        kernel_thread: f.flags & PF_KTHREAD ? 1 : 0,
      });
    }
  }
  return rows;
}

export interface Sym {
  addr: bigint;
  type: string;
  name: string;
  module: string | null;
}

/** The text symbols (t, T, w, W) of /proc/kallsyms in file order: their lines and addresses. Requires kptr access (root). */
function textSymbols(): { lines: string[]; addrs: BigUint64Array } {
  const lines: string[] = [];
  for (const line of (read('/proc/kallsyms') ?? '').split('\n')) {
    const type = line[line.indexOf(' ') + 1];
    if (type === 't' || type === 'T' || type === 'w' || type === 'W') lines.push(line);
  }
  const addrs = new BigUint64Array(lines.length);
  for (let i = 0; i < lines.length; i++) addrs[i] = BigInt(`0x${lines[i].slice(0, lines[i].indexOf(' '))}`);
  return { lines, addrs };
}

function toSym(line: string, addr: bigint): Sym {
  const a = line.indexOf(' ');
  const rest = line.slice(a + 3);
  const tab = rest.indexOf('\t');
  return { addr, type: line[a + 1], name: tab < 0 ? rest : rest.slice(0, tab), module: tab < 0 ? null : rest.slice(tab + 1).replace(/^\[|\]$/g, '') };
}

/** Line indexes by address (ties in file order), symbols at address 0 (kptr hidden) left out. */
function byAddress(addrs: BigUint64Array): number[] {
  const order: number[] = [];
  for (let i = 0; i < addrs.length; i++) if (addrs[i] !== 0n) order.push(i);
  return order.sort((x, y) => (addrs[x] < addrs[y] ? -1 : addrs[x] > addrs[y] ? 1 : x - y));
}

/** Every text symbol from /proc/kallsyms, sorted by address (--kallsyms full). */
export function kallsyms(): Sym[] {
  const { lines, addrs } = textSymbols();
  return byAddress(addrs).map((i) => toSym(lines[i], addrs[i]));
}

/**
 * Only the symbols that contain one of `addrs`, each with the symbol after it
 * (which bounds it), sorted by address (--kallsyms used). /proc/kallsyms is
 * not read at all when there is no address.
 */
export function kallsymsCovering(addrs: Iterable<bigint>): Sym[] {
  const want = [...addrs];
  if (want.length === 0) return [];
  const t = textSymbols();
  const order = byAddress(t.addrs);
  const keep = new Set<number>();
  for (const a of want) {
    let lo = 0,
      hi = order.length - 1,
      best = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (t.addrs[order[mid]] <= a) {
        best = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best >= 0) {
      keep.add(best);
      if (best + 1 < order.length) keep.add(best + 1); // bounds the containing symbol
    }
  }
  return [...keep].sort((x, y) => x - y).map((k) => toSym(t.lines[order[k]], t.addrs[order[k]]));
}

export function modules(): { name: string; addr: bigint; size: bigint }[] {
  if (!existsSync('/proc/modules')) return [];
  const out = [];
  for (const line of (read('/proc/modules') ?? '').split('\n')) {
    const f = line.split(' ');
    if (f.length < 6) continue;
    out.push({ name: f[0], size: BigInt(f[1]), addr: BigInt(f[5]) });
  }
  return out;
}
