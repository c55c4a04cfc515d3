export type { Contender, ExtrasContext, OperationFigures, Target } from './contender.js';
export { CONTENDERS } from './contenders.js';
export { metricsSuite } from './suite.js';
