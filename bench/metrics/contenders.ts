import type { Contender } from './contender.js';
import { ddSketch } from './ddsketch.js';
import { hdrHistogram } from './hdr-histogram.js';
import { keel } from './keel.js';
import { openTelemetry } from './opentelemetry.js';
import { perfHooks } from './perf-hooks.js';
import { promHistogram, promSummary } from './prom-client.js';
import { ringBuffer } from './ring-buffer.js';

/** Keel first (the ratios' base), then the anchors. */
export const CONTENDERS: readonly Contender[] = [
  keel,
  promHistogram,
  promSummary,
  hdrHistogram,
  ddSketch,
  openTelemetry,
  perfHooks,
  ringBuffer,
];
