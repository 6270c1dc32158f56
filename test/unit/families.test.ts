/**
 * The family registry is the one list: every folder under families/ is in
 * it, kinds are unique and fit the kernel side's maps, every program exists
 * in the built BPF object, and no TS file outside families/ names a
 * family's capture table.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

const reg = () => import(join(ROOT, 'dist/families/index.js'));
const gen = () => import(join(ROOT, 'dist/formats/gen/events.gen.js'));

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return n === 'node_modules' || n === 'gen' ? [] : tsFiles(p);
    return n.endsWith('.ts') ? [p] : [];
  });
}

describe('family registry', () => {
  it('lists every family folder once, and each folder has its wire header, BPF programs, tables and SQL', async () => {
    const { FAMILIES } = await reg();
    const folders = readdirSync(join(ROOT, 'families'))
      .filter((n) => statSync(join(ROOT, 'families', n)).isDirectory())
      .sort();
    expect(FAMILIES.map((f: any) => f.name).sort()).toEqual(folders);
    for (const f of folders) {
      for (const file of [`${f}.h`, `${f}.bpf.c`, 'family.ts', 'tables.ts']) expect(existsSync(join(ROOT, 'families', f, file)), `${f}/${file}`).toBe(true);
    }
  });

  it('kinds are unique across families, below KT_KIND_MAX, and each has a main program and a wire struct', async () => {
    const { FAMILIES } = await reg();
    const W = await gen();
    const ids = FAMILIES.flatMap((f: any) => f.kinds.map((k: any) => k.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const f of FAMILIES) {
      for (const k of f.kinds) {
        expect(k.id, k.name).toBeGreaterThan(0);
        expect(k.id, k.name).toBeLessThan(W.KT_KIND_MAX);
        expect(W.SIZEOF[k.struct], `${k.name}: struct ${k.struct}`).toBeGreaterThan(0);
        expect(
          f.programs.some((p: any) => p.kind === k.id && !p.nested),
          `${k.name}: a program`,
        ).toBe(true);
      }
    }
    expect(W.KT_STAT_MAX).toBe(W.KT_STAT_RESCUED + W.KT_KIND_MAX);
  });

  it('every program of the registry is in the built BPF object, and the object has no other', async () => {
    const { FAMILIES } = await reg();
    const names = FAMILIES.flatMap((f: any) => f.programs.map((p: any) => p.name)).sort();
    const out = execFileSync('bpftool', ['btf', 'dump', 'file', join(ROOT, 'bpf/ktape.bpf.o')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const progs = [...out.matchAll(/FUNC '(kt_\w+)' type_id=\d+ linkage=global/g)].map((m) => m[1]).sort();
    expect(progs).toEqual(names);
  });

  it('every event table of a family names the family; every family config section exists', async () => {
    const { FAMILIES } = await reg();
    const out = execFileSync('bpftool', ['btf', 'dump', 'file', join(ROOT, 'bpf/ktape.bpf.o')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    for (const f of FAMILIES) {
      for (const t of f.tables) expect(t.group, t.name).toBe(f.name);
      if (f.bpfConfig) expect(out, `.rodata.${f.name}`).toContain(`DATASEC '.rodata.${f.name}'`);
    }
  });

  it('no TS file outside families/ names a family capture table', async () => {
    const { FAMILIES } = await reg();
    const tables = FAMILIES.flatMap((f: any) => f.tables.map((t: any) => t.name));
    const re = new RegExp(`(['"\`]|\\b_)(${tables.join('|')})\\b`);
    const offenders: string[] = [];
    for (const dir of ['record', 'analyze', 'export', 'formats', 'cli', 'compare', 'html']) {
      for (const f of tsFiles(join(ROOT, dir))) {
        readFileSync(f, 'utf8')
          .split('\n')
          .forEach((line, i) => {
            if (!/^\s*(\*|\/\/|\/\*)/.test(line) && re.test(line)) offenders.push(`${relative(ROOT, f)}:${i + 1}: ${line.trim().slice(0, 100)}`);
          });
      }
    }
    expect(offenders).toEqual([]);
  });
});
