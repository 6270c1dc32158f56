/**
 * Whether a capture has the waits paired in the kernel and migration flags: formats 1.2 to 1.8 in the
 * sched_wait table, from 1.9 on in sched_switch.next_wait_ns (with the sleeps in sched_waking.slept_ns).
 */
import { versionLess } from '../../formats/version.js';
import type { Manifest } from '../../formats/schema.js';

export function hasPairedWaits(manifest: Manifest): boolean {
  if (versionLess(manifest.format_version, '1.2')) return false;
  if (versionLess(manifest.format_version, '1.9')) return manifest.options?.sched_wait !== false;
  return manifest.options?.paired_waits === true;
}

/** Waits stored on the switch rows and sleeps on the wakeups (format 1.9 on), else in the sched_wait table (or derived). */
export function waitsOnSwitch(manifest: Manifest): boolean {
  return hasPairedWaits(manifest) && !versionLess(manifest.format_version, '1.9');
}
