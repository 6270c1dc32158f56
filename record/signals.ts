/**
 * SIGINT/SIGTERM while recording. The first one asks the recording to stop;
 * later ones (a second Ctrl-C while stopping) never abort it: stopping takes
 * about a second and must finish, or the capture is left incomplete. The
 * handlers stay installed from before the programs load until record()
 * returns, so the default action (exit 130) never applies meanwhile.
 */
export class StopSignals {
  /** the first stop request, '' if none yet */
  reason = '';
  private listener: ((why: string) => void) | null = null;
  private warned = false;
  private readonly onInt = () => this.request('SIGINT');
  private readonly onTerm = () => this.request('SIGTERM');

  constructor(private readonly quiet: boolean) {
    process.on('SIGINT', this.onInt);
    process.on('SIGTERM', this.onTerm);
  }

  /** Call `fn` on the first stop request (at once if one already came). */
  onStop(fn: (why: string) => void): void {
    this.listener = fn;
    if (this.reason) setImmediate(() => fn(this.reason));
  }

  private request(why: string): void {
    if (this.reason) {
      if (!this.warned && !this.quiet) process.stderr.write('\nktape: stopping, please wait\n');
      this.warned = true;
      return;
    }
    this.reason = why;
    this.listener?.(why);
  }

  /** The recording is over: stop requests are no longer taken. */
  stopping(): void {
    this.reason ||= 'stopped';
    this.listener = null;
  }

  dispose(): void {
    process.off('SIGINT', this.onInt);
    process.off('SIGTERM', this.onTerm);
  }
}
