import { DissonanceError, EnvelopeCipher, type KeyProvider } from '@dissonance/core';

/** Turns one stored text record (a log line, a values file) into what is written to disk and back. */
export interface RecordCodec {
  /** True when records are encrypted. */
  readonly encrypted: boolean;
  /** What to write for `text` (one line, no newline). */
  encode(text: string): Promise<string>;
  /** The text of a stored record; `E_DECRYPT` when it cannot be read back as this codec wrote it. */
  decode(stored: string, what: string): Promise<string>;
}

/**
 * The codec of a store or registry: with a key provider, AES-256-GCM envelopes as base64 lines
 * ({@link EnvelopeCipher.sealText}), and a plaintext record is refused (`E_DECRYPT`) rather than trusted;
 * without one, records are stored as they are, and an encrypted record is refused (`E_DECRYPT`: no key
 * provider) rather than mistaken for damage.
 */
export function recordCodec(keys: KeyProvider | undefined): RecordCodec {
  if (keys === undefined) {
    return {
      encrypted: false,
      encode: (text) => Promise.resolve(text),
      decode: (stored, what) =>
        EnvelopeCipher.isSealedText(stored)
          ? Promise.reject(
              new DissonanceError('E_DECRYPT', `${what} is encrypted but no encryption key provider is configured`),
            )
          : Promise.resolve(stored),
    };
  }
  const cipher = new EnvelopeCipher(keys);
  return {
    encrypted: true,
    encode: (text) => cipher.sealText(text),
    decode: (stored, what) =>
      EnvelopeCipher.isSealedText(stored)
        ? cipher.openText(stored, what)
        : Promise.reject(
            new DissonanceError(
              'E_DECRYPT',
              `${what} is not encrypted, but encryption is configured: refusing plaintext`,
            ),
          ),
  };
}
