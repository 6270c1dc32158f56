/**
 * tracefs: libbpf reads a `tp/` program's tracepoint id there, and the net family the kernel's drop reason
 * names. A fresh host may not have it mounted; then the recorder mounts it at /sys/kernel/tracing, as
 * trace-cmd does (and leaves it mounted, as trace-cmd does).
 */
import { existsSync } from 'node:fs';
import koffi from 'koffi';
import { BpfError } from '../formats/errors.js';
import { errno, strerror } from './libbpf.js';

export const TRACEFS = '/sys/kernel/tracing';
/** libbpf's other place (the debugfs automount), used when it exists */
const DEBUGFS_TRACING = '/sys/kernel/debug/tracing';

let mountFn: ((src: string, target: string, type: string, flags: number, data: null) => number) | null = null;

/** The tracefs directory that has events/, mounting tracefs at /sys/kernel/tracing when none has; `why` names the user. */
export function tracefsDir(why: string): string {
  if (!existsSync(`${TRACEFS}/events`) && existsSync(`${DEBUGFS_TRACING}/events`)) return DEBUGFS_TRACING;
  mountTracefs(why);
  return TRACEFS;
}

/** tracefs at /sys/kernel/tracing, mounted now when it is not (trace-cmd and perf look there too); `why` names the user. */
export function mountTracefs(why: string): void {
  if (existsSync(`${TRACEFS}/events`)) return;
  const fix = `mount it (mount -t tracefs nodev ${TRACEFS}) and record again`;
  try {
    mountFn ??= koffi.load('libc.so.6').func('int mount(const char *src, const char *target, const char *type, unsigned long flags, const void *data)');
  } catch (e) {
    throw new BpfError('E_BPF_ATTACH', `${why}: tracefs is not mounted, and libc's mount() is not available here (${(e as Error).message}); ${fix}`);
  }
  if (mountFn('nodev', TRACEFS, 'tracefs', 0, null) !== 0 || !existsSync(`${TRACEFS}/events`))
    throw new BpfError('E_BPF_ATTACH', `${why}: tracefs is not mounted and mounting it at ${TRACEFS} failed: ${strerror(errno())}; ${fix}`);
}
