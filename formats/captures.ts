/**
 * Find the captures behind the paths given to `ktape analyze/query/compare/convert`: a capture directory
 * (one with a manifest), or a collector directory (`ktape collect --dir DIR` writes DIR/HOST/RECORDING/,
 * each a capture). Walks at most two levels below a path; a link found while walking is refused (the
 * loader never follows one; the path the user typed may be one, as for a single capture).
 *
 *   findCaptures(['collected'])  → [{ dir: 'collected/web1/r1', host: 'web1', recording: 'r1' }, ...]
 */
import { lstatSync, readdirSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { CaptureError, UsageError } from './errors.js';
import { readManifest } from './reader.js';
import { MANIFEST_FILE } from './schema.js';

export interface CaptureRef {
  /** the capture directory */
  dir: string;
  /** the manifest's host name, else the collector's HOST directory name */
  host: string;
  /** the recording directory's name (the collector's RECORDING id) */
  recording: string;
}

/** Does `dir` hold a manifest (a capture, maybe a damaged one)? */
export const hasManifest = (dir: string) => {
  try {
    lstatSync(join(dir, MANIFEST_FILE));
    return true;
  } catch {
    return false;
  }
};

function capture(dir: string, hostDirName: string): CaptureRef {
  const m = readManifest(dir);
  return { dir, host: m.host?.hostname || hostDirName, recording: basename(resolve(dir)) };
}

/** The directories directly below `dir`, sorted; a link is an error, files are not captures. */
function subdirs(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      continue; // removed while we looked
    }
    if (st.isSymbolicLink()) throw new CaptureError('E_CAPTURE_LINK', `${p}: a symbolic link in a collector directory; ktape does not follow links there`);
    if (st.isDirectory()) out.push(p);
  }
  return out;
}

/** The captures of one path: itself, DIR/RECORDING or DIR/HOST/RECORDING. */
function capturesOf(path: string): CaptureRef[] {
  if (hasManifest(path)) return [capture(path, basename(dirname(resolve(path))))];
  let level1: string[];
  try {
    level1 = subdirs(path);
  } catch (e) {
    if (e instanceof CaptureError) throw e;
    readManifest(path); // a missing path, not a directory, unreadable: the loader's own one-line error
    throw e;
  }
  const out: CaptureRef[] = [];
  for (const d of level1) {
    if (hasManifest(d)) out.push(capture(d, basename(resolve(path))));
    else for (const r of subdirs(d)) if (hasManifest(r)) out.push(capture(r, basename(d)));
  }
  if (out.length) return out;
  throw new CaptureError(
    'E_MANIFEST_MISSING',
    `${join(path, MANIFEST_FILE)}: missing; ${path} is not a ktape capture, and holds none below it (a collector directory is DIR/HOST/RECORDING/)`,
  );
}

/** Every capture behind `paths`, in order, each once. Throws CaptureError (exit 2) for a bad path. */
export function findCaptures(paths: string[]): CaptureRef[] {
  const seen = new Set<string>();
  const out: CaptureRef[] = [];
  for (const p of paths)
    for (const c of capturesOf(p)) {
      const key = resolve(c.dir);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(c);
    }
  return out;
}

/** The captures of `hosts` (all of them when none is given); a host with no capture is a usage error (`flag`). */
export function selectHosts(refs: CaptureRef[], hosts: string[], where: string, flag = '--host'): CaptureRef[] {
  if (!hosts.length) return refs;
  for (const h of hosts)
    if (!refs.some((r) => r.host === h))
      throw new UsageError(
        `${flag} ${h}: no capture of that host in ${where} (hosts there: ${[...new Set(refs.map((r) => r.host))].join(', ')})`,
        'E_HOST_UNKNOWN',
      );
  return refs.filter((r) => hosts.includes(r.host));
}
