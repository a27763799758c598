import { describe, expect, it } from 'vitest';
import { criticTrustLabels } from '../../src/labels/index.js';
import { request, thrown } from './fixtures.js';

const p = (...v: number[]) => new Float32Array(v);

describe('criticTrustLabels', () => {
  it('answers the mean of the critics as a soft target, in a new array', async () => {
    const critics = [p(0.2, 0.8), p(0.4, 0.6)];
    const source = criticTrustLabels();
    expect(source.name).toBe('critic');
    const [answer] = await source.label([request('a', { critics })]);
    expect(answer?.origin).toBe('critic');
    expect(answer?.weight).toBe(0.5);
    if (answer?.target.kind !== 'soft') throw new Error('expected a soft target');
    expect(Array.from(answer.target.probs)).toEqual(
      [Math.fround(0.3), Math.fround(0.7)].map((v) => expect.closeTo(v, 6)),
    );
    expect(answer.target.probs).toBeInstanceOf(Float32Array);
    expect(answer.target.probs).not.toBe(critics[0]);
    critics[0]![0] = 0.9;
    expect(answer.target.probs[0]).toBeCloseTo(0.3, 6);
  });

  it('answers undefined below minConfidence or without critics', async () => {
    const source = criticTrustLabels({ minConfidence: 0.75, weight: 0.2 });
    const answers = await source.label([
      request('unsure', { critics: [p(0.2, 0.8), p(0.4, 0.6)] }),
      request('sure', { critics: [p(0.1, 0.9), p(0.3, 0.7)] }),
      request('none', { critics: [] }),
      request('misshaped', { critics: [p(0.1, 0.1, 0.8)] }),
    ]);
    expect(answers[0]).toBeUndefined();
    expect(answers[1]).toMatchObject({ weight: 0.2, origin: 'critic', target: { kind: 'soft' } });
    expect(answers[2]).toBeUndefined();
    expect(answers[3]).toBeUndefined();
  });

  it('rejects bad options', () => {
    expect(thrown(() => criticTrustLabels({ weight: 0 })).code).toBe('E_CONFIG');
    expect(thrown(() => criticTrustLabels({ minConfidence: Number.POSITIVE_INFINITY })).code).toBe('E_CONFIG');
  });
});
