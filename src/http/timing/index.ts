export {
  HTTP_METHODS,
  METHOD_BUCKETS,
  methodIndex,
  methodName,
  OTHER_METHOD,
} from './http-method.js';
export { checkListener, InternalErrors, TIMING_FAILED_WARNING } from './internal-errors.js';
export { fitTarget } from './operation-name.js';
export type { HttpTimingTarget, TimedOperation } from './timing-target.js';
export { timingClock } from './timing-target.js';
