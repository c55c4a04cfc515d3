import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';
import { type Clock, checkNumber, systemClock } from '../core/index.js';
import { type GcFigures, usToMs as ms, type RuntimeVitals, zeroGc } from './runtime-vitals.js';

/** The worst occurrence of something in the window, and when it happened. */
export interface Worst {
  ms: number;
  /** ISO time it was seen. */
  at: string;
}

/** One slice of the runtime window (a minute by default). */
export interface RuntimeSliceSummary {
  /** ISO time the slice began. */
  startedAt: string;
  /** Lag-probe readings at or over the block threshold. */
  blocks: number;
  /** Longest event-loop delay seen in the slice, ms (0 when none). */
  maxDelayMs: number;
  p99DelayMs: number;
  /** GC pause time in the slice, all kinds, ms. */
  gcPauseMs: number;
  /** Heap used after the slice's last major GC; `null` when it had none. */
  heapAfterGcBytes: number | null;
}

/**
 * The runtime figures over the same sliding window as the operations: what
 * the report and the recommendations judge, so a block minutes ago is not
 * forgotten (the last interval alone is what liveness judges).
 */
export interface RuntimeWindowSummary {
  /** Length of the window, ms. */
  windowMs: number;
  /** Time covered by samples within the window, ms. */
  sampledMs: number;
  /** Sampling intervals within the window. */
  intervals: number;
  eventLoop: {
    /** Over every lag-probe reading of the window, ms. */
    p50Ms: number;
    p99Ms: number;
    maxMs: number;
    /** Lag-probe readings at or over `blockThresholdMs`: each is one block of the loop. */
    blocks: number;
    blockThresholdMs: number;
    worstBlock: Worst | null;
    /** Sampling intervals whose median delay was at or over `delayedMedianMs`. */
    delayedIntervals: number;
    delayedMedianMs: number;
    worstMedian: Worst | null;
  };
  gc: {
    count: number;
    pauseMs: number;
    /** Pause time over the sampled time, 0..1. */
    share: number;
    byKind: RuntimeVitals['gc'];
    /** The sampling interval with the largest share of GC pauses. */
    worstInterval: { share: number; pauseMs: number; intervalMs: number; at: string } | null;
  };
  /** Heap used after the major GCs of the window; `null` when there was none. */
  heapAfterGc: { count: number; minBytes: number; maxBytes: number; lastBytes: number } | null;
  /** Oldest first. */
  slices: RuntimeSliceSummary[];
}

/** Options of a {@link RuntimeWindow}. */
export interface RuntimeWindowOptions {
  /** Length of the window (the operations' window). @defaultValue 10 */
  windowMinutes?: number;
  /** Length of a slice. @defaultValue 1 */
  sliceMinutes?: number;
  /** A lag-probe reading at or over this is a block of the event loop. @defaultValue 100 */
  blockThresholdMs?: number;
  /** An interval whose median delay is at or over this counts as delayed. @defaultValue 10 */
  delayedMedianMs?: number;
  /** Time source of the slices (the monitor's clock). @defaultValue `performance.now()` */
  clock?: Clock;
  /** Wall clock for the times shown. @defaultValue Date.now */
  now?: () => number;
}

interface Slice {
  index: number;
  startedAt: number;
  /** Lag readings, µs (integers >= 1), made on the first reading. */
  lag: RecordableHistogram | undefined;
  blocks: number;
  worstBlock: { ms: number; at: number } | undefined;
  delayedIntervals: number;
  worstMedian: { ms: number; at: number } | undefined;
  gc: RuntimeVitals['gc'];
  worstGc: { share: number; pauseMs: number; intervalMs: number; at: number } | undefined;
  heapAfterGc: { count: number; min: number; max: number; last: number } | undefined;
  intervals: number;
  sampledMs: number;
}

const GC_KINDS = ['major', 'minor', 'incremental', 'weakcb'] as const;

const iso = (ms: number) => new Date(ms).toISOString();
const worst = (w: { ms: number; at: number } | undefined): Worst | null =>
  w === undefined ? null : { ms: w.ms, at: iso(w.at) };

/**
 * Runtime figures kept per slice over a sliding window: event-loop delay
 * (a histogram per slice), blocks over a threshold with the worst and its
 * time, delayed intervals, GC pauses by kind with the worst interval, and
 * the heap after major GCs. Fed by the {@link RuntimeSampler}; a reading
 * costs a clock read and a few additions.
 *
 * @example
 * const w = new RuntimeWindow({ windowMinutes: 10, blockThresholdMs: 100 });
 * w.lag(250);
 * w.summary().eventLoop.blocks; // 1
 */
