import { describe, expect, it } from 'vitest';
import { ScannedCopies } from '../../src/simd/scanned-copies.js';

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

  it('reuses a copy given back, grows one for a larger batch, and never hands out a copy still in use', () => {
    const copies = new ScannedCopies(2);
    const a = copies.copy(new Float32Array(1000).fill(1)).copy;
    const b = copies.copy(new Float32Array(1000).fill(2)).copy;
    expect(a.buffer).not.toBe(b.buffer);
    expect(a[0]).toBe(1);
    copies.give(a);
    const c = copies.copy(new Float32Array(1000).fill(3)).copy;
    expect(c.buffer).toBe(a.buffer);
    expect(b[0]).toBe(2);
    copies.give(c);
    // 200,000 values need more than the slot's 64 KiB: it grows while free, and the copy is whole.
    const big = Float32Array.from({ length: 200_000 }, (_, i) => i);
    const grown = copies.copy(big);
    expect(grown.copy).toEqual(big);
    expect(grown.copy.buffer.byteLength).toBeGreaterThanOrEqual(800_000);
    copies.give(grown.copy);
    copies.give(grown.copy);
    const one = copies.copy(new Float32Array(600)).copy;
    const two = copies.copy(new Float32Array(600)).copy;
    expect(one.buffer).not.toBe(two.buffer);
  });
});
