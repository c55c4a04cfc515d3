/** Pause time and count of one kind of garbage collection over a sample. */
export interface GcFigures {
  count: number;
  pauseMs: number;
}

/** One reading of the process's vitals; figures over an interval cover the last one. */
export interface RuntimeVitals {
  /** ISO time of the reading. */
  sampledAt: string;
  /** Length of the interval the rates and delays cover, ms. */
  intervalMs: number;
  memory: {
    rssBytes: number;
    heapUsedBytes: number;
    heapTotalBytes: number;
    /** V8's heap size limit. */
    heapLimitBytes: number;
    externalBytes: number;
    arrayBuffersBytes: number;
    /** Heap used right after each of the last major collections, oldest first (at most 30). */
    heapAfterGcBytes: number[];
  };
  /**
   * Event-loop delay over the interval (reset every interval), ms: how late
   * a 100 ms probe timer fired — under a millisecond on a free-running loop.
   */
  eventLoopDelay: { p50Ms: number; p99Ms: number; maxMs: number };
  /** Fraction 0..1 of the interval the event loop was busy. */
  eventLoopUtilization: number;
  /** Garbage-collection pauses over the interval, by kind. */
  gc: { major: GcFigures; minor: GcFigures; incremental: GcFigures; weakcb: GcFigures };
  /** CPU time over the interval as a percentage of one core (user + system). */
  cpuPercent: number;
  /** Handles and requests keeping the loop alive, by type (`process.getActiveResourcesInfo`). */
  activeResources: Record<string, number>;
  /** Free space of the backup directory's file system; `null` until read or when unreadable. */
  disk: { path: string; freeBytes: number; totalBytes: number } | null;
  /**
   * What taking the readings costs: time spent in them over wall time, % of
   * one core. The lag probe's own timer is not included; the health bench
   * measures the whole.
   */
  samplingCpuPercent: number;
  /** Time the last sample took, ms. */
  lastSampleMs: number;
}

/** GC figures of nothing yet. */
export function zeroGc(): RuntimeVitals['gc'] {
  return {
    major: { count: 0, pauseMs: 0 },
    minor: { count: 0, pauseMs: 0 },
    incremental: { count: 0, pauseMs: 0 },
    weakcb: { count: 0, pauseMs: 0 },
  };
}

/** A histogram reading in µs as ms (the lag probe records at least 1 µs, which reads as 0). */
export function usToMs(us: number): number {
  return Number.isFinite(us) && us > 1 ? us / 1000 : 0;
}
