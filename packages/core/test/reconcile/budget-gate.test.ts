import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { budgetGate } from '../../src/reconcile/index.js';
import type { Policy } from '../../src/schema/policy.js';
import { item, policy } from './fixtures.js';

describe('budgetGate', () => {
  it('lets 100 dissonant items through, defers the 101st until a token is back', () => {
    const clock = new ManualClock(1_000_000);
    const gate = budgetGate(() => policy({ dBudgetPerHour: 100, dissonanceThreshold: 0.12 }), clock);
    expect(gate.name).toBe('budget');
    for (let i = 0; i < 100; i++) {
      expect(gate.check(item({ itemId: `d${i}`, dissonance: 0.3 }), clock.now())).toEqual({ outcome: 'pass' });
    }
    const deferred = gate.check(item({ itemId: 'd100', dissonance: 0.3 }), clock.now());
    expect(deferred.outcome).toBe('defer');
    if (deferred.outcome !== 'defer') return;
    expect(deferred.reason).toBe('over-budget');
    expect(deferred.retryAt).toBeGreaterThan(clock.now());
    expect(deferred.retryAt).toBe(1_000_000 + 36_000);
    expect(deferred.message).toContain('"d100"');

    clock.advance(deferred.retryAt - clock.now());
    expect(gate.check(item({ itemId: 'd100', dissonance: 0.3 }), clock.now())).toEqual({ outcome: 'pass' });
  });

  it('never spends a token on an item below the threshold', () => {
    const clock = new ManualClock();
    const gate = budgetGate(() => policy({ dBudgetPerHour: 2, dissonanceThreshold: 0.12 }), clock);
    for (let i = 0; i < 1000; i++) {
      expect(gate.check(item({ dissonance: 0.119 }), 0).outcome).toBe('pass');
    }
    expect(gate.bucket.available(0)).toBe(2);
    // At the threshold an item counts as dissonant.
    expect(gate.check(item({ dissonance: 0.12 }), 0).outcome).toBe('pass');
    expect(gate.bucket.available(0)).toBe(1);
  });

  it('keeps deferring while the budget is spent, each time to a future retryAt', () => {
    const clock = new ManualClock();
    const gate = budgetGate(() => policy({ dBudgetPerHour: 1 }), clock);
    expect(gate.check(item({ dissonance: 0.4 }), 0).outcome).toBe('pass');
    const a = gate.check(item({ dissonance: 0.4 }), 0);
    const b = gate.check(item({ dissonance: 0.4 }), 10);
    expect(a).toMatchObject({ outcome: 'defer', retryAt: 3_600_000 });
    expect(b).toMatchObject({ outcome: 'defer', retryAt: 3_600_000 });
    // Low-dissonance items still pass while dissonant ones wait.
    expect(gate.check(item({ dissonance: 0.01 }), 20).outcome).toBe('pass');
  });

  it('picks up a new dBudgetPerHour from the policy getter', () => {
    const clock = new ManualClock();
    let current: Policy = policy({ dBudgetPerHour: 1 });
    const gate = budgetGate(() => current, clock);
    expect(gate.check(item({ dissonance: 0.4 }), 0).outcome).toBe('pass');
    expect(gate.check(item({ dissonance: 0.4 }), 0).outcome).toBe('defer');

    current = policy({ dBudgetPerHour: 3600 }); // one token a second
    const deferred = gate.check(item({ dissonance: 0.4 }), 0);
    expect(gate.bucket.perHour).toBe(3600);
    expect(deferred).toMatchObject({ outcome: 'defer', retryAt: 1000 });
    expect(gate.check(item({ dissonance: 0.4 }), 1000).outcome).toBe('pass');

    current = policy({ dBudgetPerHour: 7200, dissonanceThreshold: 0.5 });
    expect(gate.check(item({ dissonance: 0.4 }), 1000).outcome).toBe('pass'); // now below the threshold
    expect(gate.bucket.perHour).toBe(7200);
  });
});
