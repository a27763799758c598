import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/manual-clock.js';
import type { Gate, GateDecision } from '../../src/ports/gate.js';
import {
  budgetGate,
  goldenGuard,
  PASS,
  quarantineGate,
  runGates,
  validateOutputGate,
} from '../../src/reconcile/index.js';
import { item, policy } from './fixtures.js';

function fixed(name: string, decision: GateDecision, calls: string[]): Gate {
  return {
    name,
    check() {
      calls.push(name);
      return decision;
    },
  };
}

describe('runGates', () => {
  it('passes with gate "" when every gate passes, and when there are none', () => {
    const calls: string[] = [];
    const result = runGates([fixed('a', PASS, calls), fixed('b', PASS, calls)], item(), 0);
    expect(result).toEqual({ decision: { outcome: 'pass' }, gate: '' });
    expect(calls).toEqual(['a', 'b']);
    expect(runGates([], item(), 0)).toEqual({ decision: { outcome: 'pass' }, gate: '' });
  });

  it('stops at the first gate that does not pass', () => {
    const calls: string[] = [];
    const block: GateDecision = { outcome: 'block', reason: 'golden', message: 'm' };
    const defer: GateDecision = { outcome: 'defer', reason: 'over-budget', message: 'm', retryAt: 5 };
    const result = runGates([fixed('a', PASS, calls), fixed('b', block, calls), fixed('c', defer, calls)], item(), 0);
    expect(result).toEqual({ decision: block, gate: 'b' });
    expect(calls).toEqual(['a', 'b']);
    expect(runGates([fixed('c', defer, calls), fixed('b', block, calls)], item(), 0)).toEqual({
      decision: defer,
      gate: 'c',
    });
  });

  it('runs the standard chain in order and spends budget only on items that reach it', () => {
    const clock = new ManualClock();
    const getPolicy = () => policy({ dBudgetPerHour: 1 });
    const budget = budgetGate(getPolicy, clock);
    const gates = [
      validateOutputGate(),
      goldenGuard({ x: new Float32Array([1, 2, 3, 4]), rows: 1, labels: [0], ids: ['gold'] }, 4),
      quarantineGate(getPolicy),
      budget,
    ];
    expect(runGates(gates, item({ proposer: new Float32Array([2, -1]) }), 0).gate).toBe('validate');
    expect(runGates(gates, item({ itemId: 'gold', x: new Float32Array([0, 0, 0, 0]) }), 0).gate).toBe('golden-guard');
    expect(runGates(gates, item({ itemId: 'copy' }), 0).gate).toBe('golden-guard');
    expect(runGates(gates, item({ x: new Float32Array(4), dissonance: 0.9 }), 0).gate).toBe('quarantine');
    expect(budget.bucket.available(0)).toBe(1);
    expect(runGates(gates, item({ x: new Float32Array(4), dissonance: 0.3 }), 0).gate).toBe('');
    const last = runGates(gates, item({ x: new Float32Array(4), dissonance: 0.3 }), 0);
    expect(last.gate).toBe('budget');
    expect(last.decision.outcome).toBe('defer');
  });
});
