import type { z } from 'zod';
import { HttpError } from './http-error.js';
import { JsonDepthGuard } from './json-depth.js';

/** Default nesting limit of request bodies: the deepest route body (`{ items: [{ features: [] }] }`) nests 3. */
export const DEFAULT_MAX_JSON_DEPTH = 8;

/** Limits of {@link readJson}. */
export interface ReadJsonLimits {
  /** Largest body in bytes; a larger one is refused with 413 as soon as it is seen. */
  readonly maxBytes: number;
  /** Longest time to receive the whole body; 408 after. */
  readonly timeoutMs: number;
  /** Deepest nesting of arrays and objects (default {@link DEFAULT_MAX_JSON_DEPTH}); 400 `E_JSON_TOO_DEEP` beyond. */
  readonly maxDepth?: number;
  /**
   * Charges body bytes to the caller before they are read (the declared `content-length` up front, else each
   * chunk as it arrives); rejects (a 429) to refuse them.
   */
  readonly charge?: (bytes: number) => Promise<void>;
  /** Told the size of a body that was read but refused (not JSON, too deep, or refused by the checks). */
  readonly onInvalid?: (bytes: number) => void;
}

/**
 * Reads a request's JSON body and parses it with `schema`. The size limit is enforced while the body streams
 * in (a declared `content-length` over it is refused before reading anything), so an oversized body is never
 * held in memory; nesting is checked as bytes arrive (a deep body is refused before it is read whole or
 * parsed), and `charge` bills the bytes before they are read. Errors are {@link HttpError}s: 415 for a content type other than JSON, 413, 408, 400 for
 * bad JSON or a body the schema refuses (the first issues named). `precheck` runs on the parsed value before
 * the schema: a cheap test (e.g. the row width) that throws its own error spares validating a body that
 * cannot pass.
 */
export async function readJson<S extends z.ZodType>(
  request: Request,
  schema: S,
  limits: ReadJsonLimits,
  allowEmpty = false,
  precheck?: (value: unknown) => void,
): Promise<z.infer<S>> {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = request.headers.get('content-length');
  const empty = request.body === null || declared === '0';
  if (!(empty && allowEmpty) && type !== 'application/json' && !type.endsWith('+json')) {
    await request.body?.cancel().catch(() => undefined);
    throw new HttpError(
      415,
      'E_UNSUPPORTED_MEDIA_TYPE',
      `content-type must be application/json, got ${JSON.stringify(type || 'none')}`,
    );
  }
  if (declared !== null && Number(declared) > limits.maxBytes) {
    await request.body?.cancel().catch(() => undefined);
    throw tooLarge(limits.maxBytes);
  }
  const length = declared === null || !/^\d+$/.test(declared) ? undefined : Number(declared);
  if (length !== undefined && length > 0 && limits.charge !== undefined) {
    try {
      await limits.charge(length);
    } catch (error) {
      await request.body?.cancel().catch(() => undefined);
      throw error;
    }
  }
  let size = 0;
  try {
    const text = empty
      ? ''
      : await readText(request, limits, length === undefined ? limits.charge : undefined, (bytes) => (size = bytes));
    let value: unknown;
    if (text.trim() === '' && allowEmpty) value = {};
    else {
      try {
        value = JSON.parse(text);
      } catch {
        throw new HttpError(400, 'E_BAD_JSON', 'request body is not valid JSON');
      }
    }
    precheck?.(value);
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new HttpError(400, 'E_INPUT', `invalid request body: ${describe(parsed.error)}`);
    return parsed.data;
  } catch (error) {
    if (error instanceof HttpError && error.status === 400) limits.onInvalid?.(size);
    throw error;
  }
}

async function readText(
  request: Request,
  limits: ReadJsonLimits,
  charge: ((bytes: number) => Promise<void>) | undefined,
  received: (bytes: number) => void,
): Promise<string> {
  const reader = request.body!.getReader();
  const depth = new JsonDepthGuard(limits.maxDepth ?? DEFAULT_MAX_JSON_DEPTH);
  const chunks: Uint8Array[] = [];
  let size = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HttpError(408, 'E_REQUEST_TIMEOUT', `request body not received within ${limits.timeoutMs} ms`)),
      limits.timeoutMs,
    );
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) break;
      size += value.byteLength;
      received(size);
      if (size > limits.maxBytes) throw tooLarge(limits.maxBytes);
      if (charge !== undefined) await charge(value.byteLength);
      depth.feed(value);
      chunks.push(value);
    }
  } catch (error) {
    await reader.cancel().catch(() => undefined);
    if (error instanceof HttpError) throw error;
    throw new HttpError(400, 'E_INPUT', 'request body could not be read');
  } finally {
    clearTimeout(timer);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new HttpError(400, 'E_BAD_JSON', 'request body is not valid UTF-8');
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError(413, 'E_PAYLOAD_TOO_LARGE', `request body is larger than ${maxBytes} bytes`, {
    connection: 'close',
  });
}

/** The first few issues of a zod error, with their paths. */
export function describe(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.length === 0 ? '(body)' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}