export class RuntimeWindow {
  readonly windowMs: number;
  readonly sliceMs: number;
  readonly blockThresholdMs: number;
  readonly delayedMedianMs: number;
  readonly #slices: Slice[] = [];
  readonly #clock: Clock;
  readonly #now: () => number;
  #version = 0;
  readonly #totals = { blocks: 0, gc: zeroGc() };
  #cached: { version: number; index: number; summary: RuntimeWindowSummary } | undefined;

  /** @throws RangeError naming an invalid option */
  constructor(options: RuntimeWindowOptions = {}) {
    const sliceMinutes = checkNumber(options.sliceMinutes ?? 1, 'runtime.sliceMinutes', 0.001);
    const windowMinutes = checkNumber(
      options.windowMinutes ?? 10,
      'runtime.windowMinutes',
      sliceMinutes,
    );
    this.sliceMs = sliceMinutes * 60_000;
    this.windowMs = windowMinutes * 60_000;
    this.blockThresholdMs = checkNumber(
      options.blockThresholdMs ?? 100,
      'runtime.blockThresholdMs',
      0.001,
    );
    this.delayedMedianMs = checkNumber(
      options.delayedMedianMs ?? 10,
      'runtime.delayedMedianMs',
      0.001,
    );
    this.#clock = options.clock ?? systemClock;
    this.#now = options.now ?? Date.now;
  }

