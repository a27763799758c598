import { DissonanceError } from '../errors.js';
import { base64ToBytes } from './base64-bytes.js';

/** Key ids: 1–64 characters of `[A-Za-z0-9._-]` (they travel in every encrypted record's header). */
export const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** AES-256 keys are 32 bytes. */
export const AES_KEY_BYTES = 32;

/**
 * Where encryption keys come from. New data is encrypted with the key `currentKeyId()` names; data is
 * decrypted with the key its header names, so after a rotation old data stays readable as long as the
 * provider still knows the old key id.
 */
export interface KeyProvider {
  /** Id of the key new writes use. */
  currentKeyId(): string;
  /** The 32-byte AES-256 key of `keyId`, or undefined when the provider does not know it. */
  key(keyId: string): Uint8Array | undefined | Promise<Uint8Array | undefined>;
}

/**
 * A {@link KeyProvider} over keys held in memory. `current` defaults to the first entry. Bad ids, keys that
 * are not 32 bytes, duplicates or an unknown `current` → `E_CONFIG`.
 */
export function staticKeyProvider(keys: readonly (readonly [string, Uint8Array])[], current?: string): KeyProvider {
  if (!Array.isArray(keys) || keys.length === 0) throw config('at least one key is needed');
  const byId = new Map<string, Uint8Array>();
  for (const [keyId, key] of keys) {
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId))
      throw config(`key id "${String(keyId)}" is not 1–64 characters of A–Z, a–z, 0–9, ".", "_", "-"`);
    if (!(key instanceof Uint8Array) || key.length !== AES_KEY_BYTES)
      throw config(`key ${keyId} is not ${AES_KEY_BYTES} bytes`);
    if (byId.has(keyId)) throw config(`key id ${keyId} appears twice`);
    byId.set(keyId, key.slice());
  }
  const currentId = current ?? keys[0]?.[0] ?? '';
  if (!byId.has(currentId)) throw config(`current key id ${currentId} is not among the keys`);
  return {
    currentKeyId: () => currentId,
    key: (keyId) => byId.get(keyId)?.slice(),
  };
}

/**
 * Parses a key list `"kid1:base64key,kid2:base64key"` (each key 32 bytes, standard or url base64; spaces and
 * newlines around entries are ignored) into a {@link KeyProvider} whose current key is the FIRST entry: to
 * rotate, put the new key in front and keep the old ones behind it. Malformed text → `E_CONFIG` that never
 * echoes key material.
 */
export function parseKeyList(text: string): KeyProvider {
  if (typeof text !== 'string' || text.trim().length === 0) throw config('the key list is empty');
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
    .map((entry, i): [string, Uint8Array] => {
      const colon = entry.indexOf(':');
      if (colon <= 0) throw config(`entry ${i + 1} is not "keyId:base64key"`);
      const keyId = entry.slice(0, colon);
      const key = base64ToBytes(entry.slice(colon + 1).trim());
      if (key === undefined) throw config(`key ${keyId} is not base64`);
      return [keyId, key];
    });
  return staticKeyProvider(entries);
}

/** A fresh random 32-byte AES-256 key. */
export function generateEncryptionKey(): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(AES_KEY_BYTES));
}

function config(problem: string): DissonanceError {
  return new DissonanceError('E_CONFIG', `encryption keys: ${problem}`, { details: { field: 'encryption' } });
}
