import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { OperationRegistry, OVERFLOW_OPERATION } from './operation-registry.js';

const MINUTE = 60_000;

function fakeClock(start = 0) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

function registry(clock = fakeClock(), options = {}) {
  return new OperationRegistry({ clock, timer: false, ...options });
}

describe('OperationRegistry', () => {
  it('computes every figure of an operation', () => {
    const ops = registry();
    const op = ops.operation('post_transaction', { kind: 'db' });
    for (let v = 1; v <= 100; v++) op.record(v, v % 10 !== 0);
    const s = ops.stats('post_transaction')!;
    expect(s).toMatchObject({
      name: 'post_transaction',
      kind: 'db',
      count: 100,
      errorCount: 10,
      errorRate: 0.1,
      minMs: 1,
      maxMs: 100,
      meanMs: 50.5,
      totalMs: 5050,
      shareOfTotalTime: 1,
    });
    for (const [field, exact] of [
      ['p50Ms', 50],
      ['p90Ms', 90],
      ['p95Ms', 95],
      ['p99Ms', 99],
      ['p999Ms', 100],
    ] as const) {
      expect(Math.abs(s[field] - exact) / exact).toBeLessThan(0.01);
    }
  });

  it('returns undefined for an operation never seen', () => {
    expect(registry().stats('nope')).toBeUndefined();
  });

  it('forgets values older than the window but keeps them in lifetime totals', () => {
    const clock = fakeClock();
    const ops = registry(clock, { windowMinutes: 10 });
    const op = ops.operation('a');
    op.record(1000);
    clock.t = 5 * MINUTE;
    ops.stats('a'); // a read advances the slice
    op.record(10);
    expect(ops.stats('a')!.count).toBe(2);
    clock.t = 10 * MINUTE; // the first slice [0, 1 min) has left the 10-minute window
    expect(ops.stats('a')).toMatchObject({ count: 1, maxMs: 10 });
    expect(ops.stats('a', { lifetime: true })).toMatchObject({ count: 2, maxMs: 1000 });
    clock.t = 16 * MINUTE;
    expect(ops.stats('a')!.count).toBe(0);
    expect(ops.stats('a', { lifetime: true })!.count).toBe(2);
  });

  it('keeps the merged closed slices right as the window moves (cache against exact figures)', () => {
    const clock = fakeClock();
    const ops = registry(clock);
    const op = ops.operation('a');
    const log: Array<[number, number, boolean]> = [];
    let seed = 7;
    const rand = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    for (let minute = 0; minute < 25; minute++) {
      for (let k = 0; k < 3; k++) {
        clock.t = minute * MINUTE + k * 20_000;
        ops.sliceClock.advance(clock.t); // what the slice timer does in production
        const n = Math.floor(rand() * 20);
        for (let i = 0; i < n; i++) {
          const ms = 1 + rand() * 500;
          const ok = rand() > 0.1;
          op.record(ms, ok);
          log.push([minute, ms, ok]);
        }
        const inWindow = log.filter(([m]) => m > minute - 10);
        const s = ops.stats('a')!;
        expect(s.count).toBe(inWindow.length);
        expect(s.errorCount).toBe(inWindow.filter(([, , ok]) => !ok).length);
        expect(s.totalMs).toBeCloseTo(
          inWindow.reduce((sum, [, ms]) => sum + ms, 0),
          6,
        );
        if (inWindow.length > 0) expect(s.maxMs).toBe(Math.max(...inWindow.map(([, ms]) => ms)));
        expect(ops.snapshot().overall.count).toBe(inWindow.length);
      }
    }
    expect(ops.stats('a', { lifetime: true })!.count).toBe(log.length);
  });

  it('reads a shorter window on request', () => {
    const clock = fakeClock();
    const ops = registry(clock);
    const op = ops.operation('a');
    op.record(1);
    clock.t = 3 * MINUTE;
    ops.stats('a');
    op.record(2);
    expect(ops.stats('a', { windowMinutes: 2 })!.count).toBe(1);
    expect(ops.stats('a', { windowMinutes: 10 })!.count).toBe(2);
    expect(() => ops.stats('a', { windowMinutes: 11 })).toThrow(/windowMinutes/);
  });

  it('merges slices for window quantiles instead of averaging percentiles', () => {
    const clock = fakeClock();
    const ops = registry(clock);
    const op = ops.operation('a');
    for (let i = 0; i < 99; i++) op.record(10);
    clock.t = MINUTE;
    ops.stats('a');
    op.record(1000);
    const s = ops.stats('a')!;
    // Exact P99 of 99 × 10 ms and 1 × 1000 ms is 10 ms; an average of per-slice P99s would be 505.
    expect(s.p99Ms).toBeCloseTo(10, 0);
    expect(s.maxMs).toBe(1000);
  });

  it('measures throughput over the time the window covers', () => {
    const clock = fakeClock();
    const ops = registry(clock);
    const op = ops.operation('a');
    for (let i = 0; i < 120; i++) op.record(1);
    clock.t = 60_000;
    expect(ops.stats('a')!.throughputPerSec).toBeCloseTo(2, 5);
  });

  it('breaks time down by kind and shares', () => {
    const ops = registry();
    ops.operation('q', { kind: 'db' }).record(30);
    ops.operation('q2', { kind: 'db' }).record(30);
    ops.operation('call', { kind: 'http' }).record(40);
    const snap = ops.snapshot();
    expect(snap.byKind.map((k) => [k.kind, k.operations, k.totalMs])).toEqual([
      ['db', 2, 60],
      ['http', 1, 40],
    ]);
    expect(snap.operations[0]).toMatchObject({ name: 'call', shareOfTotalTime: 0.4 });
    expect(snap.overall).toMatchObject({ count: 3, totalMs: 100, shareOfTotalTime: 1 });
  });

  it('aggregates a kind from operations that span several slices (regression: reused buffer)', () => {
    const clock = fakeClock();
    const ops = registry(clock);
    const a = ops.operation('a', { kind: 'db' });
    const b = ops.operation('b', { kind: 'db' });
    a.record(1000);
    b.record(1);
    clock.t = MINUTE;
    ops.snapshot();
    a.record(900, false);
    b.record(2);
    const db = ops.snapshot().byKind[0]!;
    expect(db).toMatchObject({
      kind: 'db',
      operations: 2,
      count: 4,
      errorCount: 1,
      maxMs: 1000,
      minMs: 1,
    });
    expect(db.totalMs).toBe(1903);
    expect(ops.snapshot().overall).toMatchObject({
      count: 4,
      errorCount: 1,
      maxMs: 1000,
      totalMs: 1903,
    });
  });

  it('keeps the first kind an operation was given', () => {
    const ops = registry();
    ops.operation('a', { kind: 'db' });
    expect(ops.operation('a', { kind: 'http' }).kind).toBe('db');
    expect(ops.operation('b').kind).toBe('app');
  });

  it('sends names past maxOperations to one overflow operation with bounded memory', () => {
    const ops = registry(fakeClock(), { maxOperations: 100 });
    let events = 0;
    ops.onOperationsOverflowed(() => events++);
    for (let i = 0; i < 10_000; i++) ops.operation(`GET /customers/${i}`).record(5);
    expect(ops.size).toBe(101);
    expect(ops.stats(OVERFLOW_OPERATION)!.count).toBe(9_900);
    expect(ops.overflow()).toMatchObject({ limit: 100, rejectedNames: 1000 });
    expect(ops.overflow().sampleNames[0]).toBe('GET /customers/100');
    expect(events).toBe(1);
    expect(ops.snapshot().overall.count).toBe(10_000);
  });

  it('announces overflow once even when the same refused name comes back (regression)', () => {
    const ops = registry(fakeClock(), { maxOperations: 1 });
    let events = 0;
    ops.onOperationsOverflowed(() => events++);
    ops.operation('a');
    for (let i = 0; i < 5; i++) ops.operation('b').record(1);
    expect(events).toBe(1);
  });

  it('keeps advancing when an injected clock throws in the background', async () => {
    const { SliceClock } = await import('./slice-clock.js');
    let fail = false;
    const clock = {
      now: () => {
        if (fail) throw new Error('clock broke');
        return 0;
      },
    };
    vi.useFakeTimers();
    try {
      const slices = new SliceClock(clock, 1000);
      fail = true;
      vi.advanceTimersByTime(5000);
      expect(slices.clockFailures).toBeGreaterThan(0);
      await slices[Symbol.asyncDispose]();
    } finally {
      vi.useRealTimers();
    }
  });

  it.each([
    ['an empty name', '', RangeError],
    ['a huge name', 'x'.repeat(201), RangeError],
    ['a number', 5 as unknown as string, TypeError],
  ])('rejects %s and records nothing', (_, name, error) => {
    const ops = registry();
    expect(() => ops.operation(name)).toThrow(error);
    expect(ops.size).toBe(0);
  });

  it.each([[-1], [Number.NaN], [Number.POSITIVE_INFINITY]])(
    'rejects the duration %s and records nothing',
    (ms) => {
      const ops = registry();
      const op = ops.operation('a');
      expect(() => op.record(ms)).toThrow(/durationMs/);
      expect(ops.stats('a')!.count).toBe(0);
    },
  );

  it.each([
    [{ windowMinutes: 0 }, /windowMinutes/],
    [{ windowMinutes: 10, sliceMinutes: 3 }, /multiple/],
    [{ maxOperations: 0 }, /maxOperations/],
    [{ maxOperations: 1.5 }, /maxOperations/],
  ])('rejects options %o', (options, message) => {
    expect(() => registry(fakeClock(), options)).toThrow(message);
  });

  it('counts bad calls for SLOs: failures plus successes over the latency', () => {
    const ops = registry();
    const op = ops.operation('a');
    for (let i = 0; i < 90; i++) op.record(50);
    for (let i = 0; i < 5; i++) op.record(500);
    for (let i = 0; i < 5; i++) op.record(10, false);
    expect(ops.goodEvents('a', 200)).toEqual({ total: 100, bad: 10 });
    expect(ops.goodEvents(undefined, undefined)).toEqual({ total: 100, bad: 5 });
  });
});

