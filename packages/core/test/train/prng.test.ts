import { describe, expect, it } from 'vitest';
import { createPrng, deriveSeed } from '../../src/train/prng.js';

describe('createPrng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const c = createPrng(43);
    const seqA = Array.from({ length: 20 }, () => a.nextUint32());
    const seqB = Array.from({ length: 20 }, () => b.nextUint32());
    const seqC = Array.from({ length: 20 }, () => c.nextUint32());
    expect(seqA).toEqual(seqB);
    expect(seqA).not.toEqual(seqC);
    for (const v of seqA) expect(Number.isInteger(v) && v >= 0 && v < 2 ** 32).toBe(true);
  });

  it('pins the first values of seed 1 (a change of the stream would change every trained model)', () => {
    const prng = createPrng(1);
    expect(Array.from({ length: 4 }, () => prng.nextUint32())).toMatchInlineSnapshot(`
      [
        187311638,
        4110474672,
        4112873185,
        3878928708,
      ]
    `);
  });

  it('draws uniforms in [0, 1) with mean ½ and normals with mean 0 and variance 1', () => {
    const prng = createPrng(7);
    const n = 20000;
    let sum = 0;
    let nSum = 0;
    let nSq = 0;
    for (let i = 0; i < n; i++) {
      const u = prng.next();
      expect(u >= 0 && u < 1).toBe(true);
      sum += u;
      const z = prng.normal();
      nSum += z;
      nSq += z * z;
    }
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(nSum / n)).toBeLessThan(0.03);
    expect(Math.abs(nSq / n - 1)).toBeLessThan(0.04);
  });

  it('shuffles into a permutation, deterministically', () => {
    const a = createPrng(3).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    const b = createPrng(3).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    expect(a).toEqual(b);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...a]).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('derives distinct seeds for distinct streams, and accepts odd seeds', () => {
    expect(deriveSeed(5, 1)).not.toBe(deriveSeed(5, 2));
    expect(deriveSeed(5, 1)).toBe(deriveSeed(5, 1));
    expect(createPrng(-1).nextUint32()).not.toBe(createPrng(2 ** 32 - 1 + 2 ** 32).nextUint32());
    expect(Number.isFinite(createPrng(Number.NaN).next())).toBe(true);
  });
});
