/**
 * The bearer token both sides read from a file (`--token-file`): a secret, so the file must be readable by
 * its owner only (0600 or 0400); the collector compares tokens in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { UsageError } from '../formats/errors.js';

/** The token in `path` (surrounding whitespace trimmed); a one-line UsageError naming the flag otherwise. */
export function readToken(path: string, flag = '--token-file'): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`${flag} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'ELOOP' ? 'is a symbolic link' : `cannot open it (${code})`}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${flag} ${path}: not a regular file`);
    if (st.mode & 0o077)
      throw new UsageError(`${flag} ${path}: mode ${(st.mode & 0o777).toString(8)} lets others read the token; it must be 0600 (chmod 600 ${path})`);
    if (st.size > 4096) throw new UsageError(`${flag} ${path}: ${st.size} bytes; a token is at most 4096 bytes`);
    const token = readFileSync(fd, 'utf8').trim();
    if (!/^[\x21-\x7e]{16,}$/.test(token)) throw new UsageError(`${flag} ${path}: the token must be at least 16 printable ASCII characters, without spaces`);
    return token;
  } finally {
    closeSync(fd);
  }
}

const sha = (s: string) => createHash('sha256').update(s).digest();

/** Does the Authorization header carry `Bearer <token>`? Constant time in the token (both sides hashed to 32 bytes). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer ([\x21-\x7e]+)$/.exec(header ?? '');
  return timingSafeEqual(sha(m ? m[1] : ''), sha(token)) && !!m;
}
