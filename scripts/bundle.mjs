#!/usr/bin/env node
/**
 * Bundles the CLI that tsc emitted (dist/cli/main.js and everything it
 * imports) into dist/cli/main.js plus one chunk per dynamic import, with
 * rolldown. Node spends most of a short command's start-up resolving and
 * compiling ES modules one file at a time (apache-arrow alone is ~160 files:
 * ~250 ms of CPU); bundled, `ktape record` starts in a fraction of that.
 * Native modules (koffi, DuckDB's @duckdb/node-bindings) stay external; @duckdb/node-api, plain CommonJS over
 * the bindings, is bundled: imported from ESM, Node ran cjs-module-lexer over each of its ~90 files at every
 * start (~0.35 s of CPU of a small `ktape analyze`). The chunks live beside
 * main.js, so record/paths.ts finds the package root from them as from
 * dist/record/. The other dist/ modules stay as tsc wrote them (library use,
 * tests, bench).
 */
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'cli');
const CHUNK = /^chunk-.*\.js(\.map)?$/;

const bundle = await rolldown({
  input: join(out, 'main.js'),
  platform: 'node',
  external: [/^node:/, /^koffi(\/|$)/, /^@duckdb\/node-bindings/],
  logLevel: 'warn',
});
for (const f of readdirSync(out)) if (CHUNK.test(f)) rmSync(join(out, f)); // the previous build's
await bundle.write({ dir: out, format: 'esm', entryFileNames: 'main.js', chunkFileNames: 'chunk-[name]-[hash].js', sourcemap: true });
await bundle.close();
