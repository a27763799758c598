import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  consensusEntropy,
  entropyBits,
  hellinger,
  jensenShannon,
  meanPairwise,
  meanPairwiseJs,
  normalizeEntropy,
  proposerVsCritics,
  symmetricKl,
  totalVariation,
  voteEntropy,
} from '../../src/detect/index.js';
import type { CommitteeDetector } from '../../src/ports/detector.js';
import { committee, probPair } from './distributions.js';

const COMMITTEES: readonly CommitteeDetector[] = [meanPairwiseJs, voteEntropy, consensusEntropy];

/** Measures one row: each member is a list of probabilities. */
function one(detector: CommitteeDetector, members: number[][]): number {
  const classes = members[0]!.length;
  return detector.measure(
    members.map((m) => Float32Array.from(m)),
    1,
    classes,
  )[0]!;
}

function expectNear(actual: number, expected: number, tolerance = 1e-6): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(tolerance);
}

describe('entropy helpers', () => {
  it('compute entropy in bits from an offset, with 0·log 0 = 0', () => {
    // −(½ log₂ ½ + 2 · ¼ log₂ ¼) = ½ + 1 = 1.5 bits; the leading 7 is skipped by the offset.
    expect(entropyBits([7, 0.5, 0.25, 0.25, 0], 1, 4)).toBe(1.5);
    expect(entropyBits([1, 0], 0, 2)).toBe(0);
  });

  it('normalize by log₂ of the outcomes and clamp to [0, 1]', () => {
    expect(normalizeEntropy(1.5, 4)).toBe(0.75);
    expect(normalizeEntropy(1.0000001, 2)).toBe(1);
    expect(normalizeEntropy(0, 1)).toBe(0);
  });
});

describe('committee detectors: hand-computed values', () => {
  it('are 0 for a unanimous committee', () => {
    // Every member certain of class 1: no pair differs, every vote agrees, the mean [0, 1, 0] has entropy 0.
    const members = [
      [0, 1, 0],
      [0, 1, 0],
      [0, 1, 0],
    ];
    for (const detector of COMMITTEES) expect(one(detector, members)).toBe(0);
  });

  it('are 0 for a committee of one', () => {
    for (const detector of [meanPairwiseJs, voteEntropy, proposerVsCritics(totalVariation)]) {
      expect(one(detector, [[0.3, 0.7]])).toBe(0);
    }
  });

  it('vote entropy of a 2–2 split over two classes is 1', () => {
    // Votes [0, 0, 1, 1] → shares [½, ½] → 1 bit; normalized by log₂(min(4, 2)) = 1 → 1.
    expect(
      one(voteEntropy, [
        [0.9, 0.1],
        [0.6, 0.4],
        [0.2, 0.8],
        [0.4, 0.6],
      ]),
    ).toBe(1);
  });

  it('vote entropy of votes [0, 0, 1] over three classes', () => {
    // Shares [⅔, ⅓, 0] → −(⅔ log₂ ⅔ + ⅓ log₂ ⅓) = 0.918296 bits; / log₂(min(3, 3)) = 1.584963 → 0.579380.
    expectNear(
      one(voteEntropy, [
        [1, 0, 0],
        [0.5, 0.3, 0.2],
        [0.1, 0.8, 0.1],
      ]),
      0.57938,
    );
  });

  it('vote entropy normalizes by log₂(members) when members < classes, and breaks ties to the lowest class', () => {
    // Two members over four classes vote 0 (a tie of 0.5/0.5 goes to class 0) and 3 → 1 bit / log₂ 2 = 1.
    expect(
      one(voteEntropy, [
        [0.5, 0.5, 0, 0],
        [0, 0, 0, 1],
      ]),
    ).toBe(1);
    // Tie broken to class 0 for both members → unanimous → 0.
    expect(
      one(voteEntropy, [
        [0.5, 0.5],
        [0.5, 0.5],
      ]),
    ).toBe(0);
  });

  it('consensus entropy of a uniform mean is 1', () => {
    // mean([1, 0], [0, 1]) = [½, ½] → 1 bit / log₂ 2 = 1.
    expect(
      one(consensusEntropy, [
        [1, 0],
        [0, 1],
      ]),
    ).toBe(1);
    // Agreeing on uncertainty still scores 1: the mean is uniform.
    expect(
      one(consensusEntropy, [
        [1 / 3, 1 / 3, 1 / 3],
        [1 / 3, 1 / 3, 1 / 3],
      ]),
    ).toBeGreaterThan(1 - 1e-6);
  });

  it('consensus entropy of the mean [½, ¼, ¼]', () => {
    // mean([1, 0, 0], [0, ½, ½]) = [½, ¼, ¼] → 1.5 bits / log₂ 3 = 1.584963 → 0.946395.
    expectNear(
      one(consensusEntropy, [
        [1, 0, 0],
        [0, 0.5, 0.5],
      ]),
      0.946395,
    );
  });

  it('mean pairwise JS averages over every unordered pair', () => {
    // Members a = [1, 0], b = [0, 1], c = [1, 0]: JS(a, b) = 1, JS(a, c) = 0, JS(b, c) = 1 → 2/3.
    expectNear(
      one(meanPairwiseJs, [
        [1, 0],
        [0, 1],
        [1, 0],
      ]),
      2 / 3,
    );
    expect(meanPairwiseJs.name).toBe('mean-pairwise-js');
    expect(meanPairwise(hellinger).name).toBe('mean-pairwise-hellinger');
    expect(meanPairwise(symmetricKl).upperBound).toBe(Infinity);
  });

  it('proposer vs critics averages the proposer against each critic only', () => {
    // Proposer [1, 0]; critics [0, 1], [1, 0], [½, ½]: TV = 1, 0, ½ → mean ½ (critic pairs are not compared).
    const detector = proposerVsCritics(totalVariation);
    expect(
      one(detector, [
        [1, 0],
        [0, 1],
        [1, 0],
        [0.5, 0.5],
      ]),
    ).toBe(0.5);
    expect(detector.name).toBe('total-variation');
    expect(detector.kind).toBe('committee');
  });

  it('write into `out` when it is given and return it', () => {
    const out = new Float32Array([9, 9, 9]);
    const members = [Float32Array.from([1, 0, 0, 1]), Float32Array.from([0, 1, 0, 1])];
    for (const detector of [...COMMITTEES, proposerVsCritics(totalVariation)]) {
      out.fill(9);
      expect(detector.measure(members, 2, 2, out)).toBe(out);
      expect(out[1]).toBe(0);
      expect(out[2]).toBe(9);
    }
  });
});

