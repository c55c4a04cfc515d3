/**
 * A relative-accuracy, mergeable, serialisable histogram of positive values.
 *
 * A value's bucket is the top 17 bits of its IEEE-754 double: the exponent and
 * the top {@link SUB_BUCKET_BITS} bits of the mantissa. Each power of two is
 * split into 64 buckets whose width is at most 1/64 of their lower bound, and a
 * quantile reports the point of its bucket that minimises the relative error,
 * so any quantile is within {@link RELATIVE_ACCURACY} (0.78%) of the exact
 * value of the same rank. No `Math.log`, no allocation per value: counts live
 * in one typed array that covers the buckets seen so far and grows rarely.
 */

/** Mantissa bits kept per bucket: 2^6 = 64 buckets per power of two. */
export const SUB_BUCKET_BITS = 6;
const SHIFT = 20 - SUB_BUCKET_BITS;
const CHUNK = 1 << SUB_BUCKET_BITS;

/** Worst relative error of any quantile inside the tracked range. */
export const RELATIVE_ACCURACY = 1 / (2 * CHUNK + 1);

/** Smallest value tracked exactly (ms for durations); smaller ones are clamped and counted. */
export const DEFAULT_MIN_VALUE = 0.01;
/** Largest value tracked exactly (one hour in ms); larger ones are clamped and counted. */
export const DEFAULT_MAX_VALUE = 3_600_000;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const LO = 1 - HI;
const EMPTY = new Uint16Array(0);
const NARROW_MAX = 0xffff;

/** Bucket counts: 16-bit while every bucket fits, then 32-bit; 64-bit floats for aggregates. */
export type BucketCounts = Uint16Array | Uint32Array | Float64Array;

/** The bucket key of a positive finite value. */
export function bucketKey(value: number): number {
  f64[0] = value;
  return u32[HI]! >>> SHIFT;
}

/** The lower bound of a bucket key. */
export function bucketLowerBound(key: number): number {
  u32[HI] = key << SHIFT;
  u32[LO] = 0;
  return f64[0]!;
}

/** The value reported for a bucket: relative error at most {@link RELATIVE_ACCURACY}. */
export function bucketValue(key: number): number {
  const lo = bucketLowerBound(key);
  const hi = bucketLowerBound(key + 1);
  return (2 * lo * hi) / (lo + hi);
}

/** `dst[i + shift] += src[i]` for i in [first, last], one monomorphic loop per source type. */
function addCounts(
  dst: Float64Array,
  src: BucketCounts,
  first: number,
  last: number,
  shift: number,
): void {
  if (src instanceof Uint16Array) addFrom16(dst, src, first, last, shift);
  else if (src instanceof Uint32Array) addFrom32(dst, src, first, last, shift);
  else addFrom64(dst, src, first, last, shift);
}

function add16To32(
  dst: Uint32Array,
  src: Uint16Array,
  first: number,
  last: number,
  shift: number,
): void {
  for (let i = first; i <= last; i++) dst[i + shift]! += src[i]!;
}

function add32To32(
  dst: Uint32Array,
  src: Uint32Array,
  first: number,
  last: number,
  shift: number,
): void {
  for (let i = first; i <= last; i++) dst[i + shift]! += src[i]!;
}

function addFrom16(
  dst: Float64Array,
  src: Uint16Array,
  first: number,
  last: number,
  shift: number,
): void {
  for (let i = first; i <= last; i++) dst[i + shift]! += src[i]!;
}

function addFrom32(
  dst: Float64Array,
  src: Uint32Array,
  first: number,
  last: number,
  shift: number,
): void {
  for (let i = first; i <= last; i++) dst[i + shift]! += src[i]!;
}

function addFrom64(
  dst: Float64Array,
  src: Float64Array,
  first: number,
  last: number,
  shift: number,
): void {
  for (let i = first; i <= last; i++) dst[i + shift]! += src[i]!;
}

/** The serialised form of a {@link Sketch}; `buckets` is `[key, count, key, count, …]`. */
export interface SketchJSON {
  v: 1;
  minValue: number;
  maxValue: number;
  count: number;
  sum: number;
  min: number;
  max: number;
  underflow: number;
  overflow: number;
  buckets: number[];
}

/** Options of a {@link Sketch}. */
export interface SketchOptions {
  /** @defaultValue 0.01 (ms) */
  minValue?: number;
  /** @defaultValue 3,600,000 (one hour in ms) */
  maxValue?: number;
  /**
   * Counts as 64-bit floats from the start, for long-lived aggregates. A narrow
   * sketch counts in 16 bits per bucket and widens a bucket array when it needs to.
   * @defaultValue false
   */
  wide?: boolean;
}

