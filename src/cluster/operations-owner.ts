import type { OperationRegistry } from '../metrics/index.js';

/**
 * What the cluster functions need of a monitor: its timed operations. A
 * `PerformanceMonitor` is one; so is `{ operations: registry }` around a
 * standalone `OperationRegistry`.
 */
export interface OperationsOwner {
  readonly operations: OperationRegistry;
}