describe('committee detectors: properties', () => {
  it('proposer vs one critic equals the pairwise detector exactly', () => {
    for (const detector of [totalVariation, jensenShannon, symmetricKl, hellinger]) {
      fc.assert(
        fc.property(probPair(), ({ p, q, rows, classes }) => {
          const pairwise = detector.measure(p, q, rows, classes);
          const committeeValue = proposerVsCritics(detector).measure([p, q], rows, classes);
          expect(Array.from(committeeValue)).toEqual(Array.from(pairwise));
        }),
      );
    }
  });

  it('mean pairwise of two members equals the pairwise detector', () => {
    fc.assert(
      fc.property(probPair(), ({ p, q, rows, classes }) => {
        expect(Array.from(meanPairwiseJs.measure([p, q], rows, classes))).toEqual(
          Array.from(jensenShannon.measure(p, q, rows, classes)),
        );
      }),
    );
  });

  it('stay within [0, upperBound]', () => {
    fc.assert(
      fc.property(committee(), ({ members, rows, classes }) => {
        for (const detector of COMMITTEES) {
          for (const value of detector.measure(members, rows, classes)) {
            expect(value).toBeGreaterThanOrEqual(0);
            expect(value).toBeLessThanOrEqual(detector.upperBound);
          }
        }
      }),
    );
  });

  it('do not depend on the order of the members', () => {
    fc.assert(
      fc.property(committee(2), ({ members, rows, classes }) => {
        const reversed = [...members].reverse();
        for (const detector of COMMITTEES) {
          const a = detector.measure(members, rows, classes);
          const b = detector.measure(reversed, rows, classes);
          for (let r = 0; r < rows; r++) expect(Math.abs(a[r]! - b[r]!)).toBeLessThanOrEqual(1e-6);
        }
      }),
    );
  });

  it('give each row of a batch the value it has alone', () => {
    fc.assert(
      fc.property(committee(), ({ members, rows, classes }) => {
        for (const detector of COMMITTEES) {
          const batch = detector.measure(members, rows, classes);
          for (let r = 0; r < rows; r++) {
            const alone = detector.measure(
              members.map((m) => m.subarray(r * classes, (r + 1) * classes)),
              1,
              classes,
            );
            expect(alone[0]).toBe(batch[r]);
          }
        }
      }),
    );
  });
});
