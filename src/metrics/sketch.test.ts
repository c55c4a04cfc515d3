import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketKey, bucketLowerBound, RELATIVE_ACCURACY, Sketch } from './sketch.js';

/** The exact value of rank ceil(q × n) (nearest rank), the definition the sketch guarantees. */
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length - 1e-9)) - 1]!;
}

function relErr(actual: number, expected: number): number {
  return Math.abs(actual - expected) / expected;
}

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  let u = 0;
  while (u === 0) u = r();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

const distributions: Array<[string, (r: () => number) => number]> = [
  ['log-normal, median 20 ms', (r) => 20 * Math.exp(normal(r))],
  ['uniform 0.01 ms – 1 h', (r) => 0.01 + r() * 3_599_999.99],
  ['exponential, mean 50 ms', (r) => -50 * Math.log(1 - r()) + 0.01],
  ['bimodal 2 ms / 800 ms', (r) => (r() < 0.9 ? 2 + r() : 800 + 100 * r())],
  ['pareto (heavy tail)', (r) => 1 / (1 - r()) ** (1 / 1.2)],
  ['constant 200 ms', () => 200],
];

describe('Sketch', () => {
  it('reports 0.78% relative accuracy', () => {
    expect(RELATIVE_ACCURACY).toBeLessThan(0.01);
  });

  it.each(distributions)('quantiles of %s are within 1%% of exact', (_, draw) => {
    const r = rng(42);
    const s = new Sketch();
    const values: number[] = [];
    for (let i = 0; i < 50_000; i++) {
      const v = draw(r);
      values.push(v);
      s.record(v);
    }
    values.sort((a, b) => a - b);
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1]) {
      expect(relErr(s.quantile(q), exactQuantile(values, q))).toBeLessThanOrEqual(
        RELATIVE_ACCURACY,
      );
    }
    expect(s.count).toBe(50_000);
    expect(s.min).toBe(values[0]);
    expect(s.max).toBe(values.at(-1));
  });

  it('keeps the error bound for any values in range (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.01, max: 3_600_000, noNaN: true }), {
          minLength: 1,
          maxLength: 300,
        }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, q) => {
          const s = new Sketch();
          for (const v of values) s.record(v);
          const sorted = [...values].sort((a, b) => a - b);
          return relErr(s.quantile(q), exactQuantile(sorted, q)) <= RELATIVE_ACCURACY;
        },
      ),
    );
  });

  it('merges associatively and like recording everything in one (property)', () => {
    const arr = fc.array(fc.double({ min: 0.01, max: 100_000, noNaN: true }), { maxLength: 100 });
    fc.assert(
      fc.property(arr, arr, arr, (a, b, c) => {
        const make = (vs: number[]) => {
          const s = new Sketch();
          for (const v of vs) s.record(v);
          return s;
        };
        const left = make(a).merge(make(b)).merge(make(c));
        const right = make(a).merge(make(b).merge(make(c)));
        const whole = make([...a, ...b, ...c]);
        for (const s of [left, right]) {
          expect(s.count).toBe(whole.count);
          expect(s.toJSON().buckets).toEqual(whole.toJSON().buckets);
          for (const q of [0.5, 0.95, 0.99]) expect(s.quantile(q)).toBe(whole.quantile(q));
        }
      }),
    );
  });

  it('round-trips through JSON (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e7, noNaN: true })), (values) => {
        const s = new Sketch();
        for (const v of values) s.record(v);
        const back = Sketch.fromJSON(JSON.parse(JSON.stringify(s)));
        expect(back.toJSON()).toEqual(s.toJSON());
        expect(back.quantile(0.9)).toBe(s.quantile(0.9));
      }),
    );
  });

  it('clamps and counts values outside 0.01 ms … 1 h, keeping exact min, max and sum', () => {
    const s = new Sketch();
    s.record(0);
    s.record(0.001);
    s.record(5);
    s.record(7_200_000);
    expect(s.underflow).toBe(2);
    expect(s.overflow).toBe(1);
    expect(s.min).toBe(0);
    expect(s.max).toBe(7_200_000);
    expect(s.sum).toBeCloseTo(7_200_005.001);
    expect(s.quantile(0)).toBe(0);
    expect(s.quantile(1)).toBe(7_200_000);
  });

  it('returns 0 for quantiles of an empty sketch and rejects bad q', () => {
    const s = new Sketch();
    expect(s.quantile(0.5)).toBe(0);
    expect(s.mean).toBe(0);
    expect(() => s.quantile(1.5)).toThrow(RangeError);
    expect(() => s.quantile(Number.NaN)).toThrow(RangeError);
    expect(() => s.quantiles([0.9, 0.5], [])).toThrow(/ascending/);
  });

  it('counts values at most a threshold at bucket resolution', () => {
    const s = new Sketch();
    for (let v = 1; v <= 1000; v++) s.record(v);
    const c = s.countAtMost(200);
    expect(c).toBeGreaterThanOrEqual(198);
    expect(c).toBeLessThanOrEqual(202);
    expect(s.countAtMost(0.5)).toBe(0);
    expect(s.countAtMost(5000)).toBe(1000);
  });

  it('uses monotonic bucket keys whose bounds contain the value', () => {
    fc.assert(
      fc.property(fc.double({ min: 0.01, max: 3_600_000, noNaN: true }), (v) => {
        const k = bucketKey(v);
        return bucketLowerBound(k) <= v && v < bucketLowerBound(k + 1);
      }),
    );
  });

  it('allocates buckets only for the powers of two it has seen', () => {
    const s = new Sketch();
    expect(s.bucketBytes).toBe(0);
    s.record(20);
    expect(s.bucketBytes).toBe(64 * 2);
    for (let i = 0; i < 10_000; i++) s.record(16 + (i % 16));
    expect(s.bucketBytes).toBe(64 * 2);
  });

  it('takes rank 7 for q = 0.07 of 100 values despite 0.07 × 100 = 7.000000000000001 (regression)', () => {
    const s = new Sketch();
    for (let v = 1; v <= 100; v++) s.record(v);
    expect(s.quantile(0.07)).toBeCloseTo(7, 1);
  });

  it('reads back a wide sketch whose bucket holds more than 2^32 values without wrapping (regression)', () => {
    const json = {
      ...new Sketch().toJSON(),
      count: 2 ** 32 + 5,
      sum: 20 * (2 ** 32 + 5),
      min: 20,
      max: 20,
    };
    json.buckets = [bucketKey(20), 2 ** 32 + 5];
    const s = Sketch.fromJSON(json);
    expect(s.countAtMost(20)).toBe(2 ** 32 + 5);
  });

  it('merges in 32 bits while the total fits, and in 64 bits past 2^32 values (no wrap)', () => {
    const big = () =>
      Sketch.fromJSON({
        ...new Sketch().toJSON(),
        count: 3e9,
        sum: 6e10,
        min: 20,
        max: 20,
        buckets: [bucketKey(20), 3e9],
      });
    const a = big();
    expect(a.counts).toBeInstanceOf(Uint32Array);
    a.merge(big());
    expect(a.counts).toBeInstanceOf(Float64Array);
    expect(a.countAtMost(20)).toBe(6e9);
    const small = new Sketch();
    small.record(5);
    small.merge(small);
    expect(small.counts).toBeInstanceOf(Uint32Array);
    expect(small.count).toBe(2);
  });

  it('counts in 16 bits and widens a bucket array past 65,535 in one bucket without losing a value', () => {
    const s = new Sketch();
    s.record(20);
    expect(s.counts).toBeInstanceOf(Uint16Array);
    for (let i = 1; i < 70_000; i++) s.record(20);
    s.record(5);
    expect(s.counts).toBeInstanceOf(Uint32Array);
    expect(s.countAtMost(20)).toBe(70_001);
    expect(s.quantile(0.5)).toBeCloseTo(20, 0);
    const back = Sketch.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(back.countAtMost(20)).toBe(70_001);
    const merged = new Sketch().merge(s).merge(s);
    expect(merged.countAtMost(20)).toBe(140_002);
  });

  it.each([
    ['not an object', 5],
    ['wrong version', { v: 2 }],
    ['counts that do not add up', { ...new Sketch().toJSON(), count: 3 }],
    ['a bucket out of range', { ...new Sketch().toJSON(), count: 1, buckets: [1, 1] }],
  ])('rejects a serialised sketch with %s', (_, json) => {
    expect(() => Sketch.fromJSON(json)).toThrow(TypeError);
  });

  it('rejects an invalid range', () => {
    expect(() => new Sketch({ minValue: 0 })).toThrow(/minValue/);
    expect(() => new Sketch({ minValue: 10, maxValue: 5 })).toThrow(/maxValue/);
  });
});

