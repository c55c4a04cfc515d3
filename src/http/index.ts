export { bearerMatches, checkToken, isLoopback, MIN_TOKEN_LENGTH } from './auth.js';
export type {
  ExpressMiddleware,
  FastifyHooks,
  FastifyPlugin,
  FastifyReplyStatus,
  FastifyRoutedRequest,
  HttpMiddlewareConfig,
  HttpMiddlewareOptions,
  KeelExpressOptions,
  KeelNodeHttpOptions,
  KoaMiddleware,
  KoaRoutedContext,
  NodeHttpHandler,
  NodeHttpMiddleware,
  StatusClass,
} from './middleware/index.js';
export {
  HTTP_SERVER_KIND,
  keelExpress,
  keelFastify,
  keelKoa,
  keelNodeHandler,
  keelNodeHttp,
  OVERFLOW_ROUTE,
  REQUEST_COUNTER,
  STATUS_CLASSES,
  UNMATCHED_ROUTE,
} from './middleware/index.js';
export type {
  OutgoingHttpConfig,
  OutgoingHttpOptions,
  OutgoingRequestInfo,
} from './outgoing/index.js';
export {
  instrumentOutgoingHttp,
  KEEL_INTERNAL_HEADER,
  OUTGOING_HTTP_KIND,
} from './outgoing/index.js';
export type { HttpHandlerOptions, HttpSources, KeelRequestHandler } from './routes.js';
export { createHandler } from './routes.js';
export type { KeelServer, ServeOptions } from './server.js';
export { serve } from './server.js';
export type { HttpTimingTarget, TimedOperation } from './timing/index.js';
export { HTTP_METHODS, OTHER_METHOD, TIMING_FAILED_WARNING } from './timing/index.js';
