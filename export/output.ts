/**
 * Buffered, synchronous file output for the exporters: bytes go to the file
 * in 1 MiB chunks as they are produced, so memory stays bounded whatever the
 * trace size.
 */
import { closeSync, fchmodSync, openSync, writeSync } from 'node:fs';
import { ExportError } from './errors.js';

const CHUNK = 1 << 20;

export class FileSink {
  private fd: number;
  private buf = Buffer.allocUnsafe(CHUNK);
  private len = 0;
  /** bytes handed to write() so far */
  bytes = 0;

  private lastProgress = 0;
  /** onProgress(bytes written so far) is called at most 4 times a second (TTY progress) */
  constructor(
    readonly path: string,
    private readonly onProgress?: (bytes: number) => void,
  ) {
    try {
      this.fd = openSync(path, 'w', 0o600); // traces carry command lines and kernel addresses
      fchmodSync(this.fd, 0o600); // also when overwriting an existing file
    } catch (e) {
      throw new ExportError(
        'E_EXPORT_OUTPUT',
        `export: cannot create ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the directory exists and is writable`,
      );
    }
  }

  write(data: Uint8Array): void {
    this.bytes += data.length;
    if (data.length > CHUNK - this.len) {
      this.flush();
      if (data.length >= CHUNK) {
        this.writeAll(data);
        return;
      }
    }
    this.buf.set(data, this.len);
    this.len += data.length;
  }

  writeString(s: string): void {
    // worst case 3 bytes per UTF-16 unit
    if (s.length * 3 > CHUNK - this.len) {
      this.flush();
      if (s.length * 3 >= CHUNK) {
        const b = Buffer.from(s, 'utf8');
        this.bytes += b.length;
        this.writeAll(b);
        return;
      }
    }
    const n = this.buf.write(s, this.len, 'utf8');
    this.len += n;
    this.bytes += n;
  }

  flush(): void {
    if (this.len > 0) {
      this.writeAll(this.buf.subarray(0, this.len));
      this.len = 0;
    }
    if (this.onProgress) {
      const now = Date.now();
      if (now - this.lastProgress >= 250) {
        this.lastProgress = now;
        this.onProgress(this.bytes);
      }
    }
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private writeAll(b: Uint8Array): void {
    let off = 0;
    try {
      while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    } catch (e) {
      throw new ExportError(
        'E_EXPORT_WRITE',
        `export: writing ${this.path} failed (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check free disk space`,
      );
    }
  }
}
