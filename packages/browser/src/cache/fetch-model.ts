import { DissonanceError } from '@dissonance/core';
import { sha256Hex } from '@dissonance/core/adapter-kit';
import type { ModelCache } from './model-cache.js';

/** A `fetch`-compatible function (the global `fetch` by default). */
export type FetchFunction = (url: string, init?: RequestInit) => Promise<Response>;

/** Options of {@link fetchModelBytes}. */
export interface FetchModelOptions {
  /** Expected lower-case hex sha256 of the bytes; a mismatch rejects with `E_ARTIFACT_DIGEST`. */
  readonly sha256?: string;
  /** Where to look first and keep what was downloaded. */
  readonly cache?: ModelCache;
  /** Extra request headers (e.g. `authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly fetch?: FetchFunction;
}

/** Model bytes and where they came from. */
export interface FetchedModel {
  readonly bytes: Uint8Array;
  /** sha256 of `bytes` (always computed). */
  readonly sha256: string;
  readonly fromCache: boolean;
}

/**
 * Fetches model bytes from `url`, through `cache` when given. With `sha256`, the cache is keyed by digest
 * (`sha256:<hex>`) and cached bytes whose digest does not match (corrupted, tampered with) are evicted and
 * downloaded again; downloaded bytes that do not match reject with `E_ARTIFACT_DIGEST` and are not cached.
 * Without `sha256` the cache is keyed by URL and the digest of the server's `x-dissonance-sha256` header, when
 * present, is checked. Network failures and non-2xx answers reject with `E_REGISTRY_UNAVAILABLE`
 * (404: `E_NOT_FOUND`).
 */
export async function fetchModelBytes(url: string, options: FetchModelOptions = {}): Promise<FetchedModel> {
  const expected = options.sha256?.toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new DissonanceError('E_INPUT', `sha256 must be 64 hex digits, got ${JSON.stringify(options.sha256)}`);
  }
  const key = expected === undefined ? url : `sha256:${expected}`;
  const cache = options.cache;
  if (cache !== undefined) {
    const cached = await cache.get(key).catch(() => undefined);
    if (cached !== undefined) {
      const digest = await sha256Hex(cached);
      if (expected === undefined || digest === expected) return { bytes: cached, sha256: digest, fromCache: true };
      await cache.delete(key).catch(() => undefined);
    }
  }
  const doFetch = options.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init));
  let response: Response;
  try {
    response = await doFetch(url, { headers: { ...options.headers }, cache: 'no-store' });
  } catch (error) {
    throw new DissonanceError(
      'E_REGISTRY_UNAVAILABLE',
      `cannot fetch model ${url}: ${error instanceof Error ? error.message : String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!response.ok) {
    throw new DissonanceError(
      response.status === 404 ? 'E_NOT_FOUND' : 'E_REGISTRY_UNAVAILABLE',
      `fetching model ${url} answered ${response.status}`,
      {
        details: { status: response.status },
      },
    );
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const digest = await sha256Hex(bytes);
  const claimed = expected ?? response.headers.get('x-dissonance-sha256')?.toLowerCase();
  if (claimed !== undefined && digest !== claimed) {
    throw new DissonanceError(
      'E_ARTIFACT_DIGEST',
      `model ${url}: sha256 ${digest} does not match the expected ${claimed}`,
      {
        details: { expected: claimed, actual: digest },
      },
    );
  }
  if (cache !== undefined) await cache.put(key, bytes).catch(() => undefined);
  return { bytes, sha256: digest, fromCache: false };
}
