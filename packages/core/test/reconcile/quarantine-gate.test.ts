import { describe, expect, it } from 'vitest';
import { quarantineGate } from '../../src/reconcile/index.js';
import type { Policy } from '../../src/schema/policy.js';
import { item, policy } from './fixtures.js';

describe('quarantineGate', () => {
  it('passes up to maxDissonance and blocks above it', () => {
    const gate = quarantineGate(() => policy({ maxDissonance: 0.5 }));
    expect(gate.name).toBe('quarantine');
    expect(gate.check(item({ dissonance: 0.5 }), 0)).toEqual({ outcome: 'pass' });
    const decision = gate.check(item({ itemId: 'hot', dissonance: 0.51 }), 0);
    expect(decision).toMatchObject({ outcome: 'block', reason: 'max-dissonance' });
    if (decision.outcome === 'block') expect(decision.message).toContain('0.51 > maxDissonance 0.5');
  });

  it('blocks NaN and Infinity dissonance', () => {
    const gate = quarantineGate(() => policy());
    expect(gate.check(item({ dissonance: Number.NaN }), 0).outcome).toBe('block');
    expect(gate.check(item({ dissonance: Number.POSITIVE_INFINITY }), 0).outcome).toBe('block');
  });

  it('reads the policy on every check', () => {
    let current: Policy = policy({ maxDissonance: 0.5 });
    const gate = quarantineGate(() => current);
    expect(gate.check(item({ dissonance: 0.6 }), 0).outcome).toBe('block');
    current = policy({ maxDissonance: 0.7 });
    expect(gate.check(item({ dissonance: 0.6 }), 0).outcome).toBe('pass');
  });
});
