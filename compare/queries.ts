/**
 * SQL of `ktape compare`, in compare/sql/*.sql (one statement per file), on
 * top of the analyzer's public views only (threads, processes, sched_slices,
 * thread_state, syscalls, allocations, stacks, losses, capture).
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
export const CPU = sql('cpu');
export const SCHED_LATENCY = sql('sched_latency');
export const SYSCALLS = sql('syscalls');
export const KMEM = sql('kmem');
export const TASKS = sql('tasks');
export const ALLOC_STACKS = sql('alloc_stacks');
export const LOSSES = sql('losses');
export const CAPTURE = sql('capture');
