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

async function respond(handler: FetchHandler, req: IncomingMessage, res: ServerResponse, maxDrain: number): Promise<void> {
  let response: Response;
  try {
    response = await handler(toRequest(req));
  } catch {
    response = errorResponse(500, 'E_INTERNAL', 'internal error');
  }
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

function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  let onData: ((chunk: Buffer) => void) | undefined;
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        onData = (chunk) => {
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) req.pause();
        };
        req.on('data', onData);
        req.once('end', () => controller.close());
        req.once('error', (error) => controller.error(error));
        req.once('close', () => {
          if (!req.complete) controller.error(new Error('client closed the request'));
        });
        req.pause();
      },
      pull() {
        req.resume();
      },
      cancel() {
        if (onData !== undefined) req.off('data', onData);
        req.pause();
      },
    },
    { highWaterMark: 4 },
  );
}
