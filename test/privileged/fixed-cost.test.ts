/**
 * What recording a command costs before and after it runs, as work rather
 * than time (the time is bench/record.ts's fixed-cost figure): the recorder
 * loads no analyzer (DuckDB's native library), maps a window of the ring
 * rather than all of it, loads only the selected families' programs, and
 * reads no kernel symbols when nothing recorded holds a kernel address, and
 * writes no file for the tables of the families not recorded; and the bin
 * starts Node without NODE_EXTRA_CA_CERTS (Node 20 parses it at every start).
 * Ground truth is the kernel's view of the recorder process: /proc/PID/maps,
 * /proc/PID/fd and /proc/PID/environ.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readManifest, readTable } from '../../dist/formats/reader.js';
import { PROGRAMS } from '../../dist/record/bpf.js';
import { FORMAT_VERSION, TABLES } from '../../dist/formats/schema.js';
import { notInFormat } from '../../dist/formats/table.js';
import { CLI, ktape, privilegedSkipReason, ROOT, tmp } from '../helpers.js';

const skipOutsideCI = privilegedSkipReason();
const RING_MB = 64;

const rows = (dir: string, t: string) => readTable(dir, t).batches.reduce((n, b) => n + b.numRows, 0);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The manifest once the workload is running (its pid is written before it is released). */
async function liveManifest(dir: string, timeoutMs = 60_000): Promise<any> {
  const t0 = Date.now();
  for (;;) {
    try {
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      if (m.workload?.pid > 0) return m;
    } catch {
      // not written yet
    }
    if (Date.now() - t0 > timeoutMs) throw new Error(`no live manifest in ${dir}`);
    await sleep(20);
  }
}

/** Bytes of the recorder's mappings of BPF maps (the ring's consumer and producer pages and its data window). */
function bpfMapBytes(maps: string): number {
  let n = 0;
  for (const line of maps.split('\n')) {
    if (!line.endsWith('anon_inode:bpf-map')) continue;
    const [lo, hi] = line.split(' ')[0].split('-');
    n += Number.parseInt(hi, 16) - Number.parseInt(lo, 16);
  }
  return n;
}

function bpfProgFds(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) === 'anon_inode:bpf-prog') n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

describe.skipIf(skipOutsideCI)('record: the fixed cost of recording a command', () => {
  it('--events task,sched -- sleep: no DuckDB, a window of the ring mapped, only task and sched programs, no kernel symbols', async () => {
    const dir = join(tmp(), 'noop');
    const child = spawn(process.execPath, [CLI, 'record', '-q', '-o', dir, '--buffer-mb', String(RING_MB), '--events', 'task,sched', '--', 'sleep', '600'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const m = await liveManifest(dir);
    const pid = m.recorder_tgid as number;
    const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
    const progs = bpfProgFds(pid);
    child.kill('SIGINT');
    expect(await done, stderr).toBe(0);

    expect(maps, 'the recorder does not load the analyzer').not.toMatch(/libduckdb/);
    const mapped = bpfMapBytes(maps);
    expect(mapped, 'ring pages mapped').toBeGreaterThan(0);
    expect(mapped, `ring pages mapped (the whole ring would be ${2 * RING_MB} MiB)`).toBeLessThan((RING_MB / 8) << 20);
    // with a command, task_newtask and task_free follow its children whatever is recorded
    const selected = Object.values(PROGRAMS).filter((p) => p.group === 'task' || p.group === 'sched');
    expect(progs, 'BPF programs loaded').toBe(selected.length);
    expect(progs).toBeLessThan(Object.keys(PROGRAMS).length);

    const man = readManifest(dir);
    expect(man.complete).toBe(true);
    expect(man.options.kallsyms, 'the default').toBe('used');
    expect(existsSync(join(dir, 'kallsyms.0000.arrows')), 'kallsyms table file').toBe(true);
    expect(rows(dir, 'kallsyms'), 'no kernel address recorded: no symbols').toBe(0);
    expect(rows(dir, 'process_snapshot')).toBeGreaterThan(0);
    const a = ktape(['analyze', dir, '--json']);
    expect(a.status, a.stderr).toBe(0);

    // the tables of the families not recorded got no row, so no file (format 1.6); the recorded ones have theirs from the start
    const files = readdirSync(dir);
    const recorded = (g?: string) => g === undefined || g === 'task' || g === 'sched';
    for (const t of TABLES.filter((x) => !recorded(x.group)))
      expect(
        files.filter((f) => f.startsWith(`${t.name}.`)),
        `${t.name}: no file`,
      ).toEqual([]);
    for (const t of TABLES.filter((x) => x.role === 'event' && recorded(x.group) && !notInFormat(x, FORMAT_VERSION)))
      expect(files, `${t.name}: its file`).toContain(`${t.name}.0000.arrows`);
    // and every reader takes them as empty tables
    const q = ktape([
      'query',
      dir,
      'SELECT (SELECT count(*) FROM _syscall_enter) + (SELECT count(*) FROM _kmem_alloc) + (SELECT count(*) FROM _block_rq) AS n',
      '--json',
    ]);
    expect(q.status, q.stderr).toBe(0);
    expect(JSON.parse(q.stdout)).toEqual([{ n: 0 }]);
    expect(readTable(dir, 'syscall_enter', { manifest: man }).batches).toEqual([]);
    const e = ktape(['export', dir, '--perfetto', join(dir, '..', 'noop.pftrace')]);
    expect(e.status, e.stderr).toBe(0);
    const c = ktape(['compare', dir, dir]);
    expect(c.status, c.stderr).toBe(0);
  });

  it('the bin (dist/cli/ktape) starts Node without NODE_EXTRA_CA_CERTS; the recorded command gets it back as it was', async () => {
    const base = tmp();
    const dir = join(base, 'ca');
    const ca = join(base, 'extra-ca.pem');
    const first = readFileSync('/etc/ssl/certs/ca-certificates.crt', 'utf8').split('-----END CERTIFICATE-----')[0];
    writeFileSync(ca, `${first}-----END CERTIFICATE-----\n`); // one certificate: the file only has to exist
    const seen = join(base, 'seen');
    const script = `printf '%s|%s' "$NODE_EXTRA_CA_CERTS" "\${KTAPE_EXTRA_CA_CERTS-unset}" > ${seen}; exec sleep 600`;
    const child = spawn(join(ROOT, 'dist/cli/ktape'), ['record', '-q', '-o', dir, '--events', 'task', '--', 'sh', '-c', script], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: ca },
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const m = await liveManifest(dir);
    // the kernel's copy of the environment the recorder (node) was started with
    const environ = readFileSync(`/proc/${m.recorder_tgid}/environ`, 'utf8').split('\0');
    for (let i = 0; i < 500 && !existsSync(seen); i++) await sleep(20);
    child.kill('SIGINT');
    expect(await done, stderr).toBe(0);
    expect(
      environ.filter((e) => e.startsWith('NODE_EXTRA_CA_CERTS=')),
      'node started without it',
    ).toEqual([]);
    expect(environ, 'handed over').toContain(`KTAPE_EXTRA_CA_CERTS=${ca}`);
    expect(readFileSync(seen, 'utf8'), 'the command: the variable as it was, no trace of the hand-over').toBe(`${ca}|unset`);
  });
});
