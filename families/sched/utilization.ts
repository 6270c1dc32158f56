/**
 * Chrome export: a "utilization" counter per CPU, busy % per UTIL_BUCKET_NS, fed the CPU's slices in time
 * order (one CPU after the other). Runs of buckets with one value longer than UTIL_RUN_MAX are written as
 * their first and last bucket (a counter holds its value), so the output grows with the slices, not with
 * the time between them (a damaged ts can be centuries away).
 */
import { CPU_PID_BASE, us } from '../../export/chrome-format.js';
import type { ChromeContext } from '../../export/handlers.js';

export const UTIL_BUCKET_NS = 10_000_000;
const UTIL_RUN_MAX = 1000;

export class Utilization {
  private cur = -1;
  private bucket = 0;
  private load = 0;
  private seen: number[] = [];
  private readonly first: number;
  constructor(private readonly ctx: ChromeContext) {
    this.first = Math.floor(ctx.lo / UTIL_BUCKET_NS);
  }

  /** the slices that follow are of this CPU (the previous one is finished at the window end) */
  cpu(c: number): void {
    if (c === this.cur) return;
    if (this.cur >= 0) this.flush(this.ctx.hi);
    this.cur = c;
    this.seen.push(c);
    this.bucket = this.first;
    this.load = 0;
  }

  private util(bucket: number, busy: number): void {
    const pct = Math.round((busy / UTIL_BUCKET_NS) * 10000) / 100;
    this.ctx.emit(`{"ph":"C","name":"utilization","pid":${CPU_PID_BASE + this.cur},"ts":${us(bucket * UTIL_BUCKET_NS)},"args":{"busy %":${pct}}}`);
  }

  private run(count: number, busy: number): void {
    if (count > UTIL_RUN_MAX) {
      this.util(this.bucket, busy);
      this.util(this.bucket + count - 1, busy);
    } else for (let k = 0; k < count; k++) this.util(this.bucket + k, busy);
    this.bucket += count;
  }

  /** emit every completed bucket before upTo (the current one, then idle ones) */
  private flush(upTo: number): void {
    const last = Math.floor(upTo / UTIL_BUCKET_NS);
    if (this.bucket >= last) return;
    this.util(this.bucket++, this.load);
    this.load = 0;
    this.run(last - this.bucket, 0);
  }

  /** [from, to) busy on the current CPU: fills the current bucket, whole buckets, then part of the last */
  busy(from: number, to: number): void {
    this.flush(from);
    const t = Math.max(from, this.bucket * UTIL_BUCKET_NS);
    const bEnd = (this.bucket + 1) * UTIL_BUCKET_NS;
    if (to <= bEnd) {
      if (to > t) this.load += to - t;
      return;
    }
    this.util(this.bucket++, this.load + (bEnd - t));
    this.load = 0;
    this.run(Math.floor(to / UTIL_BUCKET_NS) - this.bucket, UTIL_BUCKET_NS);
    this.load = to - this.bucket * UTIL_BUCKET_NS;
  }

  /** finish the last CPU at the window end */
  end(): void {
    if (this.cur >= 0) this.flush(this.ctx.hi);
  }

  cpus(): number[] {
    return [...this.seen].sort((a, b) => a - b);
  }
}
