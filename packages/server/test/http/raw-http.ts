import { request as httpRequest } from 'node:http';

/** What {@link rawRequest} got back: a status (0 when the connection failed before one) and the body text. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  /** The socket error, when the server closed the connection under the upload (after answering or not). */
  readonly error?: string;
}

/** Options of {@link rawRequest}. */
export interface RawRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sent as is, with its `content-length` unless `chunked`. */
  readonly body?: Uint8Array | string;
  /** Send the body with chunked transfer encoding (no `content-length`), in pieces of this many bytes. */
  readonly chunked?: number;
}

/**
 * One request over `node:http`, exactly as given (any method, a declared length, a chunked body): what an
 * attacker sends, not what `fetch` lets a client send. Never rejects: a reset or a refused upload resolves
 * with the status read so far (0 when none) and the error.
 */
export function rawRequest(base: string, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  const url = new URL(path, base);
  const body =
    typeof options.body === 'string'
      ? Buffer.from(options.body)
      : options.body === undefined
        ? undefined
        : Buffer.from(options.body);
  return new Promise((resolve) => {
    let status = 0;
    let headers: RawResponse['headers'] = {};
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (error?: string): void => {
      if (done) return;
      done = true;
      resolve({
        status,
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        ...(error === undefined ? {} : { error }),
      });
    };
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method: options.method ?? 'POST',
        headers: {
          ...options.headers,
          ...(body !== undefined && options.chunked === undefined ? { 'content-length': String(body.byteLength) } : {}),
        },
        agent: false,
      },
      (res) => {
        status = res.statusCode ?? 0;
        headers = res.headers;
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => finish());
        res.on('error', (error) => finish(error.message));
      },
    );
    req.on('error', (error) => finish(error.message));
    if (body === undefined) {
      req.end();
      return;
    }
    if (options.chunked === undefined) {
      req.end(body);
      return;
    }
    const piece = options.chunked;
    let at = 0;
    const write = (): void => {
      while (at < body.byteLength) {
        const next = body.subarray(at, at + piece);
        at += piece;
        if (!req.write(next)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

/** A syntactically valid JSON body of about `bytes` bytes: `{"rows":[[1.251,…]]}`, one very wide row. */
export function heavyRowsBody(bytes: number, key = 'rows'): Buffer {
  const values = Math.max(1, Math.floor((bytes - 16) / 6));
  return Buffer.from(`{"${key}":[[${'1.251,'.repeat(values - 1)}1.251]]}`);
}

/** JSON nested `depth` arrays deep under `key`: `{"rows":[[[[…]]]]}`. */
export function deepBody(depth: number, key = 'rows'): Buffer {
  return Buffer.from(`{"${key}":${'['.repeat(depth)}${']'.repeat(depth)}}`);
}
