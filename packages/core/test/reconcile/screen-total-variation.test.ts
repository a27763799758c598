import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { totalVariation } from '../../src/detect/total-variation.js';
import { NON_FINITE_OUTPUT, screenRows, SUSPECT } from '../../src/reconcile/gate-rows.js';
import {
  measureAndScreenTotalVariation,
  screenTolerance,
  screenTotalVariationJs,
} from '../../src/reconcile/screen-total-variation.js';
import { TOTAL_VARIATION_SIMD_FROM, totalVariationSimd } from '../../src/simd/total-variation-simd.js';

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

  it('writes the same bits and flags through the WebAssembly SIMD kernel as through the JavaScript loop', () => {
    // Enough rows for the kernel, any class count (odd ones end on a lone class), a few broken rows.
    const batch = fc.record({
      classes: fc.integer({ min: 1, max: 13 }),
      rows: fc.integer({ min: 1, max: 700 }),
      seed: fc.integer(),
      broken: fc.array(fc.tuple(fc.nat(), fc.constantFrom(Number.NaN, Infinity, -1e-30, 0.3, 2, -0)), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(batch, ({ classes, rows: wanted, seed, broken }) => {
        const rows = Math.max(wanted, Math.ceil(TOTAL_VARIATION_SIMD_FROM / classes));
        const p = randomRows(rows, classes, seed);
        const q = randomRows(rows, classes, seed + 1);
        for (const [at, value] of broken) (at % 2 === 0 ? p : q)[at % p.length] = value;
        const { values, flags } = measureAndScreenTotalVariation(p, q, rows, classes, TOLERANCE);
        const jsValues = new Float32Array(rows);
        const jsFlags = screenTotalVariationJs(p, q, rows, classes, screenTolerance(TOLERANCE, classes), jsValues);
        expect(Array.from(values)).toEqual(Array.from(jsValues));
        expect(Array.from(values)).toEqual(Array.from(totalVariation.measure(p, q, rows, classes)));
        expect(flags === undefined ? undefined : Array.from(flags)).toEqual(
          jsFlags === undefined ? undefined : Array.from(jsFlags),
        );
      }),
      { numRuns: 150 },
    );
  });

  it('flags each kind of broken row through the kernel, across its chunks of rows', () => {
    const classes = 10;
    const rows = 7000; // more than one 256 KiB chunk of the kernel's memory
    const p = randomRows(rows, classes, 1);
    const q = randomRows(rows, classes, 2);
    const expected = new Map<number, number>([
      [0, NON_FINITE_OUTPUT],
      [3083, SUSPECT],
      [3084, NON_FINITE_OUTPUT],
      [6999, SUSPECT],
    ]);
    p[0] = Number.NaN;
    q[3083 * classes + 9] = -1e-30;
    q[3084 * classes] = Infinity;
    p[6999 * classes + 4] = p[6999 * classes + 4]! + 0.01;
    const { values, flags } = measureAndScreenTotalVariation(p, q, rows, classes, TOLERANCE);
    expect(totalVariationSimd(p, q, rows, classes, TOLERANCE, new Float32Array(rows))).not.toBeNull();
    const flagged = new Map([...flags!.entries()].filter(([, flag]) => flag !== 0));
    expect(flagged).toEqual(expected);
    expect(values[0]).toBeNaN();
    expect(values[3084]).toBe(1);
    expect(Array.from(values.subarray(1, 3083)).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it('flags every row screenRows flags (and within screenTolerance of the tolerance, a suspect row more)', () => {
    const classes = 4;
    const p = Float32Array.from([0.25, 0.25, 0.25, 0.251, 0.25, 0.25, 0.25, 0.25]);
    const q = Float32Array.from([0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    // Row 0 sums to exactly 1 + the tolerance as float64: inside screenRows' tolerance, inside the band here.
    const tolerance = p[0]! + p[1]! + p[2]! + p[3]! - 1;
    expect(screenRows(p, [q], totalVariation.measure(p, q, 2, classes), 2, classes, tolerance)).toBeUndefined();
    expect(Array.from(measureAndScreenTotalVariation(p, q, 2, classes, tolerance).flags!)).toEqual([SUSPECT, 0]);
  });
});

describe('the screen at the edge of the tolerance', () => {
  it('never passes a row that the validate screen (in-order float64 sums) flags, kernel or loop', () => {
    // Rows whose sum lies within a few float32 steps of 1 ± tolerance, any class count, enough rows for the kernel.
    const batch = fc.record({
      classes: fc.integer({ min: 1, max: 33 }),
      seed: fc.integer(),
      tolerance: fc.constantFrom(1e-3, 1e-2, 0.25),
      steps: fc.array(fc.integer({ min: -64, max: 64 }), { minLength: 1, maxLength: 64 }),
    });
    fc.assert(
      fc.property(batch, ({ classes, seed, tolerance, steps }) => {
        const rows = Math.max(steps.length, Math.ceil(TOTAL_VARIATION_SIMD_FROM / classes));
        const p = randomRows(rows, classes, seed);
        const q = randomRows(rows, classes, seed + 1);
        steps.forEach((step, r) => {
          // Scale row r of p so its sum is 1 ± tolerance, give or take `step` float32 steps.
          const target = 1 + (step % 2 === 0 ? tolerance : -tolerance) + step * 2 ** -23;
          for (let c = 0; c < classes; c++) p[r * classes + c]! *= target;
        });
        const values = totalVariation.measure(p, q, rows, classes);
        const exact = screenRows(p, [q], values, rows, classes, tolerance);
        const kernel = measureAndScreenTotalVariation(p, q, rows, classes, tolerance);
        const loop = screenTotalVariationJs(p, q, rows, classes, screenTolerance(tolerance, classes), values);
        for (let r = 0; r < rows; r++) {
          if ((exact?.[r] ?? 0) === 0) continue;
          expect(kernel.flags?.[r] ?? 0).not.toBe(0);
          expect(loop?.[r] ?? 0).not.toBe(0);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('reports the range of the values it wrote, NaN when one is NaN, kernel or loop', () => {
    for (const rows of [3, 2000]) {
      const p = randomRows(rows, 10, 5);
      const q = randomRows(rows, 10, 6);
      const { values, min, max } = measureAndScreenTotalVariation(p, q, rows, 10, TOLERANCE);
      expect(min).toBe(Math.min(...values));
      expect(max).toBe(Math.max(...values));
      p[7] = Number.NaN;
      const broken = measureAndScreenTotalVariation(p, q, rows, 10, TOLERANCE);
      expect(broken.min).toBeNaN();
      expect(broken.max).toBeNaN();
    }
  });
});

/** `rows` seeded probability rows of `classes` values. */
function randomRows(rows: number, classes: number, seed: number): Float32Array {
  const out = new Float32Array(rows * classes);
  let s = (Math.abs(seed) % 2147483646) + 1;
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      s = (s * 16807) % 2147483647;
      out[r * classes + c] = (s / 2147483647) ** 3;
      sum += out[r * classes + c]!;
    }
    for (let c = 0; c < classes; c++) out[r * classes + c]! /= sum;
  }
  return out;
}
