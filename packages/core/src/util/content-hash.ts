import { LITTLE_ENDIAN } from './float32-bytes.js';

/** Bit pattern every NaN is folded to before hashing, so that all NaNs hash alike. */
const CANONICAL_NAN = 0x7fc00000;
/** Bit pattern of `-0`; folded to `+0` (they compare equal). */
const NEGATIVE_ZERO = 0x80000000;

/**
 * Fast, synchronous 53-bit hash (cyrb53 construction) of `length` values of `x` from `offset`, over their
 * Float32 bit patterns, as 14 hex digits. `+0`/`-0` hash alike and so do all NaNs; otherwise two rows
 * hash alike only when their bits are equal (or, rarely, on a collision).
 *
 * For equality of feature rows (golden guarding, de-duplication), **not for security**: it is not a
 * cryptographic hash and a collision can be built on purpose. Confirm a match by comparing the values
 * where a false positive matters. Allocates one small view per call; no copy.
 *
 * @param x the values; a subarray view is fine.
 * @param offset first value to hash (default 0).
 * @param length number of values (default: the rest of `x`).
 */
export function contentHash(x: Float32Array, offset = 0, length = x.length - offset): string {
  if (
    !Number.isSafeInteger(offset) ||
    !Number.isSafeInteger(length) ||
    offset < 0 ||
    length < 0 ||
    offset + length > x.length
  ) {
    throw new RangeError(`contentHash: range [${offset}, ${offset + length}) is outside 0..${x.length}`);
  }
  const byteOffset = x.byteOffset + offset * 4;
  let h1 = 0xdeadbeef ^ length;
  let h2 = 0x41c6ce57 ^ length;
  if (byteOffset % 4 === 0 && LITTLE_ENDIAN) {
    const words = new Uint32Array(x.buffer, byteOffset, length);
    for (let i = 0; i < length; i++) {
      const w = canonical(words[i]!);
      h1 = Math.imul(h1 ^ w, 2654435761);
      h2 = Math.imul(h2 ^ w, 1597334677);
    }
  } else {
    const view = new DataView(x.buffer, byteOffset, length * 4);
    for (let i = 0; i < length; i++) {
      const w = canonical(view.getUint32(i * 4, true));
      h1 = Math.imul(h1 ^ w, 2654435761);
      h2 = Math.imul(h2 ^ w, 1597334677);
    }
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (0x1fffff & h2) + (h1 >>> 0);
  return hash.toString(16).padStart(14, '0');
}

/** Folds `-0` to `+0` and every NaN to one pattern. */
function canonical(word: number): number {
  if (word === NEGATIVE_ZERO) return 0;
  // Exponent all ones and a non-zero mantissa: NaN.
  if ((word & 0x7f800000) === 0x7f800000 && (word & 0x007fffff) !== 0) return CANONICAL_NAN;
  return word;
}
