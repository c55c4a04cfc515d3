/**
 * A seeded PRNG (mulberry32): deterministic, fast, plenty for test data.
 * Returns floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Options of {@link logNormalSample}. */
export interface LogNormalOptions {
  count: number;
  medianMs: number;
  sigma: number;
  seed: number;
}

/** `count` log-normal values (Box–Muller on a seeded PRNG): `median * exp(sigma * z)`. */
export function logNormalSample(options: LogNormalOptions): Float64Array {
  const { count, medianMs, sigma, seed } = options;
  const random = mulberry32(seed);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - random(); // (0, 1]: log(u1) is finite
    const u2 = random();
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = medianMs * Math.exp(sigma * r * Math.cos(2 * Math.PI * u2));
    if (i + 1 < count) out[i + 1] = medianMs * Math.exp(sigma * r * Math.sin(2 * Math.PI * u2));
  }
  return out;
}
