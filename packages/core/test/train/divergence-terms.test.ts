import { describe, expect, it } from 'vitest';
import { detectorByName } from '../../src/detect/index.js';
import { DIVERGENCE_NAMES, divergenceFor, divergenceRow } from '../../src/train/divergence-terms.js';
import { createPrng } from '../../src/train/prng.js';
import { randomProbs } from './fixtures.js';

describe('divergenceRow', () => {
  for (const name of DIVERGENCE_NAMES) {
    it(`gives the value of the ${name} detector`, () => {
      const prng = createPrng(31);
      const rows = 40;
      const classes = 4;
      const p = Float32Array.from(randomProbs(prng, rows, classes, 2));
      const q = Float32Array.from(randomProbs(prng, rows, classes, 2));
      const expected = detectorByName(name).measure(p, q, rows, classes);
      const p64 = Float64Array.from(p);
      const q64 = Float64Array.from(q);
      for (let r = 0; r < rows; r++) {
        const value = divergenceRow(name, p64, q64, r * classes, classes, undefined, 1);
        expect(Math.abs(value - expected[r]!)).toBeLessThan(1e-6);
      }
    });

    it(`is 0 with a zero gradient for identical rows, ${name}`, () => {
      const p = Float64Array.from([0.2, 0.3, 0.5]);
      const out = new Float64Array(3);
      expect(divergenceRow(name, p, p, 0, 3, out, 1)).toBeCloseTo(0, 12);
      for (const g of out) expect(Math.abs(g)).toBeLessThan(1e-12);
    });
  }

  it('keeps the gradient finite where a probability is 0', () => {
    const p = Float64Array.from([0, 0.5, 0.5]);
    const q = Float64Array.from([0.6, 0.4, 0]);
    for (const name of DIVERGENCE_NAMES) {
      const out = new Float64Array(3);
      expect(Number.isFinite(divergenceRow(name, p, q, 0, 3, out, 1))).toBe(true);
      for (const g of out) expect(Number.isFinite(g)).toBe(true);
      expect(out[0]).toBe(0);
    }
  });
});

describe('divergenceFor', () => {
  it('maps pairwise detector names to themselves', () => {
    for (const name of DIVERGENCE_NAMES) expect(divergenceFor(name)).toEqual({ divergence: name, fallback: false });
  });

  it('falls back to Jensen–Shannon for committee measures and unknown names', () => {
    for (const name of ['mean-pairwise-js', 'consensus-entropy', 'vote-entropy', 'my-detector']) {
      expect(divergenceFor(name)).toEqual({ divergence: 'jensen-shannon', fallback: true });
    }
  });
});
