import { DissonanceError } from '../errors.js';
import { AES_KEY_BYTES, KEY_ID, type KeyProvider } from './key-provider.js';
import { base64ToBytes, bytesToBase64, ownBytes } from './base64-bytes.js';

/** First bytes of every encrypted record: `DSNC`. */
export const ENVELOPE_MAGIC = Uint8Array.of(0x44, 0x53, 0x4e, 0x43);
/** Format version written after the magic. */
export const SEALED_FORMAT_VERSION = 1;
/** Base64 of the magic (and the version's high bits): how every encrypted text record begins. */
export const SEALED_TEXT_PREFIX = 'RFNOQw';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * AES-256-GCM envelope encryption with WebCrypto (Node ≥ 20 and browsers). Each record is
 *
 * ```
 * "DSNC" · version (1 byte, 1) · key id length (1 byte) · key id (UTF-8) · IV (12 random bytes) · ciphertext · tag (16)
 * ```
 *
 * and the whole header (magic to IV) is authenticated as additional data, so changing a key id or the version
 * fails like changing a ciphertext byte. Writes use the provider's current key; reads the key the header
 * names. Any failure to decrypt — a flipped byte, a truncated record, an unknown key id, a record that is not
 * an envelope — is `E_DECRYPT`; garbage never comes back. Imported keys are cached per key id.
 */
export class EnvelopeCipher {
  readonly #keys: KeyProvider;
  readonly #imported = new Map<string, Promise<CryptoKey>>();

  constructor(keys: KeyProvider) {
    if (
      typeof keys !== 'object' ||
      keys === null ||
      typeof keys.currentKeyId !== 'function' ||
      typeof keys.key !== 'function'
    ) {
      throw new DissonanceError('E_CONFIG', 'encryption: expected a KeyProvider (currentKeyId(), key(id))', {
        details: { field: 'encryption' },
      });
    }
    this.#keys = keys;
  }

  /** True when `bytes` begin like an envelope (magic and version); says nothing about whether it decrypts. */
  static isSealed(bytes: Uint8Array): boolean {
    return (
      bytes.length > ENVELOPE_MAGIC.length &&
      ENVELOPE_MAGIC.every((b, i) => bytes[i] === b) &&
      bytes[4] === SEALED_FORMAT_VERSION
    );
  }

  /** True when a text record begins like {@link EnvelopeCipher.sealText}'s output (magic and version). */
  static isSealedText(text: string): boolean {
    if (!text.startsWith(SEALED_TEXT_PREFIX)) return false;
    const head = base64ToBytes(text.slice(0, 8));
    return head !== undefined && EnvelopeCipher.isSealed(head);
  }

  /** Encrypts `plaintext` with the current key. */
  async seal(plaintext: Uint8Array): Promise<Uint8Array> {
    const keyId = this.#keys.currentKeyId();
    if (typeof keyId !== 'string' || !KEY_ID.test(keyId)) {
      throw new DissonanceError('E_CONFIG', `encryption: current key id "${String(keyId)}" is not valid`, {
        details: { field: 'encryption' },
      });
    }
    const key = await this.#key(keyId, 'E_CONFIG');
    const id = utf8.encode(keyId);
    const header = new Uint8Array(ENVELOPE_MAGIC.length + 2 + id.length + IV_BYTES);
    header.set(ENVELOPE_MAGIC, 0);
    header[4] = SEALED_FORMAT_VERSION;
    header[5] = id.length;
    header.set(id, 6);
    globalThis.crypto.getRandomValues(header.subarray(6 + id.length));
    const iv = header.slice(6 + id.length);
    const sealed = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: header, tagLength: TAG_BYTES * 8 },
      key,
      ownBytes(plaintext),
    );
    const out = new Uint8Array(header.length + sealed.byteLength);
    out.set(header, 0);
    out.set(new Uint8Array(sealed), header.length);
    return out;
  }

  /** Decrypts what {@link EnvelopeCipher.seal} wrote; `what` names the record in errors. */
  async open(envelope: Uint8Array, what = 'record'): Promise<Uint8Array> {
    if (!EnvelopeCipher.isSealed(envelope))
      throw failed(what, 'is not an encrypted envelope (missing "DSNC" header version 1)');
    const idLength = envelope[5] ?? 0;
    const headerLength = 6 + idLength + IV_BYTES;
    if (idLength === 0 || envelope.length < headerLength + TAG_BYTES) throw failed(what, 'is truncated');
    let keyId: string;
    try {
      keyId = fromUtf8.decode(envelope.subarray(6, 6 + idLength));
    } catch {
      throw failed(what, 'has a key id that is not UTF-8');
    }
    if (!KEY_ID.test(keyId)) throw failed(what, 'has a malformed key id');
    const key = await this.#key(keyId, 'E_DECRYPT', what);
    const header = envelope.slice(0, headerLength);
    try {
      const plain = await globalThis.crypto.subtle.decrypt(
        { name: 'AES-GCM', iv: header.slice(6 + idLength), additionalData: header, tagLength: TAG_BYTES * 8 },
        key,
        envelope.slice(headerLength),
      );
      return new Uint8Array(plain);
    } catch (error) {
      throw failed(what, `does not authenticate under key ${keyId} (damaged or tampered)`, keyId, error);
    }
  }

  /** Encrypts UTF-8 text into one line of base64 (no newline), beginning with {@link SEALED_TEXT_PREFIX}. */
  async sealText(text: string): Promise<string> {
    return bytesToBase64(await this.seal(utf8.encode(text)));
  }

  /** Decrypts what {@link EnvelopeCipher.sealText} wrote. */
  async openText(line: string, what = 'record'): Promise<string> {
    const bytes = base64ToBytes(line);
    if (bytes === undefined) throw failed(what, 'is not base64');
    const plain = await this.open(bytes, what);
    try {
      return fromUtf8.decode(plain);
    } catch (error) {
      throw failed(what, 'decrypts to text that is not UTF-8', undefined, error);
    }
  }

  #key(keyId: string, code: 'E_CONFIG' | 'E_DECRYPT', what = 'record'): Promise<CryptoKey> {
    let imported = this.#imported.get(keyId);
    if (imported === undefined) {
      imported = (async () => {
        const raw = await this.#keys.key(keyId);
        if (raw === undefined) {
          throw code === 'E_DECRYPT'
            ? failed(what, `was encrypted with key ${keyId}, which the key provider does not know`, keyId)
            : new DissonanceError('E_CONFIG', `encryption: the key provider has no key ${keyId}`, {
                details: { keyId },
              });
        }
        if (!(raw instanceof Uint8Array) || raw.length !== AES_KEY_BYTES) {
          throw new DissonanceError('E_CONFIG', `encryption: key ${keyId} is not ${AES_KEY_BYTES} bytes`, {
            details: { keyId },
          });
        }
        return globalThis.crypto.subtle.importKey('raw', ownBytes(raw), { name: 'AES-GCM' }, false, [
          'encrypt',
          'decrypt',
        ]);
      })();
      const pending = imported;
      this.#imported.set(keyId, pending);
      pending.catch(() => {
        if (this.#imported.get(keyId) === pending) this.#imported.delete(keyId);
      });
    }
    return imported;
  }
}

function failed(what: string, problem: string, keyId?: string, cause?: unknown): DissonanceError {
  return new DissonanceError('E_DECRYPT', `${what} ${problem}`, {
    details: keyId === undefined ? {} : { keyId },
    ...(cause === undefined ? {} : { cause }),
  });
}
