import { DissonanceError } from '@dissonance/core';
import type { ModelCache } from './model-cache.js';

/** Synthetic origin for cache keys: the Cache API keys entries by http(s) request URL. */
const KEY_ORIGIN = 'https://model-cache.dissonance.invalid/';

/**
 * A {@link ModelCache} in the Cache API (`caches.open(cacheName)`), the storage browsers use for HTTP
 * responses: large binary entries are cheap. Needs a secure context (https or localhost).
 */
export class CacheApiModelCache implements ModelCache {
  readonly name = 'cache-api';
  /** The `CacheStorage` cache holding the models. */
  readonly cacheName: string;

  constructor(cacheName = 'dissonance-models') {
    this.cacheName = cacheName;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const response = await (await this.#open()).match(keyUrl(key));
    return response === undefined ? undefined : new Uint8Array(await response.arrayBuffer());
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const body = new Uint8Array(bytes);
    await (
      await this.#open()
    ).put(keyUrl(key), new Response(body, { headers: { 'content-type': 'application/octet-stream' } }));
  }

  async delete(key: string): Promise<void> {
    await (await this.#open()).delete(keyUrl(key));
  }

  #open(): Promise<Cache> {
    const caches = (globalThis as { readonly caches?: CacheStorage }).caches;
    if (caches === undefined)
      throw new DissonanceError(
        'E_STORE',
        'the Cache API is not available here (needs a secure context: https or localhost)',
      );
    return caches.open(this.cacheName);
  }
}

function keyUrl(key: string): string {
  return `${KEY_ORIGIN}${encodeURIComponent(key)}`;
}
