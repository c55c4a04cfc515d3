/** Exact quantile of sorted values by nearest rank: `sorted[ceil(q n) - 1]`. */
export function nearestRank(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const rank = Math.min(n, Math.max(1, Math.ceil(q * n)));
  return sorted[rank - 1]!;
}

/**
 * Quantile from cumulative histogram buckets, the way Prometheus'
 * `histogram_quantile` does it: linear interpolation inside the bucket that
 * holds the rank; the lowest bucket starts at 0; a rank in the `+Inf` bucket
 * returns the highest finite bound.
 *
 * @param upperBounds ascending upper bounds, the last one `Infinity`
 * @param cumulative cumulative counts, one per bound
 */
export function histogramQuantile(
  q: number,
  upperBounds: readonly number[],
  cumulative: readonly number[],
): number {
  const n = upperBounds.length;
  if (n < 2 || upperBounds[n - 1] !== Number.POSITIVE_INFINITY) return Number.NaN;
  const total = cumulative[n - 1]!;
  if (total === 0) return Number.NaN;
  let rank = q * total;
  let b = 0;
  while (b < n - 1 && cumulative[b]! < rank) b++;
  if (b === n - 1) return upperBounds[n - 2]!;
  const end = upperBounds[b]!;
  if (b === 0 && end <= 0) return end;
  let start = 0;
  let count = cumulative[b]!;
  if (b > 0) {
    start = upperBounds[b - 1]!;
    count -= cumulative[b - 1]!;
    rank -= cumulative[b - 1]!;
  }
  return start + (end - start) * (rank / count);
}

/** Cumulative counts from per-bucket counts. */
export function cumulate(counts: readonly number[]): number[] {
  const out: number[] = [];
  let sum = 0;
  for (const c of counts) {
    sum += c;
    out.push(sum);
  }
  return out;
}
