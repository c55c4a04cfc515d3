import { statfs } from 'node:fs/promises';
import {
  constants,
  createHistogram,
  type EventLoopUtilization,
  PerformanceObserver,
  performance,
  type RecordableHistogram,
} from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { type Clock, checkNumber } from '../core/index.js';
import { type RuntimeVitals, usToMs, zeroGc } from './runtime-vitals.js';
import { RuntimeWindow, type RuntimeWindowSummary } from './runtime-window.js';

/** Options of a {@link RuntimeSampler}. */
export interface RuntimeSamplerOptions {
  /** How often to sample, at least 100 (the lag probe's period). @defaultValue 1_000 */
  intervalMs?: number;
  /** A path on the file system whose free space to read (the backup directory). */
  diskPath?: string;
  /** Called after each reading (e.g. to record capacity counts); a throw is ignored. */
  onSample?: (vitals: RuntimeVitals) => void;
  /** The sliding window the figures are also kept over (the operations' window). @defaultValue 10 */
  windowMinutes?: number;
  /** @defaultValue 1 */
  sliceMinutes?: number;
  /** A lag-probe reading at or over this counts as a block of the event loop. @defaultValue 100 */
  blockThresholdMs?: number;
  /** An interval whose median event-loop delay is at or over this counts as delayed. @defaultValue 10 */
  delayedMedianMs?: number;
  /** Time source of the window's slices. @defaultValue `performance.now()` */
  clock?: Clock;
}

const GC_KINDS: Record<number, keyof RuntimeVitals['gc']> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};
const HEAP_AFTER_GC = 30;
/**
 * Period of the lag probe, ms: a timer that notes how late it fires (a
 * 200 ms block makes it 100–200 ms late, depending on where in its period
 * the block starts). Node's `monitorEventLoopDelay` was tried first and
 * missed a 200 ms block entirely on Node 20 (its readings stayed at its own
 * period). 100 ms keeps the probe near 0.3% of a core here; 50 ms cost 0.5%.
 */
const LAG_PERIOD_MS = 100;

/** What a sampler hears from the process-wide probes. */
interface ProbeSubscriber {
  /** The lag probe fired `us` µs late (at least 1). */
  lag(us: number): void;
  /** A collection of `kind` paused for `pauseMs`; major ones come with the heap used after. */
  gc(kind: keyof RuntimeVitals['gc'], pauseMs: number, heapBytes: number | undefined): void;
}

/**
 * The lag probe and the GC observer are process-wide (process vitals are):
 * one timer and one observer however many monitors sample, started with the
 * first subscriber and stopped with the last.
 */
const probes = {
  subscribers: new Set<ProbeSubscriber>(),
  timer: undefined as NodeJS.Timeout | undefined,
  observer: undefined as PerformanceObserver | undefined,
};

function subscribe(s: ProbeSubscriber): void {
  probes.subscribers.add(s);
  if (probes.timer !== undefined) return;
  let last = performance.now();
  probes.timer = setInterval(() => {
    const now = performance.now();
    // How late the probe fired, in µs (histograms hold integers >= 1).
    const us = Math.max(1, Math.round((now - last - LAG_PERIOD_MS) * 1000));
    last = now;
    for (const sub of probes.subscribers) sub.lag(us);
  }, LAG_PERIOD_MS);
  probes.timer.unref();
  probes.observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? -1];
      if (kind === undefined) continue;
      const heap = kind === 'major' ? getHeapStatistics().used_heap_size : undefined;
      for (const sub of probes.subscribers) sub.gc(kind, entry.duration, heap);
    }
  });
  probes.observer.observe({ entryTypes: ['gc'] });
}

function unsubscribe(s: ProbeSubscriber): void {
  probes.subscribers.delete(s);
  if (probes.subscribers.size > 0) return;
  clearInterval(probes.timer);
  probes.timer = undefined;
  probes.observer?.disconnect();
  probes.observer = undefined;
}

