/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const exposedGc = (globalThis as { gc?: () => void }).gc;

/** True when node runs with `--expose-gc`, so memory figures are meaningful. */
export const gcAvailable = exposedGc !== undefined;

/** A full collection (twice, so finalizers and weak cells settle); no-op without `--expose-gc`. */
export function collectGarbage(): void {
  exposedGc?.();
  exposedGc?.();
}

/**
 * Memory use once the heap has settled: full GCs until heap+external stops
 * moving (ArrayBuffer backing stores are freed by a background sweeper after
 * the GC, so one `gc()` can leave freed buffers counted in `external`).
 */
export async function settledMemory(): Promise<MemoryReading> {
  let last = memoryNow();
  for (let i = 0; i < 10; i++) {
    collectGarbage();
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
    const now = memoryNow();
    const stable = Math.abs(now.heapAndExternal - last.heapAndExternal) < 16 * 1024;
    last = now;
    if (stable && i > 0) break;
  }
  return last;
}

/** What {@link memoryNow} reads. */
export interface MemoryReading {
  /** Heap used plus external memory (external includes ArrayBuffers and WebAssembly memory). */
  heapAndExternal: number;
  /** Resident set size: also sees native allocations V8 is not told about. */
  rss: number;
}

/** Current memory use. */
export function memoryNow(): MemoryReading {
  const m = process.memoryUsage();
  return { heapAndExternal: m.heapUsed + m.external, rss: m.rss };
}

/** Options of {@link repeat}. */
export interface RepeatOptions {
  /** Measured repetitions; the median is kept. */
  reps: number;
  /** Repetitions run first and dropped (JIT warm-up). */
  warmup: number;
}

/**
 * Runs `rep` warm-up + measured times, each after a full GC, and returns the
 * median of what the measured runs returned (`rep` times its own timed part).
 */
export async function repeat(
  options: RepeatOptions,
  rep: (index: number, last: boolean) => number | Promise<number>,
): Promise<number> {
  const samples: number[] = [];
  const total = options.warmup + options.reps;
  for (let i = 0; i < total; i++) {
    collectGarbage();
    const x = await rep(i, i === total - 1);
    if (i >= options.warmup) samples.push(x);
  }
  return median(samples);
}
