/**
 * `ktape compare BASE NEW` (or `compare DIR --host A --host B`): public entry point. Opens both captures with the
 * analyzer, collects per-group metrics, compares them.
 */
import { FAMILIES } from '../families/index.js';
import { chmodSync, writeFileSync } from 'node:fs';
import { openCapture, type CaptureDb } from '../analyze/db.js';
import { CaptureError, KtapeError, UsageError } from '../formats/errors.js';
import { readManifest } from '../formats/reader.js';
import { type CaptureRef, findCaptures, selectHosts } from '../formats/captures.js';
import { compareMetrics, type CompareOptions, type CompareResult } from './compare.js';
import { foldedDiff } from './folded.js';
import { collect, type CaptureMetrics } from './metrics.js';

export interface RunOptions extends CompareOptions {
  foldedDiff?: string;
  /** called while each capture is open (after its metrics): the HTML page reads its distributions here */
  onCapture?: (cap: CaptureDb, which: 'BASE' | 'NEW') => Promise<void>;
}

export interface RunResult {
  result: CompareResult;
  foldedLines?: number;
  /** the metrics of both captures (their allocation stacks draw the HTML page's differential flame graph) */
  metrics: { base: CaptureMetrics; next: CaptureMetrics };
}

async function open(dir: string, which: 'BASE' | 'NEW'): Promise<CaptureDb> {
  try {
    readManifest(dir);
    return await openCapture(dir);
  } catch (e) {
    if (e instanceof CaptureError) throw new CaptureError(e.code, `compare ${which}: ${e.message}`);
    if (e instanceof KtapeError) throw new KtapeError(e.code, `compare ${which}: ${e.message}`, e.exitCode);
    throw e;
  }
}

export async function runCompare(baseDir: string, newDir: string, o: RunOptions): Promise<RunResult> {
  // check both manifests first: a bad NEW fails before BASE is loaded
  for (const [d, w] of [
    [baseDir, 'BASE'],
    [newDir, 'NEW'],
  ] as const) {
    try {
      readManifest(d);
    } catch (e) {
      if (e instanceof CaptureError) throw new CaptureError(e.code, `compare ${w}: ${e.message}`);
      throw e;
    }
  }
  let base: CaptureMetrics, next: CaptureMetrics;
  {
    const cap = await open(baseDir, 'BASE');
    try {
      base = await collect(cap, o.by, 'BASE');
      await o.onCapture?.(cap, 'BASE');
    } finally {
      cap.close();
    }
  }
  {
    const cap = await open(newDir, 'NEW');
    try {
      next = await collect(cap, o.by, 'NEW');
      await o.onCapture?.(cap, 'NEW');
    } finally {
      cap.close();
    }
  }
  const result = compareMetrics(base, next, o);
  let foldedLines: number | undefined;
  if (o.foldedDiff) {
    const stackFamilies = FAMILIES.filter((f) => f.compare?.stacks).map((f) => f.name);
    const missing = [
      ['BASE', base],
      ['NEW', next],
    ]
      .filter(([, m]) => !stackFamilies.some((f) => (m as CaptureMetrics).info.events.includes(f)))
      .map(([w, m]) => `${w} ${(m as CaptureMetrics).info.dir}`);
    if (missing.length)
      throw new UsageError(
        `compare --folded-diff: ${missing.join(' and ')} recorded no ${stackFamilies.join('/')} events, so there are no allocation stacks; record both with --events including ${stackFamilies.join(',')}`,
        'E_COMPARE_NO_KMEM',
      );
    const lines = foldedDiff(base, next);
    try {
      writeFileSync(o.foldedDiff, lines.length ? `${lines.join('\n')}\n` : '', { mode: 0o600 }); // kernel stacks, process names
      chmodSync(o.foldedDiff, 0o600); // also when it existed
    } catch (e) {
      throw new UsageError(
        `compare --folded-diff ${o.foldedDiff}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a writable path`,
        'E_COMPARE_WRITE',
      );
    }
    foldedLines = lines.length;
  }
  return { result, foldedLines, metrics: { base, next } };
}

/** The one capture of `host` in `set` (a collector directory or a capture); none or several is a usage error. */
function hostCapture(set: string, host: string, which: 'BASE' | 'NEW'): string {
  let refs: CaptureRef[];
  try {
    refs = selectHosts(findCaptures([set]), [host], set, 'compare --host');
  } catch (e) {
    if (e instanceof KtapeError) throw new KtapeError(e.code, `compare ${which}: ${e.message}`, e.exitCode);
    throw e;
  }
  if (refs.length > 1)
    throw new UsageError(
      `compare --host ${host}: ${refs.length} recordings of that host in ${set} (${refs.map((r) => r.recording).join(', ')}); pass the capture directories themselves`,
      'E_HOST_AMBIGUOUS',
    );
  return refs[0].dir;
}

/**
 * BASE and NEW from the command line: `compare BASE NEW` (two captures), `compare DIR --host A --host B`
 * (host A's capture in DIR against host B's), `compare SET1 SET2 --host H` (host H's in each) or
 * `compare SET1 SET2 --host A --host B`.
 */
export function compareDirs(base: string, next: string | undefined, hosts: string[]): [string, string] {
  if (hosts.length > 2) throw new UsageError(`compare --host: given ${hosts.length} times; give one (the same host in BASE and NEW) or two (BASE's, NEW's)`);
  if (!hosts.length) {
    if (next === undefined) throw new UsageError("missing required argument 'new'");
    return [base, next];
  }
  if (next === undefined && hosts.length === 1)
    throw new UsageError(`compare ${base} --host ${hosts[0]}: one capture set needs two hosts (--host A --host B), or give a second set`);
  return [hostCapture(base, hosts[0], 'BASE'), hostCapture(next ?? base, hosts.at(-1)!, 'NEW')];
}
