export { bearerMatches, checkToken, isLoopback, MIN_TOKEN_LENGTH } from './auth.js';
export type { HttpHandlerOptions, HttpSources, KeelRequestHandler } from './routes.js';
export { createHandler } from './routes.js';
export type { KeelServer, ServeOptions } from './server.js';
export { serve } from './server.js';
