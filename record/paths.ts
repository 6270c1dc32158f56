import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';

/** Package root (works from dist/record/ and from record/ under a TS runner). */
const here = dirname(fileURLToPath(import.meta.url));
export const PKG_ROOT = here.includes('/dist/') ? join(here, '..', '..') : join(here, '..');
export const pkgPath = (p: string) => join(PKG_ROOT, p);
export const KTAPE_VERSION: string = JSON.parse(readFileSync(pkgPath('package.json'), 'utf8')).version;
