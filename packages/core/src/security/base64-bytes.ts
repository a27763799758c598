import { decodeBase64, encodeBase64 } from '../util/base64.js';

const ALPHABET = /^[A-Za-z0-9+/]*$/;

/** Standard, padded base64 of `bytes`. */
export function bytesToBase64(bytes: Uint8Array): string {
  return encodeBase64(bytes);
}

/** The bytes of base64 text (standard or url alphabet, padded or not); undefined when `text` is not base64. */
export function base64ToBytes(text: string): Uint8Array | undefined {
  const body = text
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .replace(/={1,2}$/, '');
  if (!ALPHABET.test(body) || body.length % 4 === 1) return undefined;
  try {
    return decodeBase64(body + '='.repeat((4 - (body.length % 4)) % 4));
  } catch {
    return undefined;
  }
}

/** Unpadded base64url of `bytes` (the JWK encoding). */
export function bytesToBase64Url(bytes: Uint8Array): string {
  return bytesToBase64(bytes).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** WebCrypto takes `ArrayBuffer`-backed views only; copies views of shared memory. */
export function ownBytes(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
