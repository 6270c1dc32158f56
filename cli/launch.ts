/**
 * Loads the bundled CLI (scripts/bundle.mjs: CommonJS chunks in dist/cli/) with V8's code cache.
 * Compiling the ~1 MB of JavaScript a `ktape record` runs was ~0.1 s of CPU at every start; the build
 * writes each chunk's bytecode (`<chunk>.cache`, every function compiled) beside it, and each chunk is
 * compiled here with vm.Script's `cachedData`. A cache V8 rejects (another Node or V8 version) only
 * costs the compile it would have saved. Chunk names carry a hash of their content, so a cache never
 * belongs to other source; the caches are written with the chunks, by the build, never at run time.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { mark } from '../record/phases.js';

type Module = { exports: unknown };

/**
 * dist/cli/ktape (scripts/bundle.mjs) started Node without NODE_EXTRA_CA_CERTS, handing it over as
 * KTAPE_EXTRA_CA_CERTS: put it back, so that the recorded command and every child process get the
 * environment as it was, and note the file for ktape's own TLS connections (ship/extra-ca.ts reads it from
 * this global symbol: this module and the bundled chunks are separate module graphs).
 */
const DEFERRED_CA = Symbol.for('ktape.deferredExtraCaCerts');
function restoreExtraCaCerts(): void {
  const file = process.env.KTAPE_EXTRA_CA_CERTS;
  if (file === undefined) return;
  delete process.env.KTAPE_EXTRA_CA_CERTS;
  if (process.env.NODE_EXTRA_CA_CERTS !== undefined) return; // set again meanwhile: Node loaded that one
  process.env.NODE_EXTRA_CA_CERTS = file;
  (globalThis as Record<symbol, unknown>)[DEFERRED_CA] = file;
}

/** A chunk's source as the function Node's CommonJS loader would make of it (one line: line numbers are kept). */
export function wrapSource(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${source.replace(/^#!.*/, '')}\n})`;
}

/**
 * Run the chunk `entry` of the directory of `mainUrl` (its `./chunk-*` requires load the same way); returns
 * its exports (the CLI's main(), for callers that run commands in process: the fuzz worker).
 */
export function launch(mainUrl: string, entry: string): Record<string, unknown> {
  mark('node start');
  restoreExtraCaCerts();
  const dir = dirname(fileURLToPath(mainUrl));
  const loaded = new Map<string, Module>();
  const load = (file: string): unknown => {
    const have = loaded.get(file);
    if (have) return have.exports;
    const filename = join(dir, file);
    let cachedData: Buffer | undefined;
    try {
      cachedData = readFileSync(`${filename}.cache`);
    } catch {
      // no cache (a build without one): compiled from source
    }
    const script = new Script(wrapSource(readFileSync(filename, 'utf8')), { filename, cachedData });
    const module: Module = { exports: {} };
    loaded.set(file, module);
    const outer = createRequire(filename);
    const require = (id: string) => (id.startsWith('./chunk-') ? load(id.slice(2)) : outer(id));
    script.runInThisContext()(module.exports, require, module, filename, dir);
    return module.exports;
  };
  const exports = load(entry) as Record<string, unknown>;
  mark('bundle loaded');
  return exports;
}
