import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/util/content-hash.js';

describe('contentHash', () => {
  it('returns 14 hex digits, equal for equal values', () => {
    const a = new Float32Array([1, 2, 3]);
    expect(contentHash(a)).toMatch(/^[0-9a-f]{14}$/);
    expect(contentHash(a)).toBe(contentHash(new Float32Array([1, 2, 3])));
  });

  it('differs on different values, order or length', () => {
    const base = contentHash(new Float32Array([1, 2, 3]));
    expect(contentHash(new Float32Array([1, 2, 4]))).not.toBe(base);
    expect(contentHash(new Float32Array([3, 2, 1]))).not.toBe(base);
    expect(contentHash(new Float32Array([1, 2, 3, 0]))).not.toBe(base);
    expect(contentHash(new Float32Array([0]))).not.toBe(contentHash(new Float32Array([])));
  });

  it('hashes a range, a subarray and a copy alike', () => {
    const big = new Float32Array([9, 9, 9, 1.5, -2, 3.25, 9]);
    const expected = contentHash(new Float32Array([1.5, -2, 3.25]));
    expect(contentHash(big, 3, 3)).toBe(expected);
    expect(contentHash(big.subarray(3, 6))).toBe(expected);
    expect(contentHash(big.subarray(1), 2, 3)).toBe(expected);
  });

  it('folds -0 into +0 and NaNs into one', () => {
    expect(contentHash(new Float32Array([-0, 1]))).toBe(contentHash(new Float32Array([0, 1])));
    const otherNaN = new Float32Array(new Uint32Array([0x7fc00001]).buffer);
    expect(contentHash(otherNaN)).toBe(contentHash(new Float32Array([Number.NaN])));
  });

  it('rejects a range outside the array', () => {
    const a = new Float32Array(4);
    expect(() => contentHash(a, 2, 3)).toThrow(RangeError);
    expect(() => contentHash(a, -1)).toThrow(RangeError);
  });

  it('is a function of the values only (property)', () => {
    fc.assert(
      fc.property(fc.float32Array({ noNaN: true }), fc.nat(8), (values, pad) => {
        const buffer = new Float32Array(values.length + pad);
        buffer.set(values, pad);
        expect(contentHash(buffer, pad, values.length)).toBe(contentHash(Float32Array.from(values)));
      }),
    );
  });
});
