import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { absDiff, hellinger, jensenShannon, symmetricKl, totalVariation } from '../../src/detect/index.js';
import { probBatch, probPair, shape } from './distributions.js';

const ALL = [absDiff, totalVariation, jensenShannon, symmetricKl, hellinger];
const SYMMETRIC = ALL; // abs-diff (|p₀ − q₀|) is symmetric too

describe.each(ALL.map((detector) => [detector.name, detector] as const))('%s', (_, detector) => {
  it('is 0 for identical distributions', () => {
    fc.assert(
      fc.property(
        shape().chain(({ rows, classes }) =>
          fc.record({ p: probBatch(rows, classes), rows: fc.constant(rows), classes: fc.constant(classes) }),
        ),
        ({ p, rows, classes }) => {
          const result = detector.measure(p, p.slice(), rows, classes);
          for (const value of result) expect(value).toBeLessThanOrEqual(1e-6);
        },
      ),
    );
  });

  it('stays within [0, upperBound]', () => {
    fc.assert(
      fc.property(probPair(), ({ p, q, rows, classes }) => {
        for (const value of detector.measure(p, q, rows, classes)) {
          expect(value).toBeGreaterThanOrEqual(0);
          expect(value).toBeLessThanOrEqual(detector.upperBound);
          expect(Number.isFinite(value)).toBe(true);
        }
      }),
    );
  });

  it('gives each row of a batch the value it has alone', () => {
    fc.assert(
      fc.property(probPair(), ({ p, q, rows, classes }) => {
        const batch = detector.measure(p, q, rows, classes);
        for (let r = 0; r < rows; r++) {
          const alone = detector.measure(
            p.subarray(r * classes, (r + 1) * classes),
            q.subarray(r * classes, (r + 1) * classes),
            1,
            classes,
          );
          expect(alone[0]).toBe(batch[r]);
        }
      }),
    );
  });
});

describe.each(SYMMETRIC.map((detector) => [detector.name, detector] as const))('%s', (_, detector) => {
  it('is symmetric, bit for bit', () => {
    fc.assert(
      fc.property(probPair(), ({ p, q, rows, classes }) => {
        expect(Array.from(detector.measure(q, p, rows, classes))).toEqual(
          Array.from(detector.measure(p, q, rows, classes)),
        );
      }),
    );
  });
});

describe('abs-diff', () => {
  it('equals total variation for two classes', () => {
    fc.assert(
      fc.property(probPair(2, 2), ({ p, q, rows, classes }) => {
        const d = absDiff.measure(p, q, rows, classes);
        const tv = totalVariation.measure(p, q, rows, classes);
        for (let r = 0; r < rows; r++) expect(Math.abs(d[r]! - tv[r]!)).toBeLessThanOrEqual(1e-6);
      }),
    );
  });

  it("reproduces the POC's d = |p0 − q0| exactly on binary rows", () => {
    fc.assert(
      fc.property(probPair(2, 2), ({ p, q, rows }) => {
        const d = absDiff.measure(p, q, rows, 2);
        for (let r = 0; r < rows; r++) expect(d[r]).toBe(Math.fround(Math.abs(p[2 * r]! - q[2 * r]!)));
      }),
    );
  });
});
