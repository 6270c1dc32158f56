/**
 * `ktape analyze/query` of several captures or of a collector directory (DIR/HOST/RECORDING/): which
 * captures the arguments name (formats/captures.ts), and a report over all of them (analyze/hosts.ts,
 * analyze/reports/hosts.ts).
 */
import { statSync } from 'node:fs';
import { openCaptures, type CaptureSet } from '../analyze/hosts.js';
import type { OpenOptions } from '../analyze/db.js';
import { REPORTS, reportSkips, runReport } from '../analyze/reports/index.js';
import { type ReportOptions, type ReportResult, printable } from '../analyze/reports/common.js';
import { type HostReport, mergeHostReports } from '../analyze/reports/hosts.js';
import { type CaptureRef, findCaptures, hasManifest, selectHosts } from '../formats/captures.js';
import { UsageError } from '../formats/errors.js';
import { foldedLines } from '../families/kmem/report.js';

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * The captures the arguments name, filtered by --host; null for one capture directory and no --host
 * (the single-capture path, unchanged: its --db cache, its errors, its output).
 */
export function selectCaptures(paths: string[], hosts: string[]): CaptureRef[] | null {
  if (paths.length === 1 && !hosts.length && (hasManifest(paths[0]) || !isDir(paths[0]))) return null;
  return selectHosts(findCaptures(paths), hosts, paths.join(' '));
}

/**
 * `analyze P... [REPORT]`: the last argument is the report when it names one (and is not the only one);
 * a word that is neither a report nor a directory is a usage error (a path with a / is left to the loader).
 */
export function splitReport(args: string[]): { paths: string[]; report?: string } {
  const last = args.at(-1)!;
  if (args.length > 1 && Object.hasOwn(REPORTS, last)) return { paths: args.slice(0, -1), report: last };
  if (args.length > 1 && !isDir(last) && !last.includes('/'))
    throw new UsageError(
      `command-argument value '${last}' is invalid for argument 'report' (and no capture directory). Allowed choices are ${Object.keys(REPORTS).join(', ')}.`,
    );
  return { paths: args };
}

/** `query P... [SQL]`: the last argument is the SQL when there are several and it is no directory. */
export function splitSql(args: string[]): { paths: string[]; sql?: string } {
  if (args.length > 1 && !isDir(args.at(-1)!)) return { paths: args.slice(0, -1), sql: args.at(-1) };
  return { paths: args };
}

/** Open the captures, each loading only the tables `report` reads. */
export function openSet(refs: CaptureRef[], opts: OpenOptions, report?: string): Promise<CaptureSet> {
  return openCaptures(refs, opts, report ? (m) => reportSkips(report, m) : undefined);
}

/** Each capture's report (its window from its own start), merged under host columns (human: timestamps from each start); --folded: host;stack. */
export async function hostsReport(
  set: CaptureSet,
  name: string,
  options: (cap: CaptureSet['members'][number]['db']) => ReportOptions,
  how: { folded: boolean; human: boolean },
): Promise<ReportResult | string> {
  const parts: HostReport[] = [];
  for (const m of set.members) {
    await set.use(m);
    parts.push({ ref: m, res: await runReport(name, m.db, options(m.db)), startTs: m.db.startTs });
  }
  await set.use(null);
  if (!how.folded) return mergeHostReports(parts, how.human);
  return parts
    .flatMap((p) =>
      foldedLines(p.res)
        .split('\n')
        .filter(Boolean)
        .map((l) => `${printable(p.ref.host)};${l}`),
    )
    .map((l) => `${l}\n`)
    .join('');
}
