/**
 * The certificates of NODE_EXTRA_CA_CERTS for ktape's own TLS connections when Node started without them:
 * the bin launcher (dist/cli/ktape, scripts/bundle.mjs) hands the variable over so that Node 20 does not parse
 * the bundle at every start; cli/launch.ts puts it back and notes the file under this symbol. Node trusts its
 * bundled roots plus that file, so a connection gets both; nothing when Node loaded the file itself.
 */
import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';

const DEFERRED_CA = Symbol.for('ktape.deferredExtraCaCerts');

let cached: { ca?: (string | Buffer)[] } | null = null;

/** TLS options to spread into https requests and agents: `{ ca }` when the extra certificates were deferred. */
export function extraCaOptions(): { ca?: (string | Buffer)[] } {
  if (cached) return cached;
  const file = (globalThis as Record<symbol, unknown>)[DEFERRED_CA];
  cached = {};
  if (typeof file !== 'string' || file === '') return cached;
  try {
    cached = { ca: [...rootCertificates, readFileSync(file)] };
  } catch (e) {
    // as Node does when it cannot read the file: a warning, and the bundled roots
    process.emitWarning(`Ignoring extra certs from \`${file}\`, load failed: ${(e as Error).message}`);
  }
  return cached;
}
