/**
 * A random, unique id (RFC 4122 version 4 UUID) from WebCrypto: for envelope ids, test topics, and
 * anything else that must not collide.
 */
export function randomId(): string {
  return globalThis.crypto.randomUUID();
}
