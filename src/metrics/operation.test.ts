import { describe, expect, it } from 'vitest';
import { OperationRegistry } from './operation-registry.js';
import { Sketch } from './sketch.js';

function setup() {
  const clock = { t: 1000, now: () => clock.t };
  const ops = new OperationRegistry({ clock, timer: false });
  return { clock, ops, op: ops.operation('work') };
}

describe('Operation.measure', () => {
  it('times a sync function and returns its value', () => {
    const { clock, ops, op } = setup();
    const value = op.measure(() => {
      clock.t += 25;
      return 'done';
    });
    expect(value).toBe('done');
    expect(ops.stats('work')).toMatchObject({ count: 1, errorCount: 0, minMs: 25 });
  });

  it('records a sync throw as a failure and rethrows the same error', () => {
    const { clock, ops, op } = setup();
    const boom = new Error('boom');
    expect(() =>
      op.measure(() => {
        clock.t += 5;
        throw boom;
      }),
    ).toThrow(boom);
    expect(ops.stats('work')).toMatchObject({ count: 1, errorCount: 1, errorRate: 1, maxMs: 5 });
  });

  it('times an async function until it settles', async () => {
    const { clock, ops, op } = setup();
    const result = await op.measure(async () => {
      await Promise.resolve();
      clock.t += 40;
      return 7;
    });
    expect(result).toBe(7);
    expect(ops.stats('work')).toMatchObject({ count: 1, errorCount: 0, maxMs: 40 });
  });

  it('records a rejection as a failure and passes it on', async () => {
    const { clock, ops, op } = setup();
    const boom = new TypeError('nope');
    await expect(
      op.measure(async () => {
        clock.t += 12;
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(ops.stats('work')).toMatchObject({ count: 1, errorCount: 1, maxMs: 12 });
  });

  it('records failures apart so failed calls still count in latency', () => {
    const { ops, op } = setup();
    op.record(100, false);
    op.record(1, true);
    const s = ops.stats('work')!;
    expect(s).toMatchObject({ count: 2, errorCount: 1, maxMs: 100, minMs: 1 });
  });
});

describe('OperationTimer', () => {
  it('ends once with success and returns the duration', () => {
    const { clock, ops, op } = setup();
    const t = op.start();
    clock.t += 30;
    expect(t.success()).toBe(30);
    clock.t += 30;
    expect(t.fail()).toBe(30);
    expect(t.ended).toBe(true);
    expect(ops.stats('work')).toMatchObject({ count: 1, errorCount: 0 });
  });

  it('records a failure with fail()', () => {
    const { ops, op } = setup();
    op.start().fail(new Error('x'));
    expect(ops.stats('work')).toMatchObject({ count: 1, errorCount: 1 });
  });

  it('works with `using`: success inside the block is kept', () => {
    const { clock, ops, op } = setup();
    {
      using t = op.start();
      clock.t += 8;
      t.success();
    }
    expect(ops.stats('work')).toMatchObject({ count: 1, errorCount: 0, maxMs: 8 });
  });

  it('works with `using`: leaving the block by a throw records a failure', () => {
    const { clock, ops, op } = setup();
    expect(() => {
      using t = op.start();
      clock.t += 3;
      if (clock.t > 0) throw new Error('left early');
      t.success();
    }).toThrow('left early');
    expect(ops.stats('work')).toMatchObject({ count: 1, errorCount: 1, maxMs: 3 });
  });

  it('never records a negative duration from a clock that went back', () => {
    const { clock, ops, op } = setup();
    const t = op.start();
    clock.t -= 50;
    expect(t.success()).toBe(0);
    expect(ops.stats('work')!.minMs).toBe(0);
  });

  it('advances the window from the end time of a timed call', () => {
    const { clock, ops, op } = setup();
    op.record(1);
    clock.t += 11 * 60_000;
    op.measure(() => 1); // ends in a later slice without any read in between
    expect(ops.stats('work')!.count).toBe(1);
    expect(ops.stats('work', { lifetime: true })!.count).toBe(2);
  });
});

describe('Operation.mergeSketches', () => {
  it("adds another process's values to the current slice: window and lifetime cover them", () => {
    const { clock, ops, op } = setup();
    op.record(10);
    const ok = new Sketch();
    for (const v of [20, 30]) ok.record(v);
    const failed = new Sketch();
    failed.record(400);
    clock.t += 61_000; // the merge moves to the clock's slice without a read first
    op.mergeSketches(ok, failed);
    expect(op.current.epoch).toBe(ops.sliceClock.epoch);
    expect(op.current.ok.count).toBe(2);
    expect(ops.stats('work')).toMatchObject({ count: 4, errorCount: 1, minMs: 10, maxMs: 400 });
    expect(ops.stats('work', { lifetime: true })).toMatchObject({ count: 4, totalMs: 460 });
    expect(ops.stats('work', { windowMinutes: 1 })).toMatchObject({ count: 3, minMs: 20 });
  });

  it('refuses sketches of another range and merges nothing', () => {
    const { ops, op } = setup();
    const ok = new Sketch();
    ok.record(5);
    const odd = new Sketch({ maxValue: 10 });
    odd.record(5);
    expect(() => op.mergeSketches(ok, odd)).toThrow(/range/);
    expect(ops.stats('work')?.count).toBe(0);
  });
});
