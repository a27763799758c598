/**
 * Where downloaded model bytes are kept between page loads. Keys are opaque strings (`sha256:<hex>` when the
 * digest is known, else the URL). Implementations: {@link CacheApiModelCache}, {@link IndexedDbModelCache}.
 * A cache never vouches for its bytes: readers check the digest of what they get.
 */
export interface ModelCache {
  /** `cache-api` or `indexeddb`. */
  readonly name: string;
  /** The bytes stored under `key`, or undefined. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Stores `bytes` under `key`, replacing what was there. */
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** Removes `key` (no error when absent). */
  delete(key: string): Promise<void>;
}
