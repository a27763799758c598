import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { errorResponse } from './http-error.js';

/** A Fetch-API handler. */
export type FetchHandler = (request: Request) => Promise<Response>;

/** Options of {@link toNodeListener}. */
export interface NodeListenerOptions {
  /**
   * Request-body bytes discarded after an early answer (413, 401, …) before the connection is closed
   * (default 16 MiB): lets the client read the answer instead of seeing a reset.
   */
  readonly maxDrainBytes?: number;
}

/**
 * Adapts a Fetch-API handler to a `node:http` request listener, usable with `http.createServer`, Express
 * (`app.use(toNodeListener(handler))`) and anything else that hands out `IncomingMessage`/`ServerResponse`.
 * The body is streamed to the handler (never buffered here) and the response streamed back; a body the
 * handler did not read is discarded up to `maxDrainBytes`, then the connection is closed.
 */
export function toNodeListener(handler: FetchHandler, options: NodeListenerOptions = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const maxDrain = options.maxDrainBytes ?? 16 * 1024 * 1024;
  return (req, res) => {
    void respond(handler, req, res, maxDrain);
  };
}

/** Methods Node's parser accepts but the Fetch `Request` refuses to represent (RFC 9110 §9.3.8 TRACE, …). */
const FETCH_FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

async function respond(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, maxDrain: number): Promise<void> {
  const response = await answer(handler, req);
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, key) => {
    if (key === 'set-cookie') return;
    headers[key] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  if (!req.complete) headers['connection'] = 'close';
  res.on('finish', () => drain(req, maxDrain));
  res.on('close', () => void response.body?.cancel().catch(() => undefined));
  try {
    res.writeHead(response.status, headers);
    if (response.body === null || req.method === 'HEAD') {
      res.end();
      return;
    }
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise<void>((resolve) => res.once('drain', resolve).once('close', resolve));
      if (res.destroyed) return;
    }
    res.end();
  } catch {
    res.destroy();
  }
}

/** The handler's response; a typed error when the request cannot be represented or the handler throws. */
async function answer(handler: FetchHandler, req: IncomingMessage): Promise<Response> {
  let request: Request;
  try {
    request = toRequest(req);
  } catch {
    const method = (req.method ?? '').toUpperCase();
    return FETCH_FORBIDDEN_METHODS.has(method)
      ? errorResponse(405, 'E_METHOD', `${method} is not allowed on this server`, { allow: 'GET, HEAD, POST, PUT, OPTIONS' })
      : errorResponse(400, 'E_INPUT', 'the request could not be read');
  }
  try {
    return await handler(request);
  } catch {
    return errorResponse(500, 'E_INTERNAL', 'internal error');
  }
}

/** Discards what is left of an unread body (bounded), then closes the connection. */
function drain(req: IncomingMessage, maxDrain: number): void {
  if (req.complete || req.destroyed) return;
  let drained = 0;
  const timer = setTimeout(() => req.destroy(), 5_000);
  timer.unref();
  req.removeAllListeners('data');
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > maxDrain) {
      clearTimeout(timer);
      req.destroy();
    }
  });
  req.once('end', () => clearTimeout(timer));
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

/** A `Request` over a Node request: headers copied, body streamed with back-pressure. */
export function toRequest(req: IncomingMessage): Request {
  const encrypted = (req.socket as Partial<TLSSocket>).encrypted === true;
  const host = req.headers.host ?? 'localhost';
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `${encrypted ? 'https' : 'http'}://${host}`);
  } catch {
    url = new URL(`${encrypted ? 'https' : 'http'}://localhost/`);
    url.pathname = '/invalid-url';
  }
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    } catch {
      // A header value fetch refuses: left out.
    }
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const controller = new AbortController();
  req.once('close', () => {
    if (!req.complete) controller.abort();
  });
  return new Request(url, {
    method: req.method ?? 'GET',
    headers,
    signal: controller.signal,
    ...(hasBody ? { body: bodyStream(req), duplex: 'half' } : {}),
  } as RequestInit);
}

/**
 * The request body as a byte stream with back-pressure. Every way it can end (`end`, `error`, `close`, a
 * consumer's `cancel`) settles it once: whatever comes after — the `end` of a body that {@link drain} read
 * after the handler cancelled, a `close` after an `error` — finds it settled and does nothing, so no event
 * order can close the controller twice (which would throw outside any handler and end the process).
 */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let settled = false;
  let detach = (): void => undefined;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const settle = (end: () => void): void => {
          if (settled) return;
          settled = true;
          detach();
          try {
            end();
          } catch {
            // Already closed or errored by the stream itself: nothing left to do.
          }
        };
        const onData = (chunk: Buffer): void => {
          if (settled) return;
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        const onEnd = (): void => settle(() => controller.close());
        const onError = (error: Error): void => settle(() => controller.error(error));
        const onClose = (): void => {
          if (!req.complete) settle(() => controller.error(new Error('client closed the request')));
        };
        detach = () => {
          req.off('data', onData);
          req.off('end', onEnd);
          req.off('error', onError);
          req.off('close', onClose);
        };
        req.on('data', onData);
        req.once('end', onEnd);
        req.once('error', onError);
        req.once('close', onClose);
        req.pause();
      },
      pull() {
        if (!settled) req.resume();
      },
      cancel() {
        settled = true;
        detach();
        req.pause();
      },
    },
    { highWaterMark: 4 },
  );
}
