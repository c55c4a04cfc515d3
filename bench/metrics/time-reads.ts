import { collectGarbage, median, repeat } from '../lib/measure.js';

/** Values recorded before each timed read of a report: a tenth of the 1,000 operations change. */
export const VALUES_BETWEEN_READS = 100;

/** What {@link timeReads} reads, and what it records between reads. */
export interface TimeReadsOptions {
  /** Records one value (ms) into operation `op`; untimed. */
  record(op: number, ms: number): void;
  /** Operations of the structure read. */
  operations: number;
  /** The values to record from, cycled. */
  values: Float64Array;
  /** Index into `values` where the values recorded between reads start (the fill's end). */
  firstValue: number;
  /** Measured pairs of reads; the medians are kept. */
  reps: number;
  /** Pairs run first and dropped (JIT warm-up). */
  warmup: number;
  /**
   * One read, timing only itself: returns µs. `recorded` is how many values
   * were recorded since the fill, for the caller's checks.
   */
  read(recorded: number): number | Promise<number>;
}

/** Medians of {@link timeReads}, in µs. */
export interface ReadTimes {
  /** Reads right after {@link VALUES_BETWEEN_READS} new values. */
  changedUs: number;
  /** Reads with nothing recorded since the previous read. */
  unchangedUs: number;
}

/**
 * Per repetition (after a full GC): records {@link VALUES_BETWEEN_READS}
 * values, one into every `operations / 100`-th operation starting at
 * `rep % stride` (rep 0: operations 0, 10, 20, …; rep 1: 1, 11, 21, …), so a
 * different set changes each time; times one read; collects garbage; times a
 * second read of the now unchanged data. Pairing the two keeps them at the
 * same point of warm-up. Only the reads are timed.
 */
export async function timeReads(options: TimeReadsOptions): Promise<ReadTimes> {
  const { record, operations, values, firstValue, warmup } = options;
  const stride = Math.max(1, Math.floor(operations / VALUES_BETWEEN_READS));
  const unchanged: number[] = [];
  const changedUs = await repeat(options, async (rep) => {
    const offset = rep % stride;
    const start = firstValue + rep * VALUES_BETWEEN_READS;
    for (let j = 0; j < VALUES_BETWEEN_READS; j++) {
      record((offset + j * stride) % operations, values[(start + j) % values.length]!);
    }
    const recorded = (rep + 1) * VALUES_BETWEEN_READS;
    const changed = await options.read(recorded);
    collectGarbage();
    const same = await options.read(recorded);
    if (rep >= warmup) unchanged.push(same);
    return changed;
  });
  return { changedUs, unchangedUs: median(unchanged) };
}
