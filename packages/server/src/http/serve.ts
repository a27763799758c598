import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHttpHandler, type HttpHandler, type HttpHandlerOptions } from './create-http-handler.js';
import { toNodeListener } from './node-listener.js';

/** TLS settings of {@link serve}: PEM strings or buffers. */
export interface TlsOptions {
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
  /** CA(s) that sign client certificates (mTLS). */
  readonly ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** Require a client certificate signed by `ca` (mutual TLS); the handshake fails without one. */
  readonly requireClientCert?: boolean;
}

/** Options of {@link serve}: the handler's options plus where to listen. */
export interface ServeOptions extends HttpHandlerOptions {
  /** Port (default 8080; 0 picks a free one). */
  readonly port?: number;
  /** Interface (default `127.0.0.1`). */
  readonly host?: string;
  /** HTTPS (and optionally mTLS) instead of plain HTTP. */
  readonly tls?: TlsOptions;
}

/** A running server. */
export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  readonly handler: HttpHandler;
  /**
   * Stops accepting connections, closes idle ones, lets requests in flight finish (their replies are sent, then
   * their connections closed) for up to `graceMs` (default {@link DEFAULT_CLOSE_GRACE_MS}; 0: none), then closes
   * what is still open and frees the handler. The engine is left running: stop it after this resolves, so that
   * no request that was answered loses its effect and none is cut after its effect is committed.
   */
  close(options?: CloseOptions): Promise<void>;
}

/** Options of {@link RunningServer.close}. */
export interface CloseOptions {
  /** Milliseconds requests in flight get to finish before their connections are closed (`Infinity`: no limit). */
  readonly graceMs?: number;
}

/** Default {@link CloseOptions.graceMs}. */
export const DEFAULT_CLOSE_GRACE_MS = 5_000;

/**
 * Serves {@link createHttpHandler}'s routes on `node:http`, or `node:https` when `tls` is given (with
 * `requireClientCert`, clients must present a certificate signed by `tls.ca`).
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const handler = createHttpHandler(options);
  const listener = toNodeListener(handler);
  const tls = options.tls;
  const server: Server = tls
    ? createHttpsServer(
        {
          cert: toPem(tls.cert),
          key: toPem(tls.key),
          ...(tls.ca === undefined
            ? {}
            : { ca: Array.isArray(tls.ca) ? tls.ca.map(toPem) : toPem(tls.ca as string | Uint8Array) }),
          ...(tls.requireClientCert === true ? { requestCert: true, rejectUnauthorized: true } : {}),
          minVersion: 'TLSv1.2',
        },
        listener,
      )
    : createHttpServer(listener);
  const requestTimeout = (options.requestTimeoutMs ?? 30_000) + (options.bodyTimeoutMs ?? 10_000) + 5_000;
  server.requestTimeout = requestTimeout;
  server.headersTimeout = Math.min(60_000, requestTimeout);
  // A connection that moves no byte either way for as long (a client that stops reading a reply) is closed, so
  // its reply's buffers are freed; longer than any answer may take to start.
  server.timeout = requestTimeout;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `${tls ? 'https' : 'http'}://${shown}:${port}`,
    port,
    server,
    handler,
    async close(closeOptions: CloseOptions = {}) {
      const graceMs = closeOptions.graceMs ?? DEFAULT_CLOSE_GRACE_MS;
      await new Promise<void>((resolve) => {
        // Stops accepting; idle keep-alive connections close now, busy ones as soon as their reply is sent.
        const idle = setInterval(() => server.closeIdleConnections(), 25).unref();
        // Infinity (or NaN): wait as long as it takes. Timers take at most 2³¹ − 1 ms (more fires at once).
        const cut = Number.isFinite(graceMs)
          ? setTimeout(() => server.closeAllConnections(), Math.min(Math.max(0, graceMs), 2 ** 31 - 1)).unref()
          : undefined;
        server.close(() => {
          clearInterval(idle);
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
        if (graceMs <= 0) server.closeAllConnections();
      });
      await handler.close();
    },
  };
}

function toPem(value: string | Uint8Array): string | Buffer {
  return typeof value === 'string' ? value : Buffer.from(value);
}
