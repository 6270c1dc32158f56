/**
 * `ktape record --upload`: an Uploader that follows the capture while it is recorded, in the recorder's
 * event loop (between drains). The writer wakes it when a batch is written (CaptureSink.onBatch); it also
 * looks once a second. The spool is the capture itself: its backlog is the bytes written and not yet
 * acked, and above --spool-max the recorder drops events (counted in losses as `spool_full`, with their
 * window) until the collector has caught up to three quarters of it.
 */
import { fmtBytes } from '../formats/units.js';
import { type UploaderOptions, UploadError, Uploader } from './uploader.js';

const LOOK_EVERY_MS = 1_000;

export class Follower {
  readonly up: Uploader;
  private wake: (() => void) | null = null;
  private finishing = false;
  private loop: Promise<void> | null = null;
  /** the error that ended the upload, if any (the recording goes on: the capture is kept locally) */
  error: UploadError | null = null;
  /** events are being dropped because the backlog is over --spool-max */
  spoolFull = false;

  constructor(
    o: UploaderOptions,
    readonly spoolMax: number,
  ) {
    this.up = new Uploader(o);
  }

  /** A batch was written: look at the capture now. */
  notify(): void {
    this.wake?.();
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const complete = await this.up.round();
        if (complete || (this.finishing && this.up.deadline < Date.now())) return;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, this.finishing ? 50 : LOOK_EVERY_MS);
          this.wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        this.wake = null;
      }
    } catch (e) {
      if (!(e instanceof UploadError)) throw e;
      this.error = e;
      if (!this.finishing) this.up.o.log(`${e.message}; recording goes on locally`);
    }
  }

  /**
   * Is the backlog (bytes written, `written`, less those acked) over --spool-max? Says so on stderr when
   * that changes; the caller drops events while it is.
   */
  full(written: number): boolean {
    if (this.error) return false; // the upload has ended: nothing drains the spool, the local capture is all there is
    const backlog = written - this.up.ackedBytes;
    if (!this.spoolFull && backlog >= this.spoolMax) {
      this.spoolFull = true;
      this.up.o.log(
        `upload spool full: ${fmtBytes(backlog)} recorded and not yet acknowledged by ${this.up.o.url.href} (--spool-max ${fmtBytes(this.spoolMax)}); dropping events until it drains (counted in losses as spool_full)`,
      );
    } else if (this.spoolFull && backlog < (this.spoolMax * 3) / 4) {
      this.spoolFull = false;
      this.up.o.log(`upload spool below --spool-max again (${fmtBytes(backlog)} not yet acknowledged): recording events again`);
    }
    return this.spoolFull;
  }

  /**
   * After the final manifest: send the rest, waiting up to `waitMs` for the collector (SIGINT or SIGTERM
   * cuts the wait short). Throws what ended the upload.
   */
  async finish(waitMs: number): Promise<void> {
    this.finishing = true;
    this.up.deadline = Date.now() + waitMs;
    let cut = false;
    const stop = () => {
      cut = true;
      this.up.deadline = 0;
      this.notify();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    this.notify();
    try {
      await this.loop;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    this.up.save(true);
    this.up.close();
    if (this.error && !this.up.completeSent) throw this.error;
    if (!this.up.completeSent)
      throw new UploadError(
        'E_UPLOAD_INCOMPLETE',
        `${this.up.o.url.href}: the capture is not all uploaded (${cut ? 'interrupted' : `after ${waitMs / 1000} s`}); it is intact locally: run ktape upload ${this.up.o.dir} ${this.up.o.url.href}`,
        'failure',
      );
  }
}
