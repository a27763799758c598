import { describe, expect, it } from 'vitest';
import type { TrainingExample } from '../../src/ports/batch.js';
import { expectCode } from '../../src/testing/expect-code.js';
import { hardLabelData, packExamples } from '../../src/train/training-data.js';

function example(id: string, x: number[], target: TrainingExample['target'], weight = 1): TrainingExample {
  return {
    id,
    x: Float32Array.from(x),
    target,
    weight,
    provenance: { itemId: id, origin: 'pseudo', dissonance: 0.2, proposerVersion: '1', at: 0 },
  };
}

describe('packExamples', () => {
  it('packs features, one-hot and soft targets, and weights row by row', () => {
    const data = packExamples(
      [
        example('a', [1, 2], { kind: 'hard', label: 2 }, 0.5),
        example('b', [3, 4], { kind: 'soft', probs: Float32Array.from([0.25, 0.75, 0]) }, 2),
      ],
      2,
      3,
    );
    expect(data).toMatchObject({ rows: 2, inputWidth: 2, classes: 3, critics: [] });
    expect([...data.x]).toEqual([1, 2, 3, 4]);
    expect([...data.targets]).toEqual([0, 0, 1, 0.25, 0.75, 0]);
    expect([...data.weights]).toEqual([0.5, 2]);
  });

  it('names the bad example in E_INPUT errors', async () => {
    const error = await expectCode(
      () =>
        packExamples(
          [example('a', [1, 2], { kind: 'hard', label: 0 }), example('bad', [1], { kind: 'hard', label: 0 })],
          2,
          3,
        ),
      'E_INPUT',
    );
    expect(error.message).toMatch(/training example 1 \(bad\)/);
    await expectCode(
      () => packExamples([example('z', [1, 2], { kind: 'soft', probs: new Float32Array(3) })], 2, 3),
      'E_INPUT',
    );
    await expectCode(() => packExamples([example('w', [1, 2], { kind: 'hard', label: 0 }, -1)], 2, 3), 'E_INPUT');
  });

  it('rejects an empty list with E_TRAINER', async () => {
    await expectCode(() => packExamples([], 2, 3), 'E_TRAINER');
  });
});

describe('hardLabelData', () => {
  it('checks shapes, labels and values', async () => {
    expect(hardLabelData(Float32Array.from([1, 2]), [1], 2, 3).targets).toEqual(Float64Array.from([0, 1, 0]));
    await expectCode(() => hardLabelData(Float32Array.from([1, 2, 3]), [1], 2, 3), 'E_INPUT');
    await expectCode(() => hardLabelData(Float32Array.from([1, 2]), [3], 2, 3), 'E_INPUT');
    await expectCode(() => hardLabelData(Float32Array.from([1, Number.NaN]), [0], 2, 3), 'E_INPUT');
  });
});
