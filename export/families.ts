/** The family export handlers, in the order their events are written (temporary: the family registry will hold them). */
import type { FamilyExport } from './handlers.js';
import { schedExport } from '../families/sched/export.js';
import { taskExport } from '../families/task/export.js';
import { syscallExport } from '../families/syscall/export.js';
import { kmemExport } from '../families/kmem/export.js';

export const FAMILY_EXPORTS: readonly FamilyExport[] = [taskExport, schedExport, syscallExport, kmemExport];
