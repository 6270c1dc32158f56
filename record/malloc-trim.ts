/**
 * Give malloc's free memory back to the kernel: glibc's malloc_trim(0), through koffi (loaded for libbpf already).
 *
 * A long recording's native memory (ArrayBuffer backing stores of the batches, the codecs' output, Arrow's
 * message buffers) churns through glibc's heap: freed chunks stay in it, and the heap keeps the high-water mark
 * of the busiest moment, so the recorder's RSS creeps up for minutes and stays there (bench/flight.ts: a --ring 30s
 * storm at 1M events/s went from 110 to 135 MB); a plain long recording grows the same way. The recorder's drain loop
 * calls this every 5 s for every recording, --ring/--rotate included (Trimmer, TRIM_MS): the RSS then comes back
 * to what is live after each trim (103-109 MB over a 10-minute run of that storm; the peaks between trims still rise). A call takes 0.6-2 ms (the first, ~20 ms, gives
 * back the start-up's memory). Not glibc (musl): nothing to do.
 */
import koffi from 'koffi';

let trim: ((pad: number) => number) | null | undefined;

/** glibc's malloc_trim, bound on first use; false where there is none (musl). */
export function mallocTrimAvailable(): boolean {
  if (trim === undefined) {
    try {
      trim = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)') as (pad: number) => number;
    } catch {
      trim = null;
    }
  }
  return trim !== null;
}

/** malloc_trim(0): true if memory was given back; false where there is none to call. */
export function mallocTrim(): boolean {
  return mallocTrimAvailable() ? trim!(0) === 1 : false;
}

/** ms between malloc_trim() calls: a week-long recording's RSS follows what is live */
export const TRIM_MS = 5000;

/** mallocTrim() every TRIM_MS, from the recorder's drain loop (record/recorder.ts); counts the calls. */
export class Trimmer {
  calls = 0;
  private at: number;
  constructor(
    now: number,
    private readonly trim: () => unknown = mallocTrim,
  ) {
    this.at = now + TRIM_MS;
  }
  /** Trim if TRIM_MS went by since the last call (or the start); `now` is Date.now(). */
  tick(now: number): void {
    if (now < this.at) return;
    this.trim();
    this.calls++;
    this.at = now + TRIM_MS;
  }
}
