import { describe, expect, it } from 'vitest';
import { ScannedCopies } from '../../src/simd/scanned-copies.js';

const filled = (length: number, value: number): Float32Array => new Float32Array(length).fill(value);

describe('ScannedCopies: copies of batches, scanned for NaN and ±Infinity as they are made', () => {
  it('copies exactly and flags a non-finite value anywhere, small copies and kernel copies alike', () => {
    const copies = new ScannedCopies();
    for (const length of [0, 1, 17, 511, 512, 513, 16385, 70000, 100000]) {
      const x = Float32Array.from({ length }, (_, i) => Math.sin(i) * 1e30);
      const clean = copies.copy(x);
      expect(clean.nonFinite).toBe(false);
      expect(clean.copy).not.toBe(x);
      expect(clean.copy).toEqual(x);
      copies.give(clean.copy);
      for (const at of new Set([0, length - 1, length >> 1].filter((i) => i >= 0 && i < length))) {
        for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
          const saved = x[at]!;
          x[at] = bad;
          const flagged = copies.copy(x);
          expect(flagged.nonFinite, `length ${length}, ${bad} at ${at}`).toBe(true);
          copies.give(flagged.copy);
          x[at] = saved;
        }
      }
    }
  });

  it('keeps up to four copies in the kernel’s memory, each in its own region; more take the plain path', () => {
    const copies = new ScannedCopies();
    const held = [1, 2, 3, 4, 5].map((v) => copies.copy(filled(1000, v)));
    const [a, b, c, d, e] = held.map((h) => h.copy) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    expect(new Set([a, b, c, d].map((x) => x.buffer)).size).toBe(1);
    expect(new Set([a, b, c, d].map((x) => x.byteOffset)).size).toBe(4);
    // The fifth has an array of its own.
    expect(e.buffer).not.toBe(a.buffer);
    expect(held.map((h) => h.copy[999])).toEqual([1, 2, 3, 4, 5]);
    expect(held.every((h) => !h.nonFinite)).toBe(true);
    copies.give(b);
    const again = copies.copy(filled(1000, 9)).copy;
    expect(again.buffer).toBe(a.buffer);
    expect(again.byteOffset).toBe(b.byteOffset);
    expect([a[0], c[0], d[0], again[0]]).toEqual([1, 3, 4, 9]);
  });

  it('grows the memory for a larger batch only while no copy is in use', () => {
    const copies = new ScannedCopies();
    const small = copies.copy(filled(1000, 1)).copy;
    const big = Float32Array.from({ length: 200_000 }, (_, i) => i);
    // A copy is in use: growing would detach it, so the large batch takes the plain path.
    const plain = copies.copy(big);
    expect(plain.copy.buffer).not.toBe(small.buffer);
    expect(plain.copy).toEqual(big);
    expect(small[0]).toBe(1);
    copies.give(plain.copy);
    copies.give(small);
    const grown = copies.copy(big);
    expect(grown.copy).toEqual(big);
    expect(grown.copy.buffer.byteLength).toBeGreaterThanOrEqual(4 * 200_000 * 4);
    big[123] = Number.NaN;
    const flagged = copies.copy(big);
    expect(flagged.nonFinite).toBe(true);
    expect(flagged.copy.buffer).toBe(grown.copy.buffer);
    copies.give(grown.copy);
    copies.give(grown.copy);
    copies.give(flagged.copy);
    const regions = [1, 2, 3, 4].map(() => copies.copy(filled(1000, 0)).copy);
    expect(new Set(regions.map((x) => x.byteOffset)).size).toBe(4);
  });
});
