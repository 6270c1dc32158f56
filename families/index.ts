/**
 * The registry of event families: adding a family is its folder plus one
 * line here. The order is the order of --events help, of the tables in
 * formats/capture.md, and of SQL modules that do not depend on each other.
 */
import { cache } from './cache/family.js';
import type { Family } from './family.js';
import { fault } from './fault/family.js';
import { files } from './files/family.js';
import { io } from './io/family.js';
import { kmem } from './kmem/family.js';
import { net } from './net/family.js';
import { sched } from './sched/family.js';
import { signal } from './signal/family.js';
import { syscall } from './syscall/family.js';
import { task } from './task/family.js';
import { tcp } from './tcp/family.js';

export const FAMILIES: readonly Family[] = [task, sched, syscall, kmem, signal, io, fault, cache, tcp, net, files];
