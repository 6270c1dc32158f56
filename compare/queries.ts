/**
 * The core SQL of `ktape compare`, in compare/sql/*.sql (one statement per
 * file): the capture, its losses and the thread groups. Each family's
 * metrics are in families/<family>/compare/*.sql. All of them read the
 * analyzer's public views only.
 * Every value (grouping mode, recorder tgid) is bound as a parameter.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** compare/sql, from compare/ (TS runner) or dist/compare/ */
export const SQL_DIR = existsSync(join(here, 'sql')) ? join(here, 'sql') : join(here, '..', '..', 'compare', 'sql');
const sql = (name: string): string => readFileSync(join(SQL_DIR, `${name}.sql`), 'utf8');

export const THREAD_GROUPS = sql('thread_groups');
export const LOSSES = sql('losses');
export const CAPTURE = sql('capture');