/**
 * A histogram with bounded relative error on every quantile.
 *
 * @example
 * const s = new Sketch();
 * for (const ms of durations) s.record(ms);
 * s.quantile(0.99); // within 0.78% of the exact P99
 */
export class Sketch {
  /** Number of values recorded. */
  count = 0;
  /** Exact sum of the values recorded. */
  sum = 0;
  /** Exact smallest value (Infinity when empty). */
  min = Number.POSITIVE_INFINITY;
  /** Exact largest value (-Infinity when empty). */
  max = Number.NEGATIVE_INFINITY;
  /** Values below `minValue`, clamped to it. */
  underflow = 0;
  /** Values above `maxValue`, clamped to it. */
  overflow = 0;
  /** Key of `counts[0]`. */
  offset = 0;
  counts: BucketCounts = EMPTY;
  readonly minValue: number;
  readonly maxValue: number;
  #wide: boolean;

  constructor(options: SketchOptions = {}) {
    const minValue = options.minValue ?? DEFAULT_MIN_VALUE;
    const maxValue = options.maxValue ?? DEFAULT_MAX_VALUE;
    if (!(minValue > 0) || !Number.isFinite(minValue)) {
      throw new RangeError(`minValue must be a finite number > 0, got ${minValue}`);
    }
    if (!(maxValue > minValue) || !Number.isFinite(maxValue)) {
      throw new RangeError(
        `maxValue must be a finite number > minValue (${minValue}), got ${maxValue}`,
      );
    }
    this.minValue = minValue;
    this.maxValue = maxValue;
    this.#wide = options.wide ?? false;
  }

  /** Records one value. The caller guarantees a number that is not NaN. */
  record(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    let v = value;
    if (v < this.minValue) {
      v = this.minValue;
      this.underflow++;
    } else if (v > this.maxValue) {
      v = this.maxValue;
      this.overflow++;
    }
    f64[0] = v;
    const i = (u32[HI]! >>> SHIFT) - this.offset;
    const counts = this.counts;
    if (i >= 0 && i < counts.length) {
      // A 16-bit bucket that wraps is widened: one compare on the hot path.
      if (++counts[i]! > NARROW_MAX && counts instanceof Uint16Array) this.#widenFrom(i);
    } else {
      this.#grow(i + this.offset, 1);
    }
  }

  /** Adds another sketch's values to this one. Both must share the same range. */
  merge(other: Sketch): this {
    if (other.count === 0) return this;
    this.#sameRange(other);
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.underflow += other.underflow;
    this.overflow += other.overflow;
    const src = other.counts;
    let first = 0;
    let last = src.length - 1;
    while (first <= last && src[first] === 0) first++;
    while (last >= first && src[last] === 0) last--;
    if (first > last) return this;
    // A narrow sketch merges in 32 bits while its total fits (no bucket can wrap), else in 64.
    if (!this.#wide) {
      if (src instanceof Float64Array || this.count > 0xffffffff) {
        this.#wide = true;
        this.counts = Float64Array.from(this.counts);
      } else if (this.counts instanceof Uint16Array) {
        this.counts = Uint32Array.from(this.counts);
      }
    }
    this.#ensure(other.offset + first, other.offset + last);
    const dst = this.counts;
    const shift = other.offset - this.offset;
    if (dst instanceof Float64Array) addCounts(dst, src, first, last, shift);
    else if (src instanceof Uint16Array) add16To32(dst as Uint32Array, src, first, last, shift);
    else add32To32(dst as Uint32Array, src as Uint32Array, first, last, shift);
    return this;
  }

  /**
   * Removes the values of `earlier`, a state this sketch grew from (every
   * bucket of `earlier` holds at most what this one holds): what is left are
   * the values recorded since. Bucket counts, count, underflow and overflow
   * subtract exactly, sum to float rounding. Min and max cannot be known
   * exactly: they are exact when this sketch's min (max) is not in `earlier`
   * (the remainder holds the extreme), otherwise the tightest bound the
   * remaining buckets allow: for values inside the range, min within one
   * bucket (1/64) below the true one and max within one bucket above it;
   * this sketch's own min (max) while underflowed (overflowed) values remain.
   * @throws RangeError when the ranges differ or `earlier` holds values this sketch does not
   */
  subtract(earlier: Sketch): this {
    if (earlier.count === 0) return this;
    this.#sameRange(earlier);
    this.#checkContains(earlier);
    const src = earlier.counts;
    const shift = earlier.offset - this.offset;
    const dst = this.counts;
    for (let i = 0; i < src.length; i++) if (src[i] !== 0) dst[i + shift]! -= src[i]!;
    const min = this.min;
    const max = this.max;
    this.count -= earlier.count;
    this.underflow -= earlier.underflow;
    this.overflow -= earlier.overflow;
    if (this.count === 0) {
      this.reset();
      return this;
    }
    // Values are positive: a rounding residue never makes the sum negative.
    this.sum = Math.max(0, this.sum - earlier.sum);
    let first = 0;
    let last = dst.length - 1;
    while (dst[first] === 0) first++;
    while (dst[last] === 0) last--;
    if (!(min < earlier.min) && this.underflow === 0) {
      this.min = Math.max(min, bucketLowerBound(first + this.offset));
    }
    if (!(max > earlier.max) && this.overflow === 0) {
      this.max = Math.min(max, bucketLowerBound(last + this.offset + 1));
    }
    return this;
  }

