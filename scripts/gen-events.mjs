#!/usr/bin/env node
// Generates formats/gen/events.gen.ts from bpf/events.h and every family's
// wire header (families/<family>/<family>.h): struct sizes, field offsets,
// field types and enum values, measured by compiling a probe with the C
// compiler (so the TS decoder uses exactly the layout the kernel side writes).
// Usage: node scripts/gen-events.mjs [--check]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const familyHeaders = readdirSync(join(root, 'families'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'families', d.name, `${d.name}.h`)))
  .map((d) => `families/${d.name}/${d.name}.h`)
  .sort();
const headers = ['bpf/events.h', ...familyHeaders];
const header = headers.map((h) => readFileSync(join(root, h), 'utf8')).join('\n');
const out = join(root, 'formats/gen/events.gen.ts');

const structs = [];
for (const m of header.matchAll(/struct (kt_\w+) \{([^}]*)\};/g)) {
  const fields = [];
  for (const line of m[2].split('\n')) {
    const f = line
      .replace(/\/\*.*?\*\//g, '')
      .trim()
      .match(/^(struct \w+|__[us]\d+|char)\s+(\w+)(\[[^\]]+\])?;/);
    if (f) fields.push({ name: f[2], type: f[1].startsWith('struct') ? 'struct' : f[1] === 'char' ? 'char' : f[1].slice(2) + (f[3] ? '[]' : '') });
  }
  structs.push({ name: m[1], fields });
}
const enums = [];
for (const m of header.matchAll(/enum (kt_\w+) \{([^}]*)\};/g)) {
  for (const e of m[2].matchAll(/(KT_\w+)\s*=\s*(\d+)/g)) enums.push([m[1], e[1]]);
}
const defines = [...header.matchAll(/#define (KT_\w+) (\d+)/g)].map((m) => m[1]);

let c = `#include <stdio.h>\n#include <stddef.h>\n${headers.map((h) => `#include "${join(root, h)}"\n`).join('')}int main(void){\n`;
for (const s of structs) {
  c += `printf("S ${s.name} %zu\\n", sizeof(struct ${s.name}));\n`;
  for (const { name: f } of s.fields)
    c += `printf("F %s ${f} %zu %zu\\n", "${s.name}", offsetof(struct ${s.name}, ${f}), sizeof(((struct ${s.name}*)0)->${f}));\n`;
}
for (const [, e] of enums) c += `printf("E ${e} %d\\n", (int)${e});\n`;
for (const d of defines) c += `printf("D ${d} %d\\n", (int)${d});\n`;
c += 'return 0;}\n';

const dir = mkdtempSync(join(tmpdir(), 'ktape-gen-'));
try {
  writeFileSync(join(dir, 'probe.c'), c);
  execFileSync('cc', ['-I', join(root, 'bpf'), '-o', join(dir, 'probe'), join(dir, 'probe.c')]);
  const lines = execFileSync(join(dir, 'probe'), { encoding: 'utf8' }).trim().split('\n');
  let ts = `// DO NOT EDIT. Generated from ${headers.join(', ')} by scripts/gen-events.mjs.\n`;
  ts += '// Run `npm run gen:events` after changing a wire header.\n\n';
  const sizes = {},
    fields = {};
  for (const l of lines) {
    const p = l.split(' ');
    if (p[0] === 'D') ts += `export const ${p[1]} = ${p[2]};\n`;
  }
  ts += '\n/** enum values: kinds (enum kt_<family>_kind) and counters (enum kt_stat) */\n';
  for (const l of lines) {
    const p = l.split(' ');
    if (p[0] === 'E') ts += `export const ${p[1]} = ${p[2]};\n`;
    if (p[0] === 'S') {
      sizes[p[1]] = +p[2];
      fields[p[1]] = {};
    }
    if (p[0] === 'F') fields[p[1]][p[2]] = [+p[3], +p[4]];
  }
  ts += '\n/** struct sizes in bytes */\nexport const SIZEOF = {\n';
  for (const s of structs) ts += `  ${s.name}: ${sizes[s.name]},\n`;
  ts += '} as const;\n\n/** field offsets in bytes: OFF.struct.field */\nexport const OFF = {\n';
  for (const s of structs) {
    ts += `  ${s.name}: {\n`;
    for (const { name: f } of s.fields) ts += `    ${f}: ${fields[s.name][f][0]},\n`;
    ts += '  },\n';
  }
  ts += '} as const;\n\n/** field sizes in bytes: FSIZE.struct.field */\nexport const FSIZE = {\n';
  for (const s of structs) {
    ts += `  ${s.name}: {\n`;
    for (const { name: f } of s.fields) ts += `    ${f}: ${fields[s.name][f][1]},\n`;
    ts += '  },\n';
  }
  ts += '} as const;\n\n/** field C types (u32, s64, char, u64[] ...): FTYPE.struct.field */\nexport const FTYPE = {\n';
  for (const s of structs) {
    ts += `  ${s.name}: {\n`;
    for (const { name: f, type } of s.fields) ts += `    ${f}: '${type}',\n`;
    ts += '  },\n';
  }
  ts += '} as const;\n';
  if (process.argv.includes('--check')) {
    const cur = existsSync(out) ? readFileSync(out, 'utf8') : '';
    if (cur !== ts) {
      console.error('formats/gen/events.gen.ts is stale: run `npm run gen:events`');
      process.exit(1);
    }
    console.log('formats/gen/events.gen.ts is up to date');
  } else {
    writeFileSync(out, ts);
    console.log(`wrote ${out}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