  /** Slices the window holds: the current one and the ones before it. */
  get #count(): number {
    return Math.max(1, Math.round(this.windowMs / this.sliceMs));
  }

  #current(): Slice {
    const index = Math.floor(this.#clock.now() / this.sliceMs);
    const last = this.#slices[this.#slices.length - 1];
    if (last !== undefined && last.index === index) return last;
    const slice: Slice = {
      index,
      startedAt: this.#now(),
      lag: undefined,
      blocks: 0,
      worstBlock: undefined,
      delayedIntervals: 0,
      worstMedian: undefined,
      gc: zeroGc(),
      worstGc: undefined,
      heapAfterGc: undefined,
      intervals: 0,
      sampledMs: 0,
    };
    this.#slices.push(slice);
    this.#drop(index);
    return slice;
  }

  /** Drops the slices that left the window ending at slice `index`. */
  #drop(index: number): void {
    const oldest = index - this.#count + 1;
    while (this.#slices.length > 0 && this.#slices[0]!.index < oldest) this.#slices.shift();
  }

  /** One lag-probe reading: how late the probe fired, ms. */
  lag(ms: number): void {
    const s = this.#current();
    s.lag ??= createHistogram();
    s.lag.record(Math.max(1, Math.round(ms * 1000)));
    if (ms >= this.blockThresholdMs) {
      s.blocks++;
      this.#totals.blocks++;
      if (s.worstBlock === undefined || ms > s.worstBlock.ms) {
        s.worstBlock = { ms, at: this.#now() };
      }
    }
    this.#version++;
  }

  /** One garbage collection; major ones come with the heap used after. */
  gc(kind: keyof RuntimeVitals['gc'], pauseMs: number, heapBytes: number | undefined): void {
    const s = this.#current();
    s.gc[kind].count++;
    s.gc[kind].pauseMs += pauseMs;
    this.#totals.gc[kind].count++;
    this.#totals.gc[kind].pauseMs += pauseMs;
    if (heapBytes !== undefined) {
      const h = s.heapAfterGc;
      if (h === undefined)
        s.heapAfterGc = { count: 1, min: heapBytes, max: heapBytes, last: heapBytes };
      else {
        h.count++;
        h.min = Math.min(h.min, heapBytes);
        h.max = Math.max(h.max, heapBytes);
        h.last = heapBytes;
      }
    }
    this.#version++;
  }

  /** One sampling interval's reading: its median delay and its share of GC pauses. */
  interval(v: Pick<RuntimeVitals, 'intervalMs' | 'eventLoopDelay' | 'gc'>): void {
    const s = this.#current();
    s.intervals++;
    s.sampledMs += v.intervalMs;
    const at = this.#now();
    const p50 = v.eventLoopDelay.p50Ms;
    if (p50 >= this.delayedMedianMs) {
      s.delayedIntervals++;
      if (s.worstMedian === undefined || p50 > s.worstMedian.ms) s.worstMedian = { ms: p50, at };
    }
    let pauseMs = 0;
    for (const kind of GC_KINDS) pauseMs += v.gc[kind].pauseMs;
    const share = v.intervalMs > 0 ? pauseMs / v.intervalMs : 0;
    if (pauseMs > 0 && (s.worstGc === undefined || share > s.worstGc.share)) {
      s.worstGc = { share, pauseMs, intervalMs: v.intervalMs, at };
    }
    this.#version++;
  }

  /** Counts since the window was made (for counters that only grow): blocks, GC by kind. */
  totals(): { blocks: number; gc: RuntimeVitals['gc'] } {
    const gc = zeroGc();
    for (const kind of GC_KINDS) add(gc[kind], this.#totals.gc[kind]);
    return { blocks: this.#totals.blocks, gc };
  }

  /** The figures over the window (recomputed only after a new reading or when the window moved). */
  summary(): RuntimeWindowSummary {
    const index = Math.floor(this.#clock.now() / this.sliceMs);
    const cached = this.#cached;
    if (cached !== undefined && cached.version === this.#version && cached.index === index) {
      return cached.summary;
    }
    this.#drop(index);
    const summary = this.#summarise();
    this.#cached = { version: this.#version, index, summary };
    return summary;
  }

  #summarise(): RuntimeWindowSummary {
    const all = createHistogram();
    const byKind = zeroGc();
    let blocks = 0;
    let delayedIntervals = 0;
    let intervals = 0;
    let sampledMs = 0;
    let worstBlock: Slice['worstBlock'];
    let worstMedian: Slice['worstMedian'];
    let worstGc: Slice['worstGc'];
    let heap: RuntimeWindowSummary['heapAfterGc'] = null;
    const slices: RuntimeSliceSummary[] = [];
    for (const s of this.#slices) {
      if (s.lag !== undefined) all.add(s.lag);
      blocks += s.blocks;
      delayedIntervals += s.delayedIntervals;
      intervals += s.intervals;
      sampledMs += s.sampledMs;
      if (
        s.worstBlock !== undefined &&
        (worstBlock === undefined || s.worstBlock.ms > worstBlock.ms)
      ) {
        worstBlock = s.worstBlock;
      }
      if (
        s.worstMedian !== undefined &&
        (worstMedian === undefined || s.worstMedian.ms > worstMedian.ms)
      ) {
        worstMedian = s.worstMedian;
      }
      if (s.worstGc !== undefined && (worstGc === undefined || s.worstGc.share > worstGc.share)) {
        worstGc = s.worstGc;
      }
      let gcPauseMs = 0;
      for (const kind of GC_KINDS) {
        add(byKind[kind], s.gc[kind]);
        gcPauseMs += s.gc[kind].pauseMs;
      }
      const h = s.heapAfterGc;
      if (h !== undefined) {
        heap =
          heap === null
            ? { count: h.count, minBytes: h.min, maxBytes: h.max, lastBytes: h.last }
            : {
                count: heap.count + h.count,
                minBytes: Math.min(heap.minBytes, h.min),
                maxBytes: Math.max(heap.maxBytes, h.max),
                lastBytes: h.last,
              };
      }
      slices.push({
        startedAt: iso(s.startedAt),
        blocks: s.blocks,
        maxDelayMs: s.lag === undefined ? 0 : ms(s.lag.max),
        p99DelayMs: s.lag === undefined ? 0 : ms(s.lag.percentile(99)),
        gcPauseMs,
        heapAfterGcBytes: h?.last ?? null,
      });
    }
    let count = 0;
    let pauseMs = 0;
    for (const kind of GC_KINDS) {
      count += byKind[kind].count;
      pauseMs += byKind[kind].pauseMs;
    }
    const any = all.count > 0;
    return {
      windowMs: this.windowMs,
      sampledMs,
      intervals,
      eventLoop: {
        p50Ms: any ? ms(all.percentile(50)) : 0,
        p99Ms: any ? ms(all.percentile(99)) : 0,
        maxMs: any ? ms(all.max) : 0,
        blocks,
        blockThresholdMs: this.blockThresholdMs,
        worstBlock: worst(worstBlock),
        delayedIntervals,
        delayedMedianMs: this.delayedMedianMs,
        worstMedian: worst(worstMedian),
      },
      gc: {
        count,
        pauseMs,
        share: sampledMs > 0 ? pauseMs / sampledMs : 0,
        byKind,
        worstInterval:
          worstGc === undefined
            ? null
            : {
                share: worstGc.share,
                pauseMs: worstGc.pauseMs,
                intervalMs: worstGc.intervalMs,
                at: iso(worstGc.at),
              },
      },
      heapAfterGc: heap,
      slices,
    };
  }
}

function add(into: GcFigures, from: GcFigures): void {
  into.count += from.count;
  into.pauseMs += from.pauseMs;
}
