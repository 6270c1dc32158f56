/**
 * The captures named on a command line: each path is a capture directory (it holds manifest.json) or a
 * collector directory (`ktape collect --dir DIR`: DIR/HOST/RECORDING/ are captures).
 *
 * A minimal stand-in for the analysis-across-hosts work (same signature); the full version replaces it.
 */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { readManifest } from './reader.js';
import { MANIFEST_FILE } from './schema.js';

export interface FoundCapture {
  dir: string;
  /** the recording host: the collector's HOST directory, else the manifest's hostname */
  host: string;
  /** the recording id: the collector's RECORDING directory, else BOOTID8-START_TS (as `ktape upload` names it) */
  recording: string;
}

const isDir = (p: string) => lstatSync(p, { throwIfNoEntry: false })?.isDirectory() === true;

export function findCaptures(paths: string[]): FoundCapture[] {
  const out: FoundCapture[] = [];
  for (const p of paths) {
    if (existsSync(join(p, MANIFEST_FILE))) {
      const m = readManifest(p);
      out.push({ dir: p, host: m.host.hostname, recording: `${m.host.boot_id.slice(0, 8)}-${m.start_ts}` });
      continue;
    }
    const before = out.length;
    if (isDir(p))
      for (const host of readdirSync(p).sort())
        if (!host.startsWith('.') && isDir(join(p, host)))
          for (const rec of readdirSync(join(p, host)).sort())
            if (existsSync(join(p, host, rec, MANIFEST_FILE))) out.push({ dir: join(p, host, rec), host, recording: rec });
    if (out.length > before) continue;
    readManifest(p); // neither a capture nor a collector directory: the capture's own one-line error
    throw new UsageError(`${p}: neither a capture nor a collector directory (no HOST/RECORDING/${MANIFEST_FILE} in it)`);
  }
  return out;
}
