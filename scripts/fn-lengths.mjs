#!/usr/bin/env node
// Lists functions longer than a limit (default 80 lines) in the given source folders, using the
// TypeScript compiler's parser. Usage: node scripts/fn-lengths.mjs [--max 80] [--json] DIR...
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const args = process.argv.slice(2);
const mi = args.indexOf('--max');
const max = mi >= 0 ? Number(args.splice(mi, 2)[1]) : 80;
const json = args.includes('--json');
const dirs = args.filter((a) => !a.startsWith('--'));
const root = process.cwd();

const files = (d) =>
  readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    if (statSync(p).isDirectory()) return n === 'test' || n === 'gen' || n === 'node_modules' ? [] : files(p);
    return n.endsWith('.ts') && !n.endsWith('.d.ts') && !n.endsWith('.test.ts') ? [p] : [];
  });

const out = [];
for (const f of dirs.flatMap(files)) {
  const src = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true);
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const a = src.getLineAndCharacterOfPosition(n.getStart()).line,
        b = src.getLineAndCharacterOfPosition(n.end).line;
      const name = n.name?.getText?.() ?? (ts.isVariableDeclaration(n.parent) ? n.parent.name.getText() : '(anonymous)');
      if (b - a + 1 > max) out.push({ file: relative(root, f), line: a + 1, name, lines: b - a + 1 });
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
}
if (json) console.log(JSON.stringify(out));
else for (const o of out.sort((x, y) => y.lines - x.lines)) console.log(`${String(o.lines).padStart(4)}  ${o.file}:${o.line}  ${o.name}`);