/** @internal how many samplers share the process-wide probes, and whether they run. */
export function sharedProbes(): { subscribers: number; running: boolean } {
  return { subscribers: probes.subscribers.size, running: probes.timer !== undefined };
}

/**
 * Samples the process's vitals on an unref'd timer: memory, event-loop delay
 * (P50/P99/max per interval) and utilisation, GC pauses by kind, CPU, active
 * handles, and the free space of the backup directory. It measures its own
 * cost (`samplingCpuPercent`). Never throws into the application.
 *
 * @example
 * const sampler = new RuntimeSampler({ intervalMs: 1_000, diskPath: 'backups' });
 * sampler.start();
 * sampler.latest()?.eventLoopDelay.p99Ms;
 */
export class RuntimeSampler {
  readonly intervalMs: number;
  readonly #diskPath: string | undefined;
  readonly #onSample: ((vitals: RuntimeVitals) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #delay: RecordableHistogram | undefined;
  #subscriber: ProbeSubscriber | undefined;
  #gc = zeroGc();
  readonly #heapAfterGc: number[] = [];
  #elu: EventLoopUtilization | undefined;
  #cpu: NodeJS.CpuUsage | undefined;
  #lastAt = 0;
  #startedAt = 0;
  #samplingMs = 0;
  #latest: RuntimeVitals | undefined;
  #disk: RuntimeVitals['disk'] = null;
  #diskPending = false;
  readonly #history: RuntimeVitals[] = [];
  readonly #window: RuntimeWindow;

