/**
 * `ktape compare BASE NEW`: public entry point. Opens both captures with the
 * analyzer, collects per-group metrics, compares them.
 */
import { FAMILIES } from '../families/index.js';
import { chmodSync, writeFileSync } from 'node:fs';
import { openCapture, type CaptureDb } from '../analyze/db.js';
import { CaptureError, KtapeError, UsageError } from '../formats/errors.js';
import { readManifest } from '../formats/reader.js';
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
