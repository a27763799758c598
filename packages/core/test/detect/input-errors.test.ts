import { describe, expect, it } from 'vitest';
import {
  absDiff,
  consensusEntropy,
  createSymmetricKl,
  hellinger,
  jensenShannon,
  meanPairwiseJs,
  proposerVsCritics,
  symmetricKl,
  totalVariation,
  voteEntropy,
} from '../../src/detect/index.js';
import { DissonanceError } from '../../src/errors.js';

function thrown(fn: () => unknown): DissonanceError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DissonanceError);
    return error as DissonanceError;
  }
  throw new Error('expected a DissonanceError');
}

const PAIRWISE = [absDiff, totalVariation, jensenShannon, symmetricKl, hellinger];
const COMMITTEES = [meanPairwiseJs, voteEntropy, consensusEntropy, proposerVsCritics(totalVariation)];
const ok = new Float32Array(6); // 3 rows × 2 classes
const short = new Float32Array(5);

describe.each(PAIRWISE.map((d) => [d.name, d] as const))('%s rejects bad input with E_INPUT', (_, detector) => {
  it('a short p or q, naming expected and actual lengths', () => {
    const error = thrown(() => detector.measure(short, ok, 3, 2));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('p has 5 values');
    expect(error.message).toContain('rows × classes = 6');
    expect(error.details).toMatchObject({ argument: 'p', expected: 6, actual: 5 });
    expect(thrown(() => detector.measure(ok, short, 3, 2)).details).toMatchObject({
      argument: 'q',
      expected: 6,
      actual: 5,
    });
  });

  it('a short out', () => {
    const error = thrown(() => detector.measure(ok, ok, 3, 2, new Float32Array(2)));
    expect(error.code).toBe('E_INPUT');
    expect(error.details).toMatchObject({ argument: 'out', expected: 3, actual: 2 });
  });

  it('rows or classes that are not counts', () => {
    for (const [rows, classes] of [
      [-1, 2],
      [1.5, 2],
      [Number.NaN, 2],
      [3, 0],
      [3, 2.5],
    ] as const) {
      expect(thrown(() => detector.measure(ok, ok, rows, classes)).code).toBe('E_INPUT');
    }
  });
});

describe.each(COMMITTEES.map((d) => [d.name, d] as const))('%s rejects bad input with E_INPUT', (_, detector) => {
  it('an empty committee', () => {
    expect(thrown(() => detector.measure([], 3, 2)).code).toBe('E_INPUT');
  });

  it('a short proposer', () => {
    const error = thrown(() => detector.measure([short, short], 3, 2));
    expect(error.code).toBe('E_INPUT');
    expect(error.details).toMatchObject({ argument: 'members[0]', expected: 6, actual: 5 });
  });

  it('members of different lengths', () => {
    const error = thrown(() => detector.measure([ok, ok, new Float32Array(8)], 3, 2));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('members[2] has 8 values, expected 6');
  });

  it('a short out', () => {
    expect(thrown(() => detector.measure([ok, ok], 3, 2, new Float32Array(1))).code).toBe('E_INPUT');
  });
});

describe('createSymmetricKl', () => {
  it('rejects an epsilon that is not a finite number > 0 with E_CONFIG', () => {
    for (const epsilon of [0, -1e-6, Number.NaN, Infinity]) {
      expect(thrown(() => createSymmetricKl({ epsilon })).code).toBe('E_CONFIG');
    }
  });
});
