import { DissonanceError } from '../errors.js';

/** Bytes turned into characters per `String.fromCharCode` call: small enough for any engine's argument limit. */
const CHUNK = 0x8000;
/** Alphabet and trailing padding; the length check (a multiple of 4) does the rest. No groups: linear on huge input. */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Encodes float32 values as standard, padded base64 of their little-endian IEEE-754 bytes (4 per value),
 * the wire form of feature rows inside JSON envelopes. Every value, `-0` included, comes back bit for bit.
 */
export function encodeFloat32(values: Float32Array): string {
  const bytes = littleEndianBytes(values);
  let binary = '';
  for (let start = 0; start < bytes.length; start += CHUNK) {
    binary += String.fromCharCode(...bytes.subarray(start, start + CHUNK));
  }
  return btoa(binary);
}

/**
 * Decodes what {@link encodeFloat32} produced. Rejects with `E_ENVELOPE` when `text` is not padded standard
 * base64 or its bytes are not a whole number of float32 values.
 */
export function decodeFloat32(text: string): Float32Array {
  if (text.length % 4 !== 0 || !BASE64.test(text)) {
    throw new DissonanceError('E_ENVELOPE', 'float32 data is not padded standard base64', {
      details: { length: text.length },
    });
  }
  let binary: string;
  try {
    binary = atob(text);
  } catch (error) {
    throw new DissonanceError('E_ENVELOPE', 'float32 data is not valid base64', { cause: error });
  }
  if (binary.length % 4 !== 0) {
    throw new DissonanceError('E_ENVELOPE', `float32 data holds ${binary.length} bytes, not a multiple of 4`, {
      details: { bytes: binary.length },
    });
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  if (LITTLE_ENDIAN) return new Float32Array(bytes.buffer);
  const view = new DataView(bytes.buffer);
  const values = new Float32Array(bytes.length / 4);
  for (let i = 0; i < values.length; i++) values[i] = view.getFloat32(i * 4, true);
  return values;
}

/** The bytes of `values` in little-endian order: a view on a little-endian platform, a copy otherwise. */
function littleEndianBytes(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i] ?? 0, true);
  return bytes;
}