describe('OperationRegistry.recordedCount', () => {
  it('counts every value ever recorded, across slices, rotations and retirement (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.integer({ min: 0, max: 3 }),
            ok: fc.boolean(),
            advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 25 * MINUTE })),
          }),
          { maxLength: 200 },
        ),
        (steps) => {
          const clock = fakeClock();
          const r = registry(clock, { windowMinutes: 5, sliceMinutes: 1 });
          steps.forEach((s, i) => {
            clock.t += s.advanceMs;
            r.operation(`op${s.op}`).record(i % 50, s.ok);
            expect(r.recordedCount()).toBe(i + 1);
          });
          r.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('OperationRegistry.snapshot reuse', () => {
  it('gives the same figures as a fresh registry after changes, slides and rotations (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            op: fc.integer({ min: 0, max: 4 }),
            value: fc.integer({ min: 1, max: 5_000 }),
            ok: fc.boolean(),
            advanceMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 4 * MINUTE })),
            read: fc.boolean(),
          }),
          { maxLength: 120 },
        ),
        (steps) => {
          const clock = fakeClock();
          const cached = registry(clock, { windowMinutes: 5, sliceMinutes: 1 });
          for (const s of steps) {
            clock.t += s.advanceMs;
            void cached.epoch; // what the slice timer does when time passes
            cached.operation(`op${s.op}`).record(s.value, s.ok);
            if (s.read) cached.snapshot(); // fills the per-operation cache
          }
          // Same history, never read before the end.
          const replay = fakeClock();
          const again = registry(replay, { windowMinutes: 5, sliceMinutes: 1 });
          for (const s of steps) {
            replay.t += s.advanceMs;
            void again.epoch;
            again.operation(`op${s.op}`).record(s.value, s.ok);
          }
          expect(cached.snapshot()).toEqual(again.snapshot());
          cached.close();
          again.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});
