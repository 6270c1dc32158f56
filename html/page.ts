/**
 * One self-contained HTML page: the page script and styles that the build bundled (dist/html/client.js,
 * client.css: scripts/bundle-page.mjs) and the data, all inlined. The data is JSON in a non-executed script
 * element with every `<`, `>`, `&` and line separator escaped, so no string from a capture can end the
 * element; the page sets strings as text. A Content-Security-Policy lets only the page's own script run
 * (its hash) and allows no fetch of any kind (default-src 'none').
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, fchmodSync, ftruncateSync, lstatSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { KtapeError, UsageError } from '../formats/errors.js';
import { jsonReplacer } from '../analyze/reports/common.js';
import { pkgPath } from '../record/paths.js';
import type { HtmlSection } from '../families/family.js';

export interface PageData {
  title: string;
  subtitle: string;
  /** columns of unit ts are shown from this instant (ns since boot) */
  start_ts: number;
  /** the red banner's lines (losses, kernel gaps, breached rules): empty = no banner */
  banner: string[];
  facts: { fact: string; value: string }[];
  sections: HtmlSection[];
  /** one line per section left out (e.g. how to record it) */
  notes: string[];
}

const SEP = /[<>&\u2028\u2029]/g;
const ESC: Record<string, string> = { '<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029' };

/** JSON that is safe inside a script element (and still the same JSON). */
export function scriptJson(data: unknown): string {
  return JSON.stringify(data, jsonReplacer).replace(SEP, (c) => ESC[c]);
}

const textHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function asset(name: string): string {
  try {
    return readFileSync(pkgPath(`dist/html/${name}`), 'utf8');
  } catch (e) {
    throw new KtapeError('E_HTML_ASSET', `dist/html/${name}: missing (${(e as NodeJS.ErrnoException).code}); run npm run build`, 'failure');
  }
}

export function renderPage(data: PageData): string {
  // a `</script` inside the bundle's strings would end the element: `<\/` means the same in JavaScript strings
  const js = asset('client.js').replace(/<\/(script)/gi, '<\\/$1');
  const hash = createHash('sha256').update(js).digest('base64');
  const csp = `default-src 'none'; script-src 'sha256-${hash}'; style-src 'unsafe-inline'; img-src data:`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${textHtml(data.title)}</title>
<style>${asset('client.css')}</style>
</head><body><main id="main"></main>
<script type="application/json" id="ktape-data">${scriptJson(data)}</script>
<script>${js}</script>
</body></html>
`;
}

/** Refuse an output path that cannot be written before any work: a missing directory, a symbolic link, a directory. */
export function checkOutput(file: string, flag: string): void {
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new UsageError(`${flag} ${file}: directory ${dir} does not exist; create it first`, 'E_HTML_WRITE');
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (st?.isSymbolicLink()) throw new UsageError(`${flag} ${file}: is a symbolic link; pass a regular file`, 'E_HTML_WRITE');
  if (st && !st.isFile()) throw new UsageError(`${flag} ${file}: exists and is not a regular file`, 'E_HTML_WRITE');
}

/** Write the page 0600 (it holds process names, command lines, kernel stacks), never through a symbolic link. */
export function writePage(file: string, flag: string, html: string): void {
  try {
    const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    try {
      fchmodSync(fd, 0o600); // also when it existed
      ftruncateSync(fd, 0);
      writeSync(fd, html);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new UsageError(
      `${flag} ${file}: cannot write it (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); pass a writable path`,
      'E_HTML_WRITE',
    );
  }
}
