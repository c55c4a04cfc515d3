import { describe, expect, it } from 'vitest';
import type { RuntimeVitals } from './runtime-vitals.js';
import { RuntimeWindow } from './runtime-window.js';

const MIN = 60_000;
const T0 = Date.parse('2026-12-02T13:00:00Z');

function window(options: ConstructorParameters<typeof RuntimeWindow>[0] = {}) {
  const clock = { t: 0, now: () => clock.t };
  const w = new RuntimeWindow({ clock, now: () => T0 + clock.t, ...options });
  return { w, clock };
}

const gc = (majorMs = 0, minorMs = 0): RuntimeVitals['gc'] => ({
  major: { count: majorMs > 0 ? 1 : 0, pauseMs: majorMs },
  minor: { count: minorMs > 0 ? 1 : 0, pauseMs: minorMs },
  incremental: { count: 0, pauseMs: 0 },
  weakcb: { count: 0, pauseMs: 0 },
});
const interval = (p50Ms = 1, pause = gc()) => ({
  intervalMs: 1_000,
  eventLoopDelay: { p50Ms, p99Ms: p50Ms, maxMs: p50Ms },
  gc: pause,
});

describe('RuntimeWindow', () => {
  it('counts blocks over the threshold with the worst and its time', () => {
    const { w, clock } = window();
    w.lag(0.3);
    clock.t = 2 * MIN + 11_000;
    w.lag(251);
    clock.t = 4 * MIN;
    w.lag(120);
    w.lag(99.9); // under the threshold: delay, not a block
    const s = w.summary();
    expect(s.eventLoop).toMatchObject({
      blocks: 2,
      blockThresholdMs: 100,
      worstBlock: { ms: 251, at: '2026-12-02T13:02:11.000Z' },
      delayedIntervals: 0,
      worstMedian: null,
    });
    expect(s.eventLoop.maxMs).toBeCloseTo(251, 0);
    expect(s.slices.map((x) => x.blocks)).toEqual([0, 1, 1]);
    expect(s.windowMs).toBe(10 * MIN);
  });

  it('forgets what left the window, and only that', () => {
    const { w, clock } = window();
    w.lag(300);
    clock.t = 5 * MIN;
    w.lag(150);
    clock.t = 10 * MIN; // the first slice (minute 0) has left the 10-slice window
    const s = w.summary();
    expect(s.eventLoop.blocks).toBe(1);
    expect(s.eventLoop.worstBlock?.ms).toBe(150);
    clock.t = 15 * MIN;
    expect(w.summary().eventLoop).toMatchObject({ blocks: 0, worstBlock: null, maxMs: 0 });
    expect(w.summary().slices).toEqual([]);
  });

  it('counts intervals delayed at the median, and the GC pauses with the worst interval', () => {
    const { w, clock } = window();
    w.interval(interval(2, gc(5, 3)));
    clock.t = 30_000;
    w.interval(interval(12, gc(0, 1)));
    clock.t = 90_000;
    w.interval(interval(30, gc(400)));
    w.gc('major', 400, 5e7);
    w.gc('minor', 2, undefined);
    w.gc('major', 10, 4e7);
    const s = w.summary();
    expect(s.intervals).toBe(3);
    expect(s.sampledMs).toBe(3_000);
    expect(s.eventLoop).toMatchObject({
      delayedIntervals: 2,
      delayedMedianMs: 10,
      worstMedian: { ms: 30, at: '2026-12-02T13:01:30.000Z' },
    });
    // GC pauses from the collections themselves; the worst interval from the sampled readings.
    expect(s.gc).toMatchObject({ count: 3, pauseMs: 412 });
    expect(s.gc.byKind.major).toEqual({ count: 2, pauseMs: 410 });
    expect(s.gc.share).toBeCloseTo(412 / 3_000);
    expect(s.gc.worstInterval).toEqual({
      share: 0.4,
      pauseMs: 400,
      intervalMs: 1_000,
      at: '2026-12-02T13:01:30.000Z',
    });
    expect(s.heapAfterGc).toEqual({ count: 2, minBytes: 4e7, maxBytes: 5e7, lastBytes: 4e7 });
    expect(s.slices.map((x) => x.heapAfterGcBytes)).toEqual([null, 4e7]);
  });

  it('follows the operations window and its thresholds', () => {
    const { w } = window({ windowMinutes: 5, sliceMinutes: 0.5, blockThresholdMs: 50 });
    w.lag(60);
    expect(w.summary()).toMatchObject({ windowMs: 5 * MIN, eventLoop: { blocks: 1 } });
    expect(() => new RuntimeWindow({ windowMinutes: 0.1, sliceMinutes: 1 })).toThrow(
      /runtime.windowMinutes/,
    );
    expect(() => new RuntimeWindow({ blockThresholdMs: 0 })).toThrow(/runtime.blockThresholdMs/);
  });

  it('reuses its summary until a reading arrives or the window moves', () => {
    const { w, clock } = window();
    w.lag(150);
    const a = w.summary();
    expect(w.summary()).toBe(a);
    w.lag(1);
    const b = w.summary();
    expect(b).not.toBe(a);
    clock.t = MIN;
    expect(w.summary()).not.toBe(b);
  });
});
