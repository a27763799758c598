import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { createEngine, MemoryStore, PoisoningGuard, QUARANTINE_KEY, quarantinedFeedback } from '../../src/index.js';
import { GOOD_WEIGHTS, linearModel, linearTrainer } from './fixtures.js';

async function setup(options: { trainer?: boolean } = {}) {
  const clock = new ManualClock(5_000);
  const store = new MemoryStore();
  const engine = createEngine({
    proposer: linearModel('p', GOOD_WEIGHTS),
    critics: [linearModel('c', GOOD_WEIGHTS)],
    store,
    clock,
    ...(options.trainer === true ? { trainer: linearTrainer(), retrain: { everyExamples: 0, minExamples: 1 } } : {}),
  });
  await engine.ready();
  return { engine, store, clock };
}

describe('engine.feedback', () => {
  it('stores new items as feedback examples stamped with the engine clock, once per who and id', async () => {
    const { engine, store } = await setup();
    const items = [
      { id: 'a', features: [1, 2], label: 1 },
      { id: 'b', features: [0, 1], label: 0 },
      { id: 'a', features: [1, 2], label: 1 },
    ];
    expect(await engine.feedback(items, { who: 'alice', retrainEvery: 0 })).toEqual({
      accepted: 2,
      duplicates: 1,
      quarantined: 0,
    });
    expect(await engine.feedback(items, { who: 'alice', retrainEvery: 0 })).toEqual({
      accepted: 0,
      duplicates: 3,
      quarantined: 0,
    });
    // Another principal's ids are its own.
    expect(await engine.feedback(items.slice(0, 1), { who: 'bob', retrainEvery: 0 })).toEqual({
      accepted: 1,
      duplicates: 0,
      quarantined: 0,
    });
    const examples = await store.examples(10);
    expect(examples).toHaveLength(3);
    for (const example of examples) {
      expect(example.provenance).toMatchObject({
        origin: 'feedback',
        at: 5_000,
        proposerVersion: engine.championVersion,
      });
    }
    await engine.stop();
  });

  it('checks every item first: E_INPUT names the item and nothing is stored', async () => {
    const { engine, store } = await setup();
    const bad = [
      [{ id: 'x', features: [1], label: 0 }],
      [{ id: 'x', features: [1, Number.NaN], label: 0 }],
      [{ id: 'x', features: [1, 2], label: 3 }],
      [{ id: 'x', features: [1, 2], label: 1.5 }],
      [{ id: '', features: [1, 2], label: 1 }],
    ];
    for (const items of bad)
      await expect(engine.feedback(items, { who: 'alice' })).rejects.toMatchObject({
        code: 'E_INPUT',
        message: expect.stringMatching(/items\.0\./),
      });
    expect(await store.countExamples()).toBe(0);
    await engine.stop();
  });

  it('with a guard: the rate limit is E_RATE_LIMITED with when to retry; contradicted labels are quarantined for untrusted principals', async () => {
    const { engine, store } = await setup();
    const guard = new PoisoningGuard({ trusted: ['operator'], untrustedItemsPerHour: 2 });
    // Both models give class 0 ≈ 1 at (0, 5): label 1 is contradicted.
    const contradicted = { id: 'c', features: [0, 5], label: 1 };
    expect(await engine.feedback([contradicted], { who: 'mallory', guard })).toEqual({
      accepted: 0,
      duplicates: 0,
      quarantined: 1,
    });
    expect(await engine.feedback([contradicted], { who: 'operator', guard })).toEqual({
      accepted: 1,
      duplicates: 0,
      quarantined: 0,
    });
    const held = await quarantinedFeedback(store);
    expect(held).toEqual([expect.objectContaining({ id: 'c', principal: 'mallory', label: 1, at: 5_000 })]);
    expect(await store.getValue(QUARANTINE_KEY)).toHaveLength(1);
    await engine.feedback([{ id: 'd', features: [0, 5], label: 0 }], { who: 'mallory', guard });
    await expect(
      engine.feedback([{ id: 'e', features: [0, 5], label: 0 }], { who: 'mallory', guard }),
    ).rejects.toMatchObject({
      code: 'E_RATE_LIMITED',
      details: { principal: 'mallory', retryAfterMs: expect.any(Number) },
    });
    // More new items than the bucket ever holds: no wait lets them through, so it is bad input, not a rate.
    const three = [0, 1, 2].map((i) => ({ id: `big${i}`, features: [0, 5], label: 0 }));
    await expect(engine.feedback(three, { who: 'trudy', guard })).rejects.toMatchObject({
      code: 'E_INPUT',
      message: expect.stringContaining('send at most 2 per call'),
      details: { principal: 'trudy', items: 3, capacity: 2 },
    });
    expect(guard.capacity('trudy')).toBe(2);
    expect(new PoisoningGuard({ untrustedItemsPerHour: 2.5 }).capacity('anyone')).toBe(2);
    expect(guard.capacity('operator')).toBe(Number.POSITIVE_INFINITY);
    await engine.stop();
  });

  it('every retrainEvery accepted items start a retrain; settled() waits for it', async () => {
    const { engine } = await setup({ trainer: true });
    const item = (i: number) => ({ id: `i${i}`, features: [i % 2, (i + 1) % 3], label: i % 3 });
    await engine.feedback([item(0)], { who: 'alice', retrainEvery: 2 });
    await engine.settled();
    expect(engine.counters.retrains).toBe(0);
    await engine.feedback([item(1)], { who: 'alice', retrainEvery: 2 });
    await engine.settled();
    expect(engine.counters.retrains).toBe(1);
    await engine.stop();
  });

  it('is refused once the engine stops', async () => {
    const { engine } = await setup();
    await engine.stop();
    await expect(engine.feedback([{ id: 'a', features: [1, 2], label: 1 }], { who: 'alice' })).rejects.toMatchObject({
      code: 'E_STOPPED',
    });
  });
});
