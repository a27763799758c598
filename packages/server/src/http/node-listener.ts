import type { IncomingMessage, ServerResponse } from 'node:http';
import { getRequestListener, RequestError } from '@hono/node-server';
import { errorResponse } from './http-error.js';

/** A Fetch-API handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/**
 * Options of {@link toNodeListener}: none are left. The bounded discard of an unread body is
 * `@hono/node-server`'s (up to 64 MiB or 500 ms after the answer, then the connection is closed).
 */
export type NodeListenerOptions = Record<string, never>;

/**
 * Adapts a Fetch-API handler to a `node:http` request listener, usable with `http.createServer`, Express
 * (`app.use(toNodeListener(handler))`) and anything else that hands out `IncomingMessage`/`ServerResponse`.
 * The bridge is `@hono/node-server`'s `getRequestListener` (the process's global `Request`/`Response` are left
 * alone): the body is streamed to the handler with back-pressure (never buffered here) and the response
 * streamed back; a body the handler did not read is discarded (bounded), then the connection is closed. A
 * request that cannot be represented as a `Request` (a bad `Host`, a backslash in the path) is a 400
 * `E_INPUT`, a handler that throws a 500 `E_INTERNAL`; a request without `Host` is taken as for `localhost`.
 */
export function toNodeListener(
  handler: FetchHandler,
  _options: NodeListenerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => void {
  const listener = getRequestListener(handler, {
    hostname: 'localhost',
    overrideGlobalObjects: false,
    errorHandler: (error) =>
      error instanceof RequestError
        ? errorResponse(400, 'E_INPUT', 'the request could not be read')
        : errorResponse(500, 'E_INTERNAL', 'internal error'),
  });
  return (req, res) => {
    void listener(req, res);
  };
}
