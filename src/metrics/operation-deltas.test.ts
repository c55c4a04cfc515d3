import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OperationDeltas } from './operation-deltas.js';
import { OperationRegistry } from './operation-registry.js';

const SLICE_MS = 60_000;

function registry(windowMinutes = 3) {
  const clock = { t: 1, now: () => clock.t };
  return { clock, ops: new OperationRegistry({ clock, timer: false, windowMinutes }) };
}

/** Merges deltas the way the primary does: into the current slice of the same operation. */
function mergeInto(target: OperationRegistry, deltas: ReturnType<OperationDeltas['take']>) {
  for (const d of deltas) target.operation(d.name, { kind: d.kind }).mergeSketches(d.ok, d.failed);
}

/** The lifetime figures that must survive the trip exactly; throughput and shares move with time. */
function lifetime(ops: OperationRegistry, name: string) {
  const s = ops.stats(name, { lifetime: true });
  if (s === undefined) return undefined;
  const {
    throughputPerSec: _t,
    shareOfTotalTime: _s,
    totalMs: _total,
    meanMs: _mean,
    ...exact
  } = s;
  return exact;
}

/** Exact figures equal, sums to float rounding. */
function expectSameLifetime(merged: OperationRegistry, single: OperationRegistry, name: string) {
  expect(lifetime(merged, name)).toEqual(lifetime(single, name));
  const total = single.stats(name, { lifetime: true })?.totalMs ?? 0;
  expect(merged.stats(name, { lifetime: true })?.totalMs ?? 0).toBeCloseTo(total, 6);
}

describe('OperationDeltas', () => {
  it('hands out only the operations that recorded since the previous take', () => {
    const { ops } = registry();
    const deltas = new OperationDeltas(ops);
    ops.operation('idle');
    ops.operation('a').record(10);
    ops.operation('b', { kind: 'db' }).record(20, false);
    const first = deltas.take();
    expect(first.map((d) => [d.name, d.kind, d.ok.count, d.failed?.count])).toEqual([
      ['a', 'app', 1, undefined],
      ['b', 'db', 0, 1],
    ]);
    expect(deltas.take()).toEqual([]);
    ops.operation('b').record(30);
    const [b] = deltas.take();
    expect([b?.name, b?.ok.count, b?.failed]).toEqual(['b', 1, undefined]);
  });

  it('loses nothing when a whole window passes between two takes (slices retired)', () => {
    const { clock, ops } = registry(2);
    const primary = registry(2).ops;
    const deltas = new OperationDeltas(ops);
    const op = ops.operation('w');
    op.record(5);
    mergeInto(primary, deltas.take());
    op.record(7, false);
    for (let minute = 1; minute <= 5; minute++) {
      clock.t = minute * SLICE_MS + 1;
      ops.sliceClock.advance(clock.t);
      op.record(minute * 100, minute % 2 === 0);
    }
    mergeInto(primary, deltas.take());
    expectSameLifetime(primary, ops, 'w');
    expect(lifetime(primary, 'w')).toMatchObject({ count: 7, errorCount: 4, minMs: 5, maxMs: 500 });
  });

  it('merged into another registry, its deltas give the same lifetime figures (property)', () => {
    const step = fc.oneof(
      fc.record({
        op: fc.constantFrom('a', 'b', 'c'),
        ms: fc.double({ min: 0, max: 100_000, noNaN: true }),
        ok: fc.boolean(),
      }),
      fc.constant('take' as const),
      fc.integer({ min: 1, max: 4 }).map((minutes) => ({ minutes })),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const { clock, ops } = registry();
        const primary = registry().ops;
        const deltas = new OperationDeltas(ops);
        for (const s of steps) {
          if (s === 'take') mergeInto(primary, deltas.take());
          else if ('minutes' in s) {
            clock.t += s.minutes * SLICE_MS;
            ops.sliceClock.advance(clock.t);
          } else ops.operation(s.op).record(s.ms, s.ok);
        }
        mergeInto(primary, deltas.take());
        for (const name of ['a', 'b', 'c']) {
          expectSameLifetime(primary, ops, name);
        }
      }),
    );
  });
});
