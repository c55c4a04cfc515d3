export type { RuntimeSamplerOptions } from './runtime-sampler.js';
export { RuntimeSampler } from './runtime-sampler.js';
export type { GcFigures, RuntimeVitals } from './runtime-vitals.js';
export type {
  RuntimeSliceSummary,
  RuntimeWindowOptions,
  RuntimeWindowSummary,
  Worst,
} from './runtime-window.js';
export { RuntimeWindow } from './runtime-window.js';
