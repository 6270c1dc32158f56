/**
 * Where a recording's fixed cost goes, phase by phase: with KTAPE_DEBUG set, `mark(name)` notes the CPU time
 * (user + sys of the recorder process, getrusage) and the wall time since the previous mark, and the list is
 * printed to stderr when the process exits. The first mark is cli/launch.ts's, before the bundle loads (the CPU
 * before it is Node's own start). The state lives under a global symbol: launch.ts and the bundled chunks are
 * separate module graphs. Without KTAPE_DEBUG a mark costs one property read.
 */
const KEY = Symbol.for('ktape.phases');
type Mark = { name: string; cpuUs: number; wallNs: bigint };
const g = globalThis as Record<symbol, Mark[] | undefined>;

const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

function print(marks: Mark[]): void {
  const rows = marks.map((m, i) => {
    const p = marks[i - 1];
    const cpu = (m.cpuUs - (p?.cpuUs ?? 0)) / 1000;
    const wall = p ? Number(m.wallNs - p.wallNs) / 1e6 : Number.NaN;
    return `ktape: phase ${m.name.padEnd(18)} cpu ${cpu.toFixed(1).padStart(6)} ms  wall ${Number.isNaN(wall) ? '     -' : wall.toFixed(1).padStart(6)} ms`;
  });
  process.stderr.write(`${rows.join('\n')}\n`);
}

/** Note the end of phase `name` (KTAPE_DEBUG only). */
export function mark(name: string): void {
  if (!process.env.KTAPE_DEBUG) return;
  let marks = g[KEY];
  if (!marks) {
    marks = g[KEY] = [];
    process.on('exit', () => {
      mark('exit');
      print(marks as Mark[]);
    });
  }
  marks.push({ name, cpuUs: cpuUs(), wallNs: process.hrtime.bigint() });
}
