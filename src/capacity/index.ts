export type { CapacityTrend } from './capacity-history.js';
export { CapacityHistory } from './capacity-history.js';
export type {
  CapacityPolicy,
  CapacityState,
  CapacityStateChangedEvent,
  CapacityTrackerOptions,
  ResourceOptions,
  ResourceStatus,
} from './capacity-tracker.js';
export { BUILT_IN_LIMITS, CapacityTracker } from './capacity-tracker.js';
export type {
  SessionAttributes,
  SessionEndedEvent,
  SessionEndReason,
  SessionInfo,
  SessionStats,
  SessionTrackerOptions,
} from './session-tracker.js';
export {
  MAX_SESSION_ATTRIBUTE_LENGTH,
  MAX_SESSION_ATTRIBUTES,
  MAX_SESSION_ID_LENGTH,
  SessionTracker,
} from './session-tracker.js';
