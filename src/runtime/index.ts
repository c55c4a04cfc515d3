export type { GcFigures, RuntimeSamplerOptions, RuntimeVitals } from './runtime-sampler.js';
export { RuntimeSampler } from './runtime-sampler.js';
