/** Whether a capture has the waits paired in the kernel (sched_wait) and migration flags (format 1.2 on). */
import { versionLess } from '../../formats/version.js';
import type { Manifest } from '../../formats/schema.js';

export function hasPairedWaits(manifest: Manifest): boolean {
  return !versionLess(manifest.format_version, '1.2') && manifest.options?.sched_wait !== false;
}
