import { DissonanceError } from '../errors.js';
import { encodeBase64 } from '../util/base64.js';
import { float32ToLittleEndian } from '../util/float32-bytes.js';

/** Deepest nesting of a payload the binary walk follows; deeper (or cyclic) payloads are refused. */
export const MAX_PAYLOAD_DEPTH = 64;

/** Kinds of binary values an envelope payload may hold: float32 features, raw bytes. */
export type BinaryKind = 'f32' | 'u8';

/**
 * A JSON-safe copy of `value` for envelopes that travel as JSON text: each `Float32Array` and `Uint8Array`
 * becomes standard base64 of its (little-endian) bytes, which `decodeBatch` and `decodeFloat32` accept.
 * Returns `value` itself when it holds none. Throws `E_ENVELOPE` on a cyclic or over-deep value.
 */
export function binariesToBase64<T>(value: T): T {
  return extractBinaries(value, [], ignore, encodeBase64) as T;
}

function ignore(): void {}

/** The default replacement of a binary value: `null`. */
function toNull(): null {
  return null;
}

/**
 * Walks plain objects and arrays below `value` (at `path`); reports each `Float32Array`/`Uint8Array` with its
 * path, kind and (little-endian) bytes, and replaces it with `replacement(bytes)` (default `null`). Returns the
 * value itself when nothing was replaced below it, else a copy. Throws `E_ENVELOPE` (field `payload`) on a
 * cyclic or over-deep value.
 */
export function extractBinaries(
  value: unknown,
  path: Array<string | number>,
  found: (path: Array<string | number>, kind: BinaryKind, bytes: Uint8Array) => void,
  replacement: (bytes: Uint8Array) => unknown = toNull,
  depth = 0,
): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof Float32Array || value instanceof Uint8Array) {
    const bytes = value instanceof Float32Array ? float32ToLittleEndian(value) : value;
    found([...path], value instanceof Float32Array ? 'f32' : 'u8', bytes);
    return replacement(bytes);
  }
  if (depth >= MAX_PAYLOAD_DEPTH) {
    throw new DissonanceError(
      'E_ENVELOPE',
      `invalid envelope: payload: nested deeper than ${MAX_PAYLOAD_DEPTH} levels (or cyclic)`,
      {
        details: { field: 'payload' },
      },
    );
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      path.push(i);
      const item = extractBinaries(value[i], path, found, replacement, depth + 1);
      path.pop();
      if (item !== value[i]) (copy ??= [...value])[i] = item;
    }
    return copy ?? value;
  }
  if (!isPlainObject(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const original = (value as Record<string, unknown>)[key];
    path.push(key);
    const item = extractBinaries(original, path, found, replacement, depth + 1);
    path.pop();
    if (item !== original) (copy ??= { ...(value as Record<string, unknown>) })[key] = item;
  }
  return copy ?? value;
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
