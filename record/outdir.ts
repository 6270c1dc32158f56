/**
 * The capture directory and the files in it, created safely even when root
 * records into a directory other users can reach:
 *  - `-o PATH` must be a new directory, or an existing empty one owned by us
 *    (not a symlink; made 0700 if group/others could write it);
 *  - every file is created O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600, so a planted
 *    file or symlink is never written through;
 *  - the manifest is replaced atomically (random tmp name, fsync, rename):
 *    the previous one stays valid if the new one cannot be written.
 * Failures are one line naming `-o PATH` and the cause (UsageError, exit 2).
 */
import {
  chmodSync,
  closeSync,
  constants,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  renameSync,
  statfsSync,
  unlinkSync,
  writevSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../formats/errors.js';

const PSEUDO_FS: Record<number, string> = {
  40864: 'procfs',
  1650812274: 'sysfs',
  1684170528: 'debugfs',
  1953653091: 'tracefs',
  2613483: 'cgroupfs',
  1667723888: 'cgroup2fs',
  3405662737: 'bpffs',
  1935894131: 'securityfs',
};

const errText = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  const m = /^[A-Z]+: ([^,]+)/.exec(err?.message ?? '');
  return m ? m[1] : String(err?.message ?? e);
};

/** The kernel pseudo-filesystem (procfs, sysfs, ...) `path` or its nearest existing ancestor is on, if any. */
function pseudoFs(path: string): string | null {
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      return PSEUDO_FS[statfsSync(p).type] ?? null;
    } catch {
      if (p === '/') return null;
    }
  }
}

const refuse = (dir: string, why: string) => new UsageError(`-o ${dir}: ${why}`, 'E_OUTPUT_DIR');

function lstatOrNull(p: string) {
  try {
    return lstatSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** mkdir one component; errors name -o and the cause. */
function mkdirOne(dir: string, p: string, mode: number): void {
  try {
    mkdirSync(p, { mode });
  } catch (e) {
    const fs = pseudoFs(p);
    const where = fs ? ` (${p === resolve(dir) ? 'it' : dirname(p)} is on ${fs}, a kernel filesystem)` : '';
    throw refuse(dir, `cannot create directory ${p}: ${errText(e)}${where}; choose a capture directory on a real filesystem`);
  }
}

/** Create the missing parents of `abs`, one component at a time (no recursive mkdir: it loops on procfs). */
function makeParents(dir: string, abs: string): void {
  const parts = dirname(abs).split('/').filter(Boolean);
  let p = '';
  for (const part of parts) {
    p += `/${part}`;
    const st = lstatOrNull(p);
    if (st?.isDirectory() || st?.isSymbolicLink()) continue; // an existing symlinked parent is the admin's choice
    if (st) throw refuse(dir, `${p} is not a directory`);
    mkdirOne(dir, p, 0o755);
  }
}

/** Check an existing `-o` directory: ours, not a symlink, empty; made 0700. */
function checkExisting(dir: string, abs: string): void {
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) throw refuse(dir, 'is a symbolic link; choose a new capture directory');
  if (!st.isDirectory()) throw refuse(dir, 'exists and is not a directory; choose a new capture directory');
  const euid = process.geteuid?.() ?? 0;
  if (st.uid !== euid) throw refuse(dir, `directory is owned by uid ${st.uid}, not by this user (uid ${euid}); choose a new capture directory`);
  const notEmpty = () => refuse(dir, 'directory exists and is not empty; choose a new capture directory');
  if (readdirSync(abs).length > 0) throw notEmpty();
  // Ours and empty: close it to others, then check again (nobody can add to it after the chmod).
  if ((st.mode & 0o777) !== 0o700) chmodSync(abs, 0o700);
  if (readdirSync(abs).length > 0) throw notEmpty();
}

/** Make `dir` a fresh, private (0700) capture directory. */
export function prepareOutDir(dir: string): void {
  const abs = resolve(dir);
  try {
    const st = lstatOrNull(abs);
    if (st) {
      checkExisting(dir, abs);
      return;
    }
    makeParents(dir, abs);
    mkdirOne(dir, abs, 0o700);
    chmodSync(abs, 0o700); // umask may have removed owner bits
    const made = lstatSync(abs);
    if (!made.isDirectory() || made.uid !== (process.geteuid?.() ?? 0)) throw refuse(dir, 'directory was replaced while being created');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOTDIR' ? 'a parent of it is not a directory' : errText(e);
    throw refuse(dir, `${why}; choose a new capture directory`);
  }
}

const O_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Create a new file (never an existing one, never through a symlink), 0600. Throws the errno error. */
export function createFile(path: string): number {
  return openSync(path, O_NEW, 0o600);
}

/** write(2) all of `data` at the file position, looping over short writes. */
export function writeAll(fd: number, data: Uint8Array): void {
  writevAll(fd, [data]);
}

/**
 * Write every chunk, in order, in as few writev(2) calls as the kernel takes (a short write goes on where it stopped;
 * empty chunks are skipped, so a write of nothing is no write). `chunks` is consumed.
 */
export function writevAll(fd: number, chunks: Uint8Array[]): void {
  for (let i = 0; ; ) {
    while (i < chunks.length && chunks[i].byteLength === 0) i++;
    if (i === chunks.length) return;
    const n = writevSync(fd, chunks.slice(i, i + IOV_MAX));
    if (n <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    let left = n;
    while (i < chunks.length && left >= chunks[i].byteLength) left -= chunks[i++].byteLength;
    if (left > 0) chunks[i] = chunks[i].subarray(left);
  }
}
/** the iovecs one writev takes (Linux UIO_MAXIOV) */
const IOV_MAX = 1024;

function fsyncDir(dir: string): void {
  let fd = -1;
  try {
    fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
    fsyncSync(fd);
  } catch {
    // best effort: the rename itself is atomic
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/**
 * Replace `dir/name` atomically: write a tmp file with a random name (O_EXCL,
 * no symlinks), fsync (unless `sync` is false: scratch files), rename over. If anything fails the tmp file is removed,
 * the previous file is untouched, and the errno error is thrown. The name
 * needs no cryptographic randomness (O_EXCL refuses any file already there, in
 * a directory only we can write): Math.random spares loading node:crypto
 * (~8 ms of CPU at every `ktape record`).
 */
export function replaceFile(dir: string, name: string, data: string | Uint8Array, sync = true): number {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const tmp = join(dir, `.${name}.${process.pid}.${Math.random().toString(36).slice(2, 10)}.tmp`);
  let fd = -1;
  try {
    fd = createFile(tmp);
    writeAll(fd, bytes);
    if (sync) fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, join(dir, name));
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    throw e;
  }
  if (sync) fsyncDir(dir);
  return bytes.byteLength;
}