describe('Sketch.subtract', () => {
  const values = fc.array(fc.double({ min: 0, max: 5_000_000, noNaN: true }), { maxLength: 80 });

  it('leaves exactly the values recorded since the earlier state (property)', () => {
    fc.assert(
      fc.property(values, values, (before, since) => {
        const earlier = new Sketch();
        for (const v of before) earlier.record(v);
        const now = Sketch.fromJSON(earlier.toJSON());
        for (const v of since) now.record(v);
        const expected = new Sketch();
        for (const v of since) expected.record(v);

        const delta = new Sketch().merge(now).subtract(earlier);
        const { min, max, sum, ...rest } = delta.toJSON();
        const { min: _min, max: _max, sum: exactSum, ...exact } = expected.toJSON();
        // Buckets, count, underflow and overflow exactly.
        expect(rest).toEqual(exact);
        expect(sum).toBeCloseTo(exactSum, 3);
        if (since.length === 0) return;
        // Bounds: never inside the values, and exact when the extreme is new.
        expect(delta.min).toBeLessThanOrEqual(expected.min);
        expect(delta.max).toBeGreaterThanOrEqual(expected.max);
        expect(delta.min).toBeGreaterThanOrEqual(now.min);
        expect(delta.max).toBeLessThanOrEqual(now.max);
        if (expected.min < earlier.min) expect(delta.min).toBe(expected.min);
        if (expected.max > earlier.max) expect(delta.max).toBe(expected.max);
        // Within one bucket of the truth unless clamped values remain.
        if (delta.underflow === 0 && expected.min <= 3_600_000) {
          expect(delta.min).toBeGreaterThan(expected.min / (1 + 1 / 64));
        }
        if (delta.overflow === 0) {
          // An underflowed value is in the bucket of 0.01 ms.
          expect(delta.max).toBeLessThan(Math.max(expected.max, 0.01) * (1 + 1 / 64));
        }
        expect(min).toBe(delta.min);
        expect(max).toBe(delta.max);
      }),
    );
  });

  it('empties to a sketch with no values when nothing was recorded since', () => {
    const s = new Sketch();
    for (const v of [3, 40, 500]) s.record(v);
    const delta = new Sketch().merge(s).subtract(s);
    expect(delta.toJSON()).toEqual(new Sketch().toJSON());
    expect(delta.min).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a sketch that is not an earlier state of this one, changing nothing', () => {
    const a = new Sketch();
    a.record(10);
    const b = new Sketch();
    b.record(900);
    const before = a.toJSON();
    expect(() => a.subtract(b)).toThrow(/earlier state/);
    expect(() => a.subtract(new Sketch({ maxValue: 10 }).merge(b))).toThrow(RangeError);
    expect(a.toJSON()).toEqual(before);
  });
});
