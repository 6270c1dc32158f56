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

/** The text symbol lines of /proc/kallsyms (types t, T, w, W; address not 0), their addresses as 32-bit halves, and their order by address. */
function textSymbols(): { lines: string[]; hi: Uint32Array; lo: Uint32Array; order: number[] } {
  const lines: string[] = [];
  for (const line of (read('/proc/kallsyms') ?? '').split('\n')) {
    const type = line[line.indexOf(' ') + 1];
    if (type === 't' || type === 'T' || type === 'w' || type === 'W') lines.push(line);
  }
  const hi = new Uint32Array(lines.length),
    lo = new Uint32Array(lines.length);
  const order: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const a = lines[i].indexOf(' ');
    hi[i] = a > 8 ? Number.parseInt(lines[i].slice(0, a - 8), 16) : 0;
    lo[i] = Number.parseInt(lines[i].slice(Math.max(0, a - 8), a), 16);
    if (hi[i] || lo[i]) order.push(i);
  }
  // by address; equal addresses keep the file's order (the sort is stable)
  order.sort((x, y) => hi[x] - hi[y] || lo[x] - lo[y]);
  return { lines, hi, lo, order };
}

function symOf(line: string): Sym {
  const a = line.indexOf(' ');
  const rest = line.slice(a + 3);
  const tab = rest.indexOf('\t');
  return {
    addr: BigInt(`0x${line.slice(0, a)}`),
    type: line[a + 1],
    name: tab < 0 ? rest : rest.slice(0, tab),
    module: tab < 0 ? null : rest.slice(tab + 1).replace(/^\[|\]$/g, ''),
  };
}

/** Text symbols from /proc/kallsyms, sorted by address. Requires kptr access (root). */
export function kallsyms(): Sym[] {
  const t = textSymbols();
  return t.order.map((i) => symOf(t.lines[i]));
}

/**
 * Only the symbols that contain one of `addrs`, each with the symbol after it
 * (which bounds it), sorted by address (--kallsyms used). /proc/kallsyms is
 * not read at all when there is no address (nothing recorded holds one).
 * Addresses are compared as 32-bit halves: no BigInt per symbol.
 */
export function kallsymsCovering(addrs: Iterable<bigint>): Sym[] {
  const want = [...addrs];
  if (want.length === 0) return [];
  const { lines, hi, lo, order } = textSymbols();
  const keep = new Set<number>();
  for (const a of want) {
    const ah = Number(a >> 32n),
      al = Number(a & 0xffffffffn);
    let l = 0,
      h = order.length - 1,
      best = -1;
    while (l <= h) {
      const mid = (l + h) >> 1,
        i = order[mid];
      if (hi[i] < ah || (hi[i] === ah && lo[i] <= al)) {
        best = mid;
        l = mid + 1;
      } else h = mid - 1;
    }
    if (best >= 0) {
      keep.add(best);
      if (best + 1 < order.length) keep.add(best + 1); // bounds the containing symbol
    }
  }
  return [...keep].sort((x, y) => x - y).map((k) => symOf(lines[order[k]]));
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