  #checkContains(earlier: Sketch): void {
    const src = earlier.counts;
    const dst = this.counts;
    const shift = earlier.offset - this.offset;
    let ok =
      earlier.count <= this.count &&
      earlier.underflow <= this.underflow &&
      earlier.overflow <= this.overflow;
    for (let i = 0; ok && i < src.length; i++) {
      if (src[i] !== 0 && !(src[i]! <= (dst[i + shift] ?? 0))) ok = false;
    }
    if (!ok) {
      throw new RangeError(
        'cannot subtract a sketch that holds values this one does not (pass an earlier state of it)',
      );
    }
  }

  /** Moves a 16-bit bucket array to 32 bits after bucket `i` passed 65,535. */
  #widenFrom(i: number): void {
    const wide = Uint32Array.from(this.counts);
    wide[i] = NARROW_MAX + 1;
    this.counts = wide;
  }

  /** Forgets every value; keeps the allocated buckets for reuse. */
  reset(): void {
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = Number.NEGATIVE_INFINITY;
    this.underflow = 0;
    this.overflow = 0;
    this.counts.fill(0);
  }

  /** Mean of the values, 0 when empty. */
  get mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /**
   * The value of rank `ceil(q × count)`, within {@link RELATIVE_ACCURACY} of
   * the exact one; 0 when empty.
   * @throws RangeError when q is not in [0, 1]
   */
  quantile(q: number): number {
    const out = [0];
    this.quantiles([q], out);
    return out[0]!;
  }

  /**
   * Several quantiles in one pass. `qs` must be ascending; results go to `out`.
   * @throws RangeError when a q is not in [0, 1] or `qs` is not ascending
   */
  quantiles(qs: readonly number[], out: number[]): number[] {
    let prev = 0;
    for (const q of qs) {
      if (!(q >= prev && q <= 1)) {
        throw new RangeError(`quantiles must be ascending numbers in [0, 1], got ${q}`);
      }
      prev = q;
    }
    const n = this.count;
    if (n === 0) {
      for (let j = 0; j < qs.length; j++) out[j] = 0;
      return out;
    }
    const counts = this.counts;
    const len = counts.length;
    let i = 0;
    let seen = 0;
    for (let j = 0; j < qs.length; j++) {
      // The epsilon keeps q × n = 7.000000000000001 at rank 7.
      const rank = Math.ceil(qs[j]! * n - 1e-9);
      // The first and last ranks are known exactly.
      if (rank <= 1) out[j] = this.min;
      else if (rank >= n) out[j] = this.max;
      else {
        while (seen < rank && i < len) seen += counts[i++]!;
        out[j] = this.#clampToSeen(bucketValue(i - 1 + this.offset));
      }
    }
    return out;
  }

  /** How many values were at most `value` (bucket resolution). */
  countAtMost(value: number): number {
    if (this.count === 0 || value < this.min) return 0;
    if (value >= this.max) return this.count;
    const v = Math.min(Math.max(value, this.minValue), this.maxValue);
    const last = bucketKey(v) - this.offset;
    let total = 0;
    const counts = this.counts;
    for (let i = 0; i <= last && i < counts.length; i++) total += counts[i]!;
    return total;
  }

  /**
   * Adds to `out[j]` how many values were at most `bounds[j]`, for ascending
   * bounds, in one pass (as {@link countAtMost} for each, bucket resolution):
   * the cumulative buckets of a fixed-bound histogram.
   */
  addCountsAtMost(bounds: readonly number[], out: Float64Array): void {
    const n = this.count;
    if (n === 0) return;
    const counts = this.counts;
    let i = 0;
    let total = 0;
    for (let j = 0; j < bounds.length; j++) {
      const bound = bounds[j]!;
      if (bound < this.min) continue;
      if (bound >= this.max) {
        out[j]! += n;
        continue;
      }
      const v = Math.min(Math.max(bound, this.minValue), this.maxValue);
      const last = Math.min(bucketKey(v) - this.offset, counts.length - 1);
      for (; i <= last; i++) total += counts[i]!;
      out[j]! += total;
    }
  }

  /** Bytes held by the bucket array. */
  get bucketBytes(): number {
    return this.counts.byteLength;
  }

  /** A plain-object form that {@link Sketch.fromJSON} reads back. */
  toJSON(): SketchJSON {
    const buckets: number[] = [];
    const counts = this.counts;
    for (let i = 0; i < counts.length; i++) {
      if (counts[i] !== 0) buckets.push(i + this.offset, counts[i]!);
    }
    return {
      v: 1,
      minValue: this.minValue,
      maxValue: this.maxValue,
      count: this.count,
      sum: this.sum,
      min: this.count === 0 ? 0 : this.min,
      max: this.count === 0 ? 0 : this.max,
      underflow: this.underflow,
      overflow: this.overflow,
      buckets,
    };
  }

  /**
   * Reads a sketch written by {@link Sketch.toJSON}.
   * @throws TypeError when the input is not a valid serialised sketch
   */
  static fromJSON(json: unknown, options: Pick<SketchOptions, 'wide'> = {}): Sketch {
    const j = json as Partial<SketchJSON> | null;
    if (
      typeof j !== 'object' ||
      j === null ||
      j.v !== 1 ||
      !Array.isArray(j.buckets) ||
      j.buckets.length % 2 !== 0 ||
      ![j.minValue, j.maxValue, j.count, j.sum, j.min, j.max, j.underflow, j.overflow].every(
        (x) => typeof x === 'number' && Number.isFinite(x),
      )
    ) {
      throw new TypeError('not a serialised Keel sketch (expected the output of Sketch.toJSON())');
    }
    const s = new Sketch({ minValue: j.minValue!, maxValue: j.maxValue!, ...options });
    const lowKey = bucketKey(s.minValue);
    const highKey = bucketKey(s.maxValue);
    let total = 0;
    const b = j.buckets;
    for (let i = 0; i < b.length; i += 2) {
      const key = b[i];
      const c = b[i + 1];
      if (
        !Number.isInteger(key) ||
        key! < lowKey ||
        key! > highKey ||
        !Number.isInteger(c) ||
        c! <= 0
      ) {
        throw new TypeError(`serialised sketch has an invalid bucket at position ${i / 2}`);
      }
      s.#grow(key!, c!);
      total += c!;
    }
    if (total !== j.count) {
      throw new TypeError(
        `serialised sketch counts ${j.count} values but its buckets hold ${total}`,
      );
    }
    s.count = j.count!;
    s.sum = j.sum!;
    s.min = total === 0 ? Number.POSITIVE_INFINITY : j.min!;
    s.max = total === 0 ? Number.NEGATIVE_INFINITY : j.max!;
    s.underflow = j.underflow!;
    s.overflow = j.overflow!;
    return s;
  }

  #clampToSeen(v: number): number {
    return Math.min(Math.max(v, this.min), this.max);
  }

  #sameRange(other: Sketch): void {
    if (other.minValue !== this.minValue || other.maxValue !== this.maxValue) {
      throw new RangeError('cannot merge sketches with different value ranges');
    }
  }

  /** Adds `n` to bucket `key`, growing the array to cover it. */
  #grow(key: number, n: number): void {
    this.#ensure(key, key);
    const i = key - this.offset;
    const next = this.counts[i]! + n;
    if (next > 0xffffffff && !(this.counts instanceof Float64Array)) {
      this.#wide = true;
      this.counts = Float64Array.from(this.counts);
    }
    if (next > NARROW_MAX && this.counts instanceof Uint16Array)
      this.counts = Uint32Array.from(this.counts);
    this.counts[i] = next;
  }

  /** Makes `counts` cover keys [lowKey, highKey], in whole powers of two. */
  #ensure(lowKey: number, highKey: number): void {
    const old = this.counts;
    const oldHigh = this.offset + old.length - 1;
    if (old.length > 0 && lowKey >= this.offset && highKey <= oldHigh) return;
    let low = lowKey & ~(CHUNK - 1);
    let high = highKey | (CHUNK - 1);
    if (old.length > 0) {
      low = Math.min(low, this.offset);
      high = Math.max(high, oldHigh);
    }
    const size = high - low + 1;
    const next = this.#wide
      ? new Float64Array(size)
      : old instanceof Uint32Array
        ? new Uint32Array(size)
        : new Uint16Array(size);
    if (old.length > 0) next.set(old, this.offset - low);
    this.counts = next;
    this.offset = low;
  }
}
