import { describe, expect, it } from 'vitest';
import { validateOutputGate } from '../../src/reconcile/index.js';
import { item, thrown } from './fixtures.js';

describe('validateOutputGate', () => {
  const gate = validateOutputGate();

  it('is named validate and passes valid outputs', () => {
    expect(gate.name).toBe('validate');
    expect(gate.check(item(), 0)).toEqual({ outcome: 'pass' });
    // Float32 rounding of 0.1 + 0.2 + 0.7 stays within tolerance.
    const three = item({ proposer: new Float32Array([0.1, 0.2, 0.7]), critics: [new Float32Array([0.3, 0.3, 0.4])] });
    expect(gate.check(three, 0).outcome).toBe('pass');
    expect(gate.check(item({ critics: [] }), 0).outcome).toBe('pass');
  });

  it.each([
    ['NaN in the proposer', { proposer: new Float32Array([Number.NaN, 1]) }, 'proposer probability of class 0 is NaN'],
    [
      'Infinity in the proposer',
      { proposer: new Float32Array([Number.POSITIVE_INFINITY, 0]) },
      'proposer probability of class 0 is Infinity',
    ],
    ['a negative probability', { proposer: new Float32Array([1.2, -0.2]) }, 'proposer probability of class 1 is -0.2'],
    ['a proposer not summing to 1', { proposer: new Float32Array([0.6, 0.6]) }, 'proposer probabilities sum to'],
    ['an empty proposer', { proposer: new Float32Array(0) }, 'proposer output is empty'],
    [
      'NaN in a critic',
      { critics: [new Float32Array([0.5, 0.5]), new Float32Array([0.5, Number.NaN])] },
      'critic 1 probability of class 1 is NaN',
    ],
    [
      '-Infinity in a critic',
      { critics: [new Float32Array([Number.NEGATIVE_INFINITY, 1])] },
      'critic 0 probability of class 0 is -Infinity',
    ],
    ['a critic not summing to 1', { critics: [new Float32Array([0.2, 0.2])] }, 'critic 0 probabilities sum to'],
    [
      'a critic of another width',
      { critics: [new Float32Array([0.2, 0.3, 0.5])] },
      'critic 0 output has 3 classes, expected 2',
    ],
    ['NaN dissonance', { dissonance: Number.NaN }, 'dissonance is NaN'],
    ['negative dissonance', { dissonance: -0.1 }, 'dissonance is -0.1'],
  ])('blocks %s with invalid-output', (_, overrides, message) => {
    const decision = gate.check(item({ itemId: 'x7', ...overrides }), 0);
    expect(decision.outcome).toBe('block');
    if (decision.outcome !== 'block') return;
    expect(decision.reason).toBe('invalid-output');
    expect(decision.message).toContain('"x7"');
    expect(decision.message).toContain(message);
  });

  it('respects the tolerance', () => {
    const off = item({ proposer: new Float32Array([0.505, 0.5]) });
    expect(gate.check(off, 0).outcome).toBe('block');
    expect(validateOutputGate({ tolerance: 0.01 }).check(off, 0).outcome).toBe('pass');
  });

  it('rejects a bad tolerance', () => {
    expect(thrown(() => validateOutputGate({ tolerance: -1 })).code).toBe('E_CONFIG');
    expect(thrown(() => validateOutputGate({ tolerance: Number.NaN })).code).toBe('E_CONFIG');
  });
});
