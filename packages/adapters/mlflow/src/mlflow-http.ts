import { DissonanceError } from '@dissonance/core';
import type { FetchFunction, MlflowClientOptions } from './options.js';
import { backoffMs, delay } from './retry.js';

/** JSON body of an MLflow REST error. */
interface MlflowErrorBody {
  readonly error_code?: string;
  readonly message?: string;
}

/** One REST call. */
export interface MlflowRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'PATCH';
  /** Path below the server URL, starting with `/api/`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number>>;
  /** JSON body, or raw bytes for artifact uploads. */
  readonly body?: unknown;
  /**
   * False for calls that must not run twice (creating a model version): those are retried only when the
   * server cannot have processed them (connection refused, 429, 503).
   */
  readonly idempotent?: boolean;
}

/** An MLflow REST error after retries: HTTP status and MLflow `error_code`. */
export class MlflowHttpError extends Error {
  /** HTTP status. */
  readonly status: number;
  /** MLflow `error_code`, e.g. `RESOURCE_DOES_NOT_EXIST`; empty when the body had none. */
  readonly errorCode: string;

  constructor(status: number, errorCode: string, message: string) {
    super(message);
    this.name = 'MlflowHttpError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

/** Minimal view of undici's `Agent` constructor, loaded only when a `ca` is configured. */
type AgentConstructor = new (options: { connect: { ca: string | readonly string[] } }) => object;

/**
 * Thin MLflow REST client: auth header, per-attempt timeout, bounded retries with jittered backoff on
 * 429/5xx/network errors. Network failures and 5xx after the last retry become `E_REGISTRY_UNAVAILABLE`;
 * other non-2xx answers become {@link MlflowHttpError} for the caller to map.
 */
export class MlflowHttp {
  readonly #base: string;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #maxRetries: number;
  readonly #retryBaseMs: number;
  readonly #timeoutMs: number;
  readonly #ca: string | readonly string[] | undefined;
  readonly #customFetch: FetchFunction | undefined;
  #dispatcher: Promise<object | undefined> | undefined;

  constructor(options: MlflowClientOptions) {
    if (typeof options.url !== 'string' || !/^https?:\/\/[^/]/.test(options.url)) {
      throw new DissonanceError('E_CONFIG', `mlflow: url must be an http(s) URL, got ${String(options.url)}`, {
        details: { field: 'url' },
      });
    }
    this.#base = options.url.replace(/\/+$/, '');
    const headers: Record<string, string> = {};
    const auth = options.auth;
    if (auth !== undefined) {
      headers.authorization =
        'token' in auth
          ? `Bearer ${auth.token}`
          : `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
    }
    this.#headers = headers;
    this.#maxRetries = nonNegativeInteger(options.maxRetries ?? 4, 'maxRetries');
    this.#retryBaseMs = nonNegativeInteger(options.retryBaseMs ?? 200, 'retryBaseMs');
    this.#timeoutMs = nonNegativeInteger(options.timeoutMs ?? 30_000, 'timeoutMs');
    this.#ca = options.ca;
    this.#customFetch = options.fetch;
  }

  /** The server base URL, without a trailing slash. */
  get baseUrl(): string {
    return this.#base;
  }

  /** Sends a request and parses the JSON answer (`{}` for an empty body). */
  async json<T>(request: MlflowRequest): Promise<T> {
    const response = await this.send(request);
    const text = await response.text();
    if (text.trim() === '') return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new DissonanceError('E_REGISTRY_UNAVAILABLE', `mlflow: ${request.path} answered non-JSON`, {
        cause: error,
      });
    }
  }

  /** Sends a request and returns the raw bytes of the answer. */
  async bytes(request: MlflowRequest): Promise<Uint8Array> {
    const response = await this.send(request);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** Sends a request with retries; resolves with a 2xx response or rejects. */
  async send(request: MlflowRequest): Promise<Response> {
    const url = this.#url(request);
    const idempotent = request.idempotent ?? true;
    for (let attempt = 0; ; attempt++) {
      const last = attempt >= this.#maxRetries;
      let response: Response;
      try {
        response = await this.#attempt(url, request);
      } catch (error) {
        if (error instanceof DissonanceError) throw error;
        const refused = connectionRefused(error);
        if (!last && (idempotent || refused)) {
          await delay(backoffMs(attempt, this.#retryBaseMs));
          continue;
        }
        const reason = describe(error);
        throw new DissonanceError(
          'E_REGISTRY_UNAVAILABLE',
          `mlflow: ${request.method} ${this.#base}${request.path} failed after ${attempt + 1} attempt(s): ${reason}`,
          { cause: error, details: { url: this.#base, attempts: attempt + 1 } },
        );
      }
      if (response.ok) return response;
      const status = response.status;
      const retryable = status === 429 || status >= 500;
      const safeToRepeat = idempotent || status === 429 || status === 503;
      if (retryable && safeToRepeat && !last) {
        await response.body?.cancel().catch(() => undefined);
        await delay(backoffMs(attempt, this.#retryBaseMs));
        continue;
      }
      const body = await readError(response);
      if (retryable) {
        throw new DissonanceError(
          'E_REGISTRY_UNAVAILABLE',
          `mlflow: ${request.method} ${request.path} answered HTTP ${status} after ${attempt + 1} attempt(s): ${body.message ?? ''}`,
          { details: { url: this.#base, status, attempts: attempt + 1 } },
        );
      }
      if (status === 401 || status === 403) {
        throw new DissonanceError('E_CONFIG', `mlflow: ${this.#base} refused the credentials (HTTP ${status})`, {
          details: { url: this.#base, status },
        });
      }
      throw new MlflowHttpError(status, body.error_code ?? '', body.message ?? `HTTP ${status}`);
    }
  }

  async #attempt(url: string, request: MlflowRequest): Promise<Response> {
    const headers: Record<string, string> = { ...this.#headers };
    let body: string | Uint8Array<ArrayBuffer> | undefined;
    if (request.body instanceof Uint8Array) {
      headers['content-type'] = 'application/octet-stream';
      body = request.body as Uint8Array<ArrayBuffer>;
    } else if (request.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.body);
    }
    const dispatcher = await this.#loadDispatcher();
    // `dispatcher` is Node's (undici's) extension of RequestInit for custom TLS.
    const init = {
      method: request.method,
      headers,
      signal: AbortSignal.timeout(this.#timeoutMs),
      ...(body === undefined ? {} : { body }),
      ...(dispatcher === undefined ? {} : { dispatcher }),
    } as RequestInit;
    return this.#customFetch === undefined ? globalThis.fetch(url, init) : this.#customFetch(url, init);
  }

  #url(request: MlflowRequest): string {
    const url = new URL(this.#base + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, String(value));
    return url.toString();
  }

  #loadDispatcher(): Promise<object | undefined> {
    const ca = this.#ca;
    if (ca === undefined || this.#customFetch !== undefined) return Promise.resolve(undefined);
    this.#dispatcher ??= (async () => {
      const specifier = 'undici';
      try {
        const undici = (await import(specifier)) as { Agent: AgentConstructor };
        return new undici.Agent({ connect: { ca } });
      } catch (error) {
        throw new DissonanceError(
          'E_CONFIG',
          'mlflow: the ca option needs the undici package (npm install undici), or pass your own fetch',
          { cause: error, details: { field: 'ca' } },
        );
      }
    })();
    return this.#dispatcher;
  }
}

function nonNegativeInteger(value: number, field: string): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DissonanceError('E_CONFIG', `mlflow: ${field} must be an integer ≥ 0, got ${value}`, {
      details: { field },
    });
  }
  return value;
}

async function readError(response: Response): Promise<MlflowErrorBody> {
  const text = await response.text().catch(() => '');
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) return parsed as MlflowErrorBody;
  } catch {
    // not JSON: fall through
  }
  return { message: text.slice(0, 500) };
}

function connectionRefused(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return cause?.code === 'ECONNREFUSED';
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return detail === '' ? error.message : `${error.message} (${detail})`;
}
