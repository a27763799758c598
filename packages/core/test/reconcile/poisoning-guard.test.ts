import { describe, expect, it } from 'vitest';
import { PoisoningGuard, type TrainingExample, type Trainer } from '../../src/index.js';
import { ManualClock } from '../../src/clock/manual-clock.js';

function example(id: string, origin: TrainingExample['provenance']['origin'] = 'feedback'): TrainingExample {
  return {
    id,
    x: new Float32Array([0]),
    target: { kind: 'hard', label: 0 },
    weight: 1,
    provenance: { itemId: id, origin, dissonance: 0, proposerVersion: '1', at: 0 },
  };
}

const probs = (...p: number[]): Float32Array => Float32Array.from(p);

describe('PoisoningGuard', () => {
  it('quarantines a label whose features make a model answer NaN or ±Infinity, trusted or not', () => {
    const guard = new PoisoningGuard({ trusted: ['ops'] });
    const finite = Float32Array.of(0.5, 0.5);
    for (const principal of ['eve', 'ops']) {
      const verdict = guard.judge(principal, 0, {
        proposer: finite,
        critics: [Float32Array.of(Number.NaN, Number.NaN)],
      });
      expect(verdict).toEqual({
        decision: 'quarantine',
        reason: 'non-finite-output: the critic 0 answers NaN on these features',
      });
    }
    expect(guard.judge('eve', 0, { proposer: Float32Array.of(Infinity, 0), critics: [] }).decision).toBe('quarantine');
    expect(guard.judge('eve', 0, { proposer: finite, critics: [finite] })).toEqual({ decision: 'accept' });
  });

  it('marks untrusted feedback by id and recognises it', () => {
    const guard = new PoisoningGuard({ trusted: ['ops'] });
    const untrusted = example(guard.exampleId('browser', 'i1'));
    const trusted = example(guard.exampleId('ops', 'i1'));
    expect(untrusted.id).not.toBe(trusted.id);
    expect(guard.isUntrusted(untrusted)).toBe(true);
    expect(guard.isUntrusted(trusted)).toBe(false);
    expect(guard.isUntrusted(example(untrusted.id, 'oracle'))).toBe(false);
  });

  it('caps untrusted feedback at the share of a retrain, keeping the newest and every other example', () => {
    const guard = new PoisoningGuard({ maxUntrustedShare: 0.25 });
    const others = Array.from({ length: 30 }, (_, i) => example(`seed-${i}`, 'oracle'));
    const untrusted = Array.from({ length: 50 }, (_, i) => example(guard.exampleId('u', `f${i}`)));
    const selected = guard.select([...others, ...untrusted]);
    const kept = selected.filter((e) => guard.isUntrusted(e));
    expect(selected.length - kept.length).toBe(30);
    expect(kept.length).toBe(10);
    expect(kept.length / selected.length).toBeLessThanOrEqual(0.25);
    expect(kept.map((e) => e.id)).toEqual(untrusted.slice(-10).map((e) => e.id));
  });

  it('with no other examples, untrusted feedback alone trains nothing unless the share is 1', () => {
    const untrusted = (g: PoisoningGuard): TrainingExample[] => [
      example(g.exampleId('u', 'a')),
      example(g.exampleId('u', 'b')),
    ];
    const capped = new PoisoningGuard({ maxUntrustedShare: 0.5 });
    expect(capped.select(untrusted(capped))).toEqual([]);
    const open = new PoisoningGuard({ maxUntrustedShare: 1 });
    expect(open.select(untrusted(open))).toHaveLength(2);
  });

  it('wrapTrainer fits on the selected examples only', async () => {
    const guard = new PoisoningGuard({ maxUntrustedShare: 0.5 });
    let seen: readonly TrainingExample[] = [];
    const inner: Trainer = {
      name: 'spy',
      fit: async (_base, examples) => {
        seen = examples;
        throw new Error('stop');
      },
    };
    const examples = [example('s', 'oracle'), example(guard.exampleId('u', 'a')), example(guard.exampleId('u', 'b'))];
    await expect(guard.wrapTrainer(inner).fit({} as never, examples, {} as never)).rejects.toThrow('stop');
    expect(seen.map((e) => e.id)).toEqual(['s', examples[2]!.id]);
  });

  it('quarantines a label that the proposer and every critic contradict with confidence', () => {
    const guard = new PoisoningGuard({ contradictionConfidence: 0.9, trusted: ['ops'] });
    const confident = { proposer: probs(0.02, 0.95, 0.03), critics: [probs(0.01, 0.97, 0.02)] };
    expect(guard.judge('u', 0, confident)).toMatchObject({ decision: 'quarantine' });
    expect(guard.judge('u', 1, confident)).toEqual({ decision: 'accept' });
    expect(guard.judge('ops', 0, confident)).toEqual({ decision: 'accept' });
    const criticUnsure = { proposer: probs(0.02, 0.95, 0.03), critics: [probs(0.4, 0.5, 0.1)] };
    expect(guard.judge('u', 0, criticUnsure)).toEqual({ decision: 'accept' });
    const proposerUnsure = { proposer: probs(0.3, 0.6, 0.1), critics: [probs(0.01, 0.97, 0.02)] };
    expect(guard.judge('u', 0, proposerUnsure)).toEqual({ decision: 'accept' });
    expect(guard.judge('u', 0, undefined)).toEqual({ decision: 'accept' });
  });

  it('rate-limits feedback items per principal with a refilling bucket', () => {
    const clock = new ManualClock(0);
    const guard = new PoisoningGuard({ untrustedItemsPerHour: 10, trusted: ['ops'], clock });
    expect(guard.take('u', 8)).toBe(0);
    const wait = guard.take('u', 4);
    expect(wait).toBe(Math.ceil((2 * 3_600_000) / 10));
    expect(guard.take('other', 10)).toBe(0);
    expect(guard.take('ops', 1_000_000)).toBe(0);
    expect(guard.take('u', 11)).toBe(Number.POSITIVE_INFINITY);
    clock.advance(wait);
    expect(guard.take('u', 4)).toBe(0);
  });

  it('refuses options out of range', () => {
    expect(() => new PoisoningGuard({ maxUntrustedShare: 1.5 })).toThrow(/maxUntrustedShare/);
    expect(() => new PoisoningGuard({ contradictionConfidence: 0.4 })).toThrow(/contradictionConfidence/);
    expect(() => new PoisoningGuard({ untrustedItemsPerHour: 0 })).toThrow(/untrustedItemsPerHour/);
  });
});