  /** @throws RangeError naming an invalid option */
  constructor(options: RuntimeSamplerOptions = {}) {
    // At least one lag probe per interval, or intervals without a reading would read 0.
    this.intervalMs = checkNumber(options.intervalMs ?? 1_000, 'runtime.intervalMs', LAG_PERIOD_MS);
    this.#diskPath = options.diskPath;
    this.#onSample = options.onSample;
    this.#window = new RuntimeWindow({
      ...(options.windowMinutes === undefined ? {} : { windowMinutes: options.windowMinutes }),
      ...(options.sliceMinutes === undefined ? {} : { sliceMinutes: options.sliceMinutes }),
      ...(options.blockThresholdMs === undefined
        ? {}
        : { blockThresholdMs: options.blockThresholdMs }),
      ...(options.delayedMedianMs === undefined
        ? {}
        : { delayedMedianMs: options.delayedMedianMs }),
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    });
  }

  /** True while sampling. */
  get running(): boolean {
    return this.#timer !== undefined;
  }

  /** Starts sampling (idempotent). The first figures come after one interval. */
  start(): void {
    if (this.#timer !== undefined) return;
    const delay = createHistogram();
    this.#delay = delay;
    const window = this.#window;
    this.#subscriber = {
      lag: (us) => {
        delay.record(us);
        window.lag(us / 1000);
      },
      gc: (kind, pauseMs, heapBytes) => {
        window.gc(kind, pauseMs, heapBytes);
        this.#gc[kind].count++;
        this.#gc[kind].pauseMs += pauseMs;
        if (heapBytes !== undefined) {
          this.#heapAfterGc.push(heapBytes);
          if (this.#heapAfterGc.length > HEAP_AFTER_GC) this.#heapAfterGc.shift();
        }
      },
    };
    subscribe(this.#subscriber);
    this.#elu = performance.eventLoopUtilization();
    this.#cpu = process.cpuUsage();
    this.#lastAt = performance.now();
    this.#startedAt = this.#lastAt;
    this.#samplingMs = 0; // a restart measures its own cost afresh
    this.#gc = zeroGc();
    this.#timer = setInterval(() => this.sample(), this.intervalMs);
    this.#timer.unref();
  }

  /** Stops sampling; the latest figures stay readable. */
  stop(): void {
    if (this.#timer === undefined) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#subscriber !== undefined) unsubscribe(this.#subscriber);
    this.#subscriber = undefined;
  }

  /** The latest reading, or `undefined` before the first. */
  latest(): RuntimeVitals | undefined {
    return this.#latest;
  }

  /**
   * The figures over the sliding window (the operations' window): event-loop
   * blocks with the worst and its time, delay percentiles, GC pauses and the
   * heap after GC, per slice and in all. What the report judges; `latest()`
   * is the last interval alone.
   */
  window(): RuntimeWindowSummary {
    return this.#window.summary();
  }

  /** Blocks of the event loop and GC pauses by kind since the sampler was made (they only grow). */
  totals(): { blocks: number; gc: RuntimeVitals['gc'] } {
    return this.#window.totals();
  }

  /** The last readings, oldest first (at most 120). */
  history(): readonly RuntimeVitals[] {
    return this.#history;
  }

  /**
   * Takes a reading now (the timer calls this every interval). Never throws.
   * @returns the reading, or `undefined` when the sampler is not running
   */
  sample(): RuntimeVitals | undefined {
    if (this.#timer === undefined || this.#delay === undefined) return undefined;
    const started = performance.now();
    try {
      const intervalMs = started - this.#lastAt;
      const mem = process.memoryUsage();
      const heap = getHeapStatistics();
      const elu = performance.eventLoopUtilization(this.#elu);
      this.#elu = performance.eventLoopUtilization();
      const cpu = process.cpuUsage(this.#cpu);
      this.#cpu = process.cpuUsage();
      const d = this.#delay;
      const eventLoopDelay =
        d.count === 0
          ? { p50Ms: 0, p99Ms: 0, maxMs: 0 }
          : {
              p50Ms: usToMs(d.percentile(50)),
              p99Ms: usToMs(d.percentile(99)),
              maxMs: usToMs(d.max),
            };
      d.reset();
      const activeResources: Record<string, number> = {};
      for (const r of process.getActiveResourcesInfo()) {
        activeResources[r] = (activeResources[r] ?? 0) + 1;
      }
      const gc = this.#gc;
      this.#gc = zeroGc();
      this.#lastAt = started;
      const vitals: RuntimeVitals = {
        sampledAt: new Date().toISOString(),
        intervalMs,
        memory: {
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          heapTotalBytes: mem.heapTotal,
          heapLimitBytes: heap.heap_size_limit,
          externalBytes: mem.external,
          arrayBuffersBytes: mem.arrayBuffers,
          heapAfterGcBytes: [...this.#heapAfterGc],
        },
        eventLoopDelay,
        eventLoopUtilization: elu.utilization,
        gc,
        cpuPercent: intervalMs > 0 ? ((cpu.user + cpu.system) / 1000 / intervalMs) * 100 : 0,
        activeResources,
        disk: this.#disk,
        samplingCpuPercent: 0,
        lastSampleMs: 0,
      };
      this.#readDisk();
      const took = performance.now() - started;
      this.#samplingMs += took;
      vitals.lastSampleMs = took;
      vitals.samplingCpuPercent = (this.#samplingMs / Math.max(1, started - this.#startedAt)) * 100;
      this.#latest = vitals;
      this.#window.interval(vitals);
      this.#history.push(vitals);
      if (this.#history.length > 120) this.#history.shift();
      try {
        this.#onSample?.(vitals);
      } catch {
        // the callback's problem, never the app's
      }
      return vitals;
    } catch {
      return this.#latest; // a failing reading never reaches the app
    }
  }

  #readDisk(): void {
    const path = this.#diskPath;
    // One reading at a time: a hung file system never piles requests on the thread pool.
    if (path === undefined || this.#diskPending) return;
    this.#diskPending = true;
    statfs(path)
      .then(
        (s) => {
          this.#disk = { path, freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
        },
        () => undefined, // not there yet (no backup so far): no reading
      )
      .finally(() => {
        this.#diskPending = false;
      });
  }
}
