/** syscall decoder: both kinds are plain copies of wire fields, decoded in C (record/copy-decoder.ts PlanSpec). */
import * as W from '../../formats/gen/events.gen.js';
import type { FamilyDecoder } from '../family.js';
import { TABLES } from './tables.js';

const T = (name: string) => TABLES.find((t) => t.name === name)!;
const ARGS = Object.fromEntries([0, 1, 2, 3, 4, 5].map((i) => [`arg${i}`, `args[${i}]`]));

export const syscallDecoder = (): FamilyDecoder => ({
  handlers: {},
  plans: {
    [W.KT_SYS_ENTER]: { struct: 'kt_sys_enter', table: T('syscall_enter'), rename: ARGS },
    [W.KT_SYS_EXIT]: { struct: 'kt_sys_exit', table: T('syscall_exit') },
  },
});
