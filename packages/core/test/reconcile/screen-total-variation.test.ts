import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { totalVariation } from '../../src/detect/total-variation.js';
import { screenRows } from '../../src/reconcile/gate-rows.js';
import { measureAndScreenTotalVariation } from '../../src/reconcile/screen-total-variation.js';

const CLASSES = 4;
const TOLERANCE = 1e-3;

/** A probability row, or one of the rows the screen must flag. */
const row = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .array(fc.float({ min: 0, max: 1, noNaN: true }), { minLength: CLASSES, maxLength: CLASSES })
      .map(normalise),
  },
  { weight: 1, arbitrary: fc.constant([Number.NaN, 0.5, 0.25, 0.25]) },
  { weight: 1, arbitrary: fc.constant([Number.POSITIVE_INFINITY, 0, 0, 0]) },
  { weight: 1, arbitrary: fc.constant([-1e-30, 0.5, 0.25, 0.25]) },
  { weight: 1, arbitrary: fc.constant([0.3, 0.3, 0.3, 0.3]) },
  { weight: 1, arbitrary: fc.constant([0.25, 0.25, 0.25, 0.2504]) },
);

function normalise(values: number[]): number[] {
  const sum = values.reduce((a, b) => a + b, 0);
  return sum === 0 ? [1, 0, 0, 0] : values.map((v) => v / sum);
}

describe('measureAndScreenTotalVariation', () => {
  it('writes what totalVariation.measure writes and flags what screenRows flags, row for row', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(row, row), { minLength: 0, maxLength: 40 }), (pairs) => {
        const rows = pairs.length;
        const p = Float32Array.from(pairs.flatMap(([a]) => a));
        const q = Float32Array.from(pairs.flatMap(([, b]) => b));
        const expected = totalVariation.measure(p, q, rows, CLASSES);
        const expectedFlags = screenRows(p, [q], expected, rows, CLASSES, TOLERANCE);
        const { values, flags } = measureAndScreenTotalVariation(p, q, rows, CLASSES, TOLERANCE);
        expect(Array.from(values)).toEqual(Array.from(expected));
        expect(flags === undefined ? undefined : Array.from(flags)).toEqual(
          expectedFlags === undefined ? undefined : Array.from(expectedFlags),
        );
      }),
      { numRuns: 400 },
    );
  });

  it('writes into `out` when given one and checks its arguments like the detector', () => {
    const p = Float32Array.from([0.5, 0.5, 0, 0]);
    const q = Float32Array.from([0, 0.5, 0.5, 0]);
    const out = new Float32Array(3);
    expect(measureAndScreenTotalVariation(p, q, 1, CLASSES, TOLERANCE, out).values).toBe(out);
    expect(out[0]).toBeCloseTo(0.5, 6);
    expect(() => measureAndScreenTotalVariation(p, q, 2, CLASSES, TOLERANCE)).toThrow(/expected at least/);
  });
});
