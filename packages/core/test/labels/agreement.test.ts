import { describe, expect, it } from 'vitest';
import { agreementPseudoLabels } from '../../src/labels/index.js';
import { request, thrown } from './fixtures.js';

const p = (...v: number[]) => new Float32Array(v);

describe('agreementPseudoLabels', () => {
  const source = agreementPseudoLabels();

  it('answers a hard pseudo-label when all agree confidently', async () => {
    expect(source.name).toBe('agreement');
    const answers = await source.label([
      request('a', { proposer: p(0.05, 0.95), critics: [p(0.1, 0.9), p(0.02, 0.98)] }),
    ]);
    expect(answers).toEqual([{ target: { kind: 'hard', label: 1 }, weight: 0.3, origin: 'pseudo' }]);
  });

  it('answers undefined on disagreement, low confidence or no critic', async () => {
    const answers = await source.label([
      request('disagree', { proposer: p(0.95, 0.05), critics: [p(0.05, 0.95)] }),
      request('one-unsure', { proposer: p(0.95, 0.05), critics: [p(0.95, 0.05), p(0.85, 0.15)] }),
      request('proposer-unsure', { proposer: p(0.6, 0.4), critics: [p(0.95, 0.05)] }),
      request('alone', { proposer: p(0.99, 0.01), critics: [] }),
    ]);
    expect(answers).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('uses minConfidence and weight', async () => {
    const lenient = agreementPseudoLabels({ minConfidence: 0.6, weight: 0.1 });
    const [answer] = await lenient.label([request('a', { proposer: p(0.7, 0.3), critics: [p(0.65, 0.35)] })]);
    expect(answer).toEqual({ target: { kind: 'hard', label: 0 }, weight: 0.1, origin: 'pseudo' });
  });

  it('rejects bad options', () => {
    expect(thrown(() => agreementPseudoLabels({ weight: 2 })).code).toBe('E_CONFIG');
    expect(thrown(() => agreementPseudoLabels({ minConfidence: -0.1 })).code).toBe('E_CONFIG');
  });
});
