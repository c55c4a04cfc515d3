export type {
  AggregateWorkersOptions,
  AggregatorStats,
  MessageSource,
  ReceiveOutcome,
  WorkerSeen,
} from './aggregate-workers.js';
export { aggregateWorkers, WorkerAggregator } from './aggregate-workers.js';
export type { MetricsMessage, OperationDeltaJSON } from './metrics-message.js';
export { METRICS_MESSAGE_TYPE } from './metrics-message.js';
export type { OperationsOwner } from './operations-owner.js';
export type { MessagePortLike } from './primary-channel.js';
export type {
  MetricsShareConfig,
  MetricsShareStats,
  ShareWithPrimaryOptions,
} from './share-with-primary.js';
export { MetricsShare, shareWithPrimary } from './share-with-primary.js';
