import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkToken, isLoopback } from './auth.js';
import { createHandler, type HttpHandlerOptions, type HttpSources } from './routes.js';

/** Options of {@link serve}. */
export interface ServeOptions extends HttpHandlerOptions {
  /** @defaultValue 9464 (0 picks a free port) */
  port?: number;
  /** @defaultValue '127.0.0.1': only this machine can reach it */
  host?: string;
  /**
   * Allows a non-loopback host without a token. Anyone who reaches the port
   * then reads every figure (the mutating routes stay disabled without a token).
   * @defaultValue false
   */
  allowUnauthenticated?: boolean;
  /** Longest a client may take to send the request headers. @defaultValue 10_000 */
  headersTimeoutMs?: number;
  /** Longest a client may take to send the whole request. @defaultValue 30_000 */
  requestTimeoutMs?: number;
}

/** A running server. */
export interface KeelServer extends AsyncDisposable {
  /** e.g. `http://127.0.0.1:9464` */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Stops listening, ends event streams and open connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts Keel's HTTP server on `node:http`.
 * @throws RangeError or TypeError for bad options; Error when a public host has no token
 */
export async function serve(sources: HttpSources, options: ServeOptions = {}): Promise<KeelServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 9464;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be an integer from 0 to 65535, got ${port}`);
  }
  if (options.token !== undefined) checkToken(options.token);
  if (!isLoopback(host) && options.token === undefined && options.allowUnauthenticated !== true) {
    throw new Error(
      `refusing to serve on ${host} without a token: anyone who can reach it would read every figure. ` +
        'Pass serve({ token }) (and send "Authorization: Bearer <token>"), bind to 127.0.0.1, ' +
        'or pass allowUnauthenticated: true if a proxy in front of Keel authenticates',
    );
  }
  const headersTimeout = timeout(options.headersTimeoutMs ?? 10_000, 'headersTimeoutMs');
  const requestTimeout = timeout(options.requestTimeoutMs ?? 30_000, 'requestTimeoutMs');
  const handler = createHandler(sources, options);
  const server: Server = createServer(
    {
      headersTimeout,
      requestTimeout: Math.max(requestTimeout, headersTimeout),
      // How often Node checks those timeouts: at least a few times per timeout.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(headersTimeout / 4))),
      maxHeaderSize: 16_384,
    },
    (req, res) => handler(req, res),
  );
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 100;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((resolve) => {
      handler.close();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closing;
  };
  return {
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    host: address.address,
    close,
    [Symbol.asyncDispose]: close,
  };
}

function timeout(ms: number, name: string): number {
  if (!Number.isSafeInteger(ms) || ms < 1)
    throw new RangeError(`${name} must be an integer >= 1 (ms), got ${ms}`);
  return ms;
}
