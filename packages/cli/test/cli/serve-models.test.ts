import { fitStandardScaler, initMlp, mlpForward } from '@dissonance/core/mlp';
import { describe, expect, it } from 'vitest';
import { foldScaler } from '../../src/cli/serve-models.js';

describe('foldScaler', () => {
  it('a model with the scaler folded in gives on raw rows what the original gives on standardized rows', () => {
    const width = 5;
    const rows = 40;
    const raw = Float32Array.from(
      { length: rows * width },
      (_, i) => ((i * 7919) % 17) * (1 + (i % width)) + (i % width === 4 ? 0 : 3),
    );
    const scaler = fitStandardScaler(
      raw,
      width,
      Array.from({ length: rows }, (_, r) => r),
    );
    const weights = initMlp({ inputWidth: width, hidden: [8], classes: 3, seed: 7 });
    const expected = mlpForward(weights, scaler.transform(raw, rows), rows);
    const actual = mlpForward(foldScaler(weights, scaler), raw, rows);
    for (let i = 0; i < expected.length; i++) expect(actual[i]).toBeCloseTo(expected[i]!, 4);
  });
});
