export { instrumentOutgoingHttp } from './instrument-outgoing-http.js';
export type {
  OutgoingHttpConfig,
  OutgoingHttpOptions,
  OutgoingRequestInfo,
} from './outgoing-options.js';
export { KEEL_INTERNAL_HEADER, OUTGOING_HTTP_KIND } from './outgoing-options.js';
