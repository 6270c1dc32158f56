/**
 * Seeded mutations of a capture directory for the fuzz test: byte flips (biased to the message
 * headers at the start of a file), truncations, splices of one file into another, swapped table
 * files, and hostile manifest values. Deterministic for a seed, so a failing case can be replayed.
 */
import { readFileSync, readdirSync, truncateSync, writeFileSync, statSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';

/** mulberry32: a small, well-known seeded PRNG */
export function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n) => Math.floor(next() * n), pick: (xs) => xs[Math.floor(next() * xs.length)] };
}

const HOSTILE = [
  'abc',
  '',
  -1,
  0,
  1e30,
  -1e30,
  9.3e18,
  2 ** 53 + 1,
  1.5,
  null,
  true,
  [],
  {},
  [[[[[]]]]],
  'x'.repeat(5000),
  '\u001b[2J\u001b]0;pwn\u0007',
  '../../../etc/passwd',
  '/etc/shadow',
  1e12,
];
const FIELDS = [
  'format',
  'format_version',
  'complete',
  'start_ts',
  'end_ts',
  'host',
  'host.cpus',
  'host.machine',
  'host.hostname',
  'command_line',
  'options',
  'options.events',
  'recorder_tgid',
  'workload',
  'workload.pid',
  'tables',
  'tables.sched_switch',
  'tables.sched_switch.rows',
  'tables.sched_switch.files',
  'summary',
  'wire_version',
];

function setPath(o, path, v) {
  const ks = path.split('.');
  let cur = o;
  for (const k of ks.slice(0, -1)) {
    if (cur == null || typeof cur !== 'object') return;
    cur = cur[k];
  }
  if (cur != null && typeof cur === 'object') cur[ks.at(-1)] = v;
}

function deep(n) {
  return '['.repeat(n) + ']'.repeat(n);
}

function mutateManifest(dir, r) {
  const p = join(dir, 'manifest.json');
  const kind = r.int(4);
  if (kind === 3) {
    writeFileSync(p, `{"format":"ktape-capture","format_version":"1.2","complete":true,"start_ts":1,"end_ts":2,"command_line":${deep(200000)}}`);
    return 'manifest: 200,000-deep command_line';
  }
  const m = JSON.parse(readFileSync(p, 'utf8'));
  if (kind === 1) {
    const f = r.pick(FIELDS);
    setPath(m, f, r.next() < 0.5 ? null : undefined);
    writeFileSync(p, JSON.stringify(m));
    return `manifest: ${f} removed or null`;
  }
  const n = 1 + r.int(3);
  const what = [];
  for (let k = 0; k < n; k++) {
    const f = r.pick(FIELDS),
      v = r.pick(HOSTILE);
    setPath(m, f, v);
    what.push(`${f}=${JSON.stringify(v)?.slice(0, 20)}`);
  }
  if (kind === 2 && m.tables && typeof m.tables === 'object')
    m.tables.sched_switch = { rows: 7, files: ['sched_switch.0000.arrows', 'sched_switch.0001.arrows'] };
  writeFileSync(p, JSON.stringify(m));
  return `manifest: ${what.join(', ')}`;
}

/** Apply one mutation to the capture copy in `dir`; returns what it did. */
export function mutate(dir, seed) {
  const r = rng(seed);
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.arrows'))
    .sort();
  const kind = r.int(10);
  if (kind === 0) return mutateManifest(dir, r);
  const f = r.pick(files),
    p = join(dir, f);
  const size = statSync(p).size;
  if (kind <= 5) {
    const b = readFileSync(p);
    const flips = kind === 5 ? 8 : 1;
    const at = [];
    for (let k = 0; k < flips; k++) {
      const off = r.next() < 0.6 ? r.int(Math.min(size, 1024)) : r.int(size);
      b[off] = r.next() < 0.5 ? b[off] ^ (1 << r.int(8)) : r.int(256);
      at.push(off);
    }
    writeFileSync(p, b);
    return `${f}: byte${flips > 1 ? 's' : ''} ${at.join(',')} changed`;
  }
  if (kind === 6) {
    const len = r.int(size);
    truncateSync(p, len);
    return `${f}: truncated to ${len} of ${size} bytes`;
  }
  if (kind === 7) {
    const g = r.pick(files);
    const src = readFileSync(join(dir, g)),
      dst = readFileSync(p);
    const from = r.int(src.length),
      len = 1 + r.int(Math.min(4096, src.length - from)),
      to = r.int(dst.length);
    src.copy(dst, to, from, from + len);
    writeFileSync(p, dst);
    return `${f}: ${len} bytes of ${g} at ${to}`;
  }
  if (kind === 8) {
    const g = r.pick(files);
    copyFileSync(join(dir, g), p);
    return `${f}: replaced by ${g}`;
  }
  // duplicate a segment: an unlisted copy, or a listed file repeated
  const seg = f.replace(/\.(\d{4})\.arrows$/, '.0001.arrows');
  copyFileSync(p, join(dir, seg));
  return `${f}: copied to ${seg}`;
}
