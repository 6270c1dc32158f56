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
 *
 * The chunks are CommonJS, loaded by cli/launch.ts (dist/cli/main.js becomes a
 * two-line call of it) with V8's code cache: each chunk's `.cache`, written here
 * with every function compiled (--no-lazy while compiling, the default flags back
 * before serializing, so that V8 accepts the cache at run time). A no-op `ktape
 * record` spent ~0.1 s compiling; Node 20 has no compile cache of its own for ES
 * modules (module.enableCompileCache is Node 22), and CommonJS through Node's
 * ESM loader would not take one.
 */
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { rolldown } from 'rolldown';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'cli');
/** the previous build's output (chunks of ES modules before the CommonJS ones) */
const OLD = /^(chunk-.*\.c?js|ktape-.*\.cjs)(\.map|\.cache)?$/;

const bundle = await rolldown({
  input: join(out, 'main.js'),
  platform: 'node',
  external: [/^node:/, /^koffi(\/|$)/, /^@duckdb\/node-bindings/],
  logLevel: 'warn',
});
for (const f of readdirSync(out)) if (OLD.test(f)) rmSync(join(out, f));
const { output } = await bundle.write({
  dir: out,
  format: 'cjs',
  entryFileNames: 'ktape-[hash].cjs',
  chunkFileNames: 'chunk-[name]-[hash].cjs',
  sourcemap: true,
});
await bundle.close();

// The bytecode of every function of every chunk, compiled as cli/launch.ts compiles it.
const { wrapSource } = await import(join(out, 'launch.js'));
for (const c of output) {
  if (c.type !== 'chunk') continue;
  const filename = join(out, c.fileName);
  setFlagsFromString('--no-lazy');
  const script = new Script(wrapSource(readFileSync(filename, 'utf8')), { filename });
  setFlagsFromString('--lazy');
  writeFileSync(`${filename}.cache`, script.createCachedData());
}
const entry = output.find((c) => c.type === 'chunk' && c.isEntry).fileName;
writeFileSync(
  join(out, 'main.js'),
  `#!/usr/bin/env node\n// written by scripts/bundle.mjs: the CLI is ${entry} and its chunks, loaded with their code cache\nimport { launch } from './launch.js';\nexport const { main } = launch(import.meta.url, '${entry}');\n`,
);

// dist/cli/main.cjs: the same as CommonJS, for the launcher below: Node then starts no ES module loader (~10 ms of CPU)
const launchCjs = await rolldown({ input: join(out, 'launch.js'), platform: 'node', external: [/^node:/], logLevel: 'warn' });
await launchCjs.write({ file: join(out, 'launch.cjs'), format: 'cjs' });
await launchCjs.close();
writeFileSync(
  join(out, 'main.cjs'),
  `// written by scripts/bundle.mjs: main.js as CommonJS (dist/cli/ktape runs this one)\nconst { launch } = require('./launch.cjs');\nmodule.exports = launch(require('node:url').pathToFileURL(__filename).href, '${entry}');\n`,
);

/*
 * dist/cli/ktape, the package's bin: a POSIX sh launcher of main.cjs. Node 20 reads and parses the whole
 * NODE_EXTRA_CA_CERTS bundle when it starts, before any JavaScript runs, whatever the command (~90 ms of CPU
 * with Debian's 140 certificates, as much as the rest of `ktape record -- true`'s start-up). The launcher
 * hands the variable over as KTAPE_EXTRA_CA_CERTS instead; cli/launch.ts puts it back into the environment
 * at once (the recorded command and every child get it as it was) and ktape's own TLS connections (the
 * uploader) add those certificates themselves (ship/extra-ca.ts). `node dist/cli/main.js` still works, and
 * still pays for the bundle.
 */
const launcher = join(out, 'ktape');
writeFileSync(
  launcher,
  `#!/bin/sh
# written by scripts/bundle.mjs: runs main.cjs beside this file (through npm's bin symlink too), with
# NODE_EXTRA_CA_CERTS handed over as KTAPE_EXTRA_CA_CERTS so that Node does not parse it at start-up
# (cli/launch.ts restores it; ship/extra-ca.ts loads it for ktape's own TLS connections).
if [ -n "\${NODE_EXTRA_CA_CERTS:-}" ]; then
  KTAPE_EXTRA_CA_CERTS=$NODE_EXTRA_CA_CERTS
  export KTAPE_EXTRA_CA_CERTS
  unset NODE_EXTRA_CA_CERTS
fi
self=$(readlink -f -- "$0") || exit 127
exec node "\${self%/*}/main.cjs" "$@"
`,
);
chmodSync(launcher, 0o755);
