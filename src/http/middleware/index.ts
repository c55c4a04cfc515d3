export type { ExpressMiddleware, KeelExpressOptions } from './keel-express.js';
export { keelExpress } from './keel-express.js';
export type {
  FastifyHooks,
  FastifyPlugin,
  FastifyReplyStatus,
  FastifyRoutedRequest,
} from './keel-fastify.js';
export { keelFastify } from './keel-fastify.js';
export type { KoaMiddleware, KoaRoutedContext } from './keel-koa.js';
export { keelKoa } from './keel-koa.js';
export type {
  KeelNodeHttpOptions,
  NodeHttpHandler,
  NodeHttpMiddleware,
} from './keel-node-http.js';
export { keelNodeHandler, keelNodeHttp } from './keel-node-http.js';
export type { HttpMiddlewareConfig, HttpMiddlewareOptions } from './middleware-options.js';
export {
  HTTP_SERVER_KIND,
  OVERFLOW_ROUTE,
  REQUEST_COUNTER,
  UNMATCHED_ROUTE,
} from './middleware-options.js';
export type { StatusClass } from './status-class.js';
export { STATUS_CLASSES } from './status-class.js';
