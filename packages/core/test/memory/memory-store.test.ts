import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/memory/memory-store.js';
import type { TrainingExample } from '../../src/ports/batch.js';
import type { JsonValue } from '../../src/ports/store.js';
import { expectCode } from '../../src/testing/expect-code.js';

const example = (id: string, x: number[] = [1, 2]): TrainingExample => ({
  id,
  x: new Float32Array(x),
  target: { kind: 'hard', label: 0 },
  weight: 1,
  provenance: { itemId: id, origin: 'oracle', dissonance: 0.3, proposerVersion: '1', at: 0 },
});

describe('MemoryStore', () => {
  it('is not durable and defaults to a capacity of 10 000', () => {
    const store = new MemoryStore();
    expect(store.durable).toBe(false);
    expect(store.capacity).toBe(10_000);
    expect(() => new MemoryStore({ capacity: 0 })).toThrow(/E_CONFIG/);
  });

  it('rejects a bad example with E_INPUT naming it, and stores nothing of that call', async () => {
    const store = new MemoryStore();
    const cases: Array<[string, TrainingExample]> = [
      ['examples[1].x[1]', example('b', [1, Number.NaN])],
      ['examples[1].weight', { ...example('b'), weight: 0 }],
      ['examples[1].id', example('')],
      ['examples[1].target.label', { ...example('b'), target: { kind: 'hard', label: -1 } }],
      [
        'examples[1].provenance.origin',
        { ...example('b'), provenance: { ...example('b').provenance, origin: 'guess' as 'oracle' } },
      ],
    ];
    for (const [field, bad] of cases) {
      const error = await expectCode(store.appendExamples([example('a'), bad]), 'E_INPUT');
      expect(error.message).toContain(field);
    }
    expect(await store.countExamples()).toBe(0);
  });

  it('rejects values that are not JSON with E_INPUT', async () => {
    const store = new MemoryStore();
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    const bad: unknown[] = [
      Number.NaN,
      { a: undefined },
      [1, Number.POSITIVE_INFINITY],
      new Date(0),
      cyclic,
      { f: () => 1 },
    ];
    for (const value of bad) await expectCode(store.setValue('k', value as JsonValue), 'E_INPUT');
    expect(await store.getValue('k')).toBeUndefined();
    await expectCode(store.examples(-1), 'E_INPUT');
    await expectCode(store.appendAudit({ at: 1, who: '', action: 'x' }), 'E_INPUT');
  });

  it('rejects every call after close with E_STORE', async () => {
    const store = new MemoryStore();
    await store.close();
    await expectCode(store.countExamples(), 'E_STORE');
    await expectCode(store.setValue('k', 1), 'E_STORE');
  });
});
