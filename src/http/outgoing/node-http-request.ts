import type { ClientRequest } from 'node:http';
import type { OutgoingRequestInfo } from './outgoing-options.js';

/** The request as `name` and `ignore` see it; the host from its `Host` header (host and non-default port). */
export function clientRequestInfo(request: ClientRequest): OutgoingRequestInfo {
  const header = request.getHeader('host');
  return {
    client: 'node:http',
    method: request.method,
    protocol: request.protocol,
    host: typeof header === 'string' ? header : request.host,
    path: request.path,
  };
}
