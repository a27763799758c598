import { DissonanceError } from '../errors.js';
import { float32FromLittleEndian, float32ToLittleEndian } from './float32-bytes.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const ENCODE = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const DECODE = new Int16Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
const PAD = '='.charCodeAt(0);
/** Base64 is ASCII: any single-byte decoder turns the output bytes into the string. */
const ascii = new TextDecoder('latin1');

/**
 * Encodes float32 values as standard, padded base64 of their little-endian IEEE-754 bytes (4 per value),
 * the wire form of feature rows inside JSON envelopes. Every value, `-0` included, comes back bit for bit.
 * Uses the platform's base64 (`Uint8Array.prototype.toBase64`, or Node's Buffer) where there is one and a
 * lookup-table codec elsewhere; both are strict on decode.
 */
export function encodeFloat32(values: Float32Array): string {
  return encodeBase64(float32ToLittleEndian(values));
}

/**
 * Decodes what {@link encodeFloat32} produced. Rejects with `E_ENVELOPE` when `text` is not padded standard
 * base64 or its bytes are not a whole number of float32 values.
 */
export function decodeFloat32(text: string): Float32Array {
  const bytes = decodeBase64(text);
  if (bytes.length % 4 !== 0) {
    throw new DissonanceError('E_ENVELOPE', `float32 data holds ${bytes.length} bytes, not a multiple of 4`, {
      details: { bytes: bytes.length },
    });
  }
  return float32FromLittleEndian(bytes);
}

/** Standard, padded base64 of `bytes`, with the platform's codec where there is one. */
export function encodeBase64(bytes: Uint8Array): string {
  return NATIVE === undefined ? tableEncodeBase64(bytes) : NATIVE.encode(bytes);
}

/** The bytes of standard, padded base64 `text`; `E_ENVELOPE` on a bad length, character or padding. */
export function decodeBase64(text: string): Uint8Array {
  return NATIVE === undefined ? tableDecodeBase64(text) : nativeDecode(NATIVE, text);
}

/** {@link encodeBase64} with the lookup table, whatever the platform (the fallback; exported for tests). */
export function tableEncodeBase64(bytes: Uint8Array): string {
  const out = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = ENCODE[n >>> 18]!;
    out[o++] = ENCODE[(n >>> 12) & 63]!;
    out[o++] = ENCODE[(n >>> 6) & 63]!;
    out[o++] = ENCODE[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    out[o++] = ENCODE[n >>> 18]!;
    out[o++] = ENCODE[(n >>> 12) & 63]!;
    out[o++] = rest === 2 ? ENCODE[(n >>> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  return ascii.decode(out);
}

/** {@link decodeBase64} with the lookup table, whatever the platform (the fallback; exported for tests). */
export function tableDecodeBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw notBase64(text);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const last = i + 4 === text.length;
    const a = DECODE[text.charCodeAt(i)] ?? -1;
    const b = DECODE[text.charCodeAt(i + 1)] ?? -1;
    const c = last && pad === 2 ? 0 : (DECODE[text.charCodeAt(i + 2)] ?? -1);
    const d = last && pad > 0 ? 0 : (DECODE[text.charCodeAt(i + 3)] ?? -1);
    if ((a | b | c | d) < 0) throw notBase64(text);
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >>> 16;
    if (o < out.length) out[o++] = (n >>> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** A platform base64 codec, about 10× faster than the table one: `Uint8Array.prototype.toBase64` or Node's Buffer. */
interface NativeCodec {
  encode(bytes: Uint8Array): string;
  /** The bytes, or undefined when `text` is not strict padded base64 (an invalid or misplaced character). */
  decode(text: string): Uint8Array | undefined;
}

interface Base64Uint8Array {
  fromBase64?(text: string): Uint8Array;
}
interface BufferLike {
  from(buffer: ArrayBufferLike, offset: number, length: number): { toString(encoding: 'base64'): string };
  from(text: string, encoding: 'base64'): Uint8Array;
}

/** Picks the platform's codec when it has one (decided once, at load). */
function nativeCodec(): NativeCodec | undefined {
  const U8 = Uint8Array as unknown as Base64Uint8Array;
  const toBase64 = (Uint8Array.prototype as { toBase64?: (this: Uint8Array) => string }).toBase64;
  const fromBase64 = U8.fromBase64;
  if (typeof toBase64 === 'function' && typeof fromBase64 === 'function') {
    return {
      encode: (bytes) => toBase64.call(bytes),
      decode: (text) => {
        try {
          return fromBase64.call(Uint8Array, text);
        } catch {
          return undefined;
        }
      },
    };
  }
  // Node's Buffer, reached through globalThis: core imports nothing from Node and runs without it.
  const B = (globalThis as { Buffer?: BufferLike }).Buffer;
  if (B === undefined) return undefined;
  return {
    encode: (bytes) => B.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    // Buffer skips characters outside the alphabet and stops at padding (the byte count then falls short), but
    // it also takes the URL-safe alphabet's `-` and `_`: refused here.
    decode: (text) => (text.includes('-') || text.includes('_') ? undefined : B.from(text, 'base64')),
  };
}

const NATIVE = nativeCodec();

/** Decodes with the platform codec, as strictly as {@link tableDecodeBase64}. */
function nativeDecode(codec: NativeCodec, text: string): Uint8Array {
  if (text.length % 4 !== 0) throw notBase64(text);
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = codec.decode(text);
  if (bytes === undefined || bytes.length !== (text.length / 4) * 3 - pad) throw notBase64(text);
  return bytes;
}

function notBase64(text: string): DissonanceError {
  return new DissonanceError('E_ENVELOPE', 'float32 data is not padded standard base64', {
    details: { length: text.length },
  });
}
