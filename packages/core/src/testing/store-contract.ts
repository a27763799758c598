import { afterEach, describe, expect, it } from 'vitest';
import type { TrainingExample } from '../ports/batch.js';
import type { AuditEntry, JsonValue, Store } from '../ports/store.js';
import { randomId } from '../util/ids.js';

/** What a store contract factory returns: a fresh, empty store. */
export interface StoreFixture {
  readonly store: Store;
  /**
   * Opens the same data again as a new store (after the suite closed `store`): given for durable stores,
   * whose data must survive it.
   */
  readonly reopen?: () => Promise<Store>;
  /** Runs after each test, once the suite has closed the stores it used. */
  readonly cleanup?: () => Promise<void>;
}

/**
 * The {@link Store} contract: every implementation (memory, file, IndexedDB, Redis…) runs it.
 * `factory` is called by each test with the replay-buffer capacity that test needs; it must return an empty
 * store of that capacity.
 */
export function storeContract(name: string, factory: (options: { capacity: number }) => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    const open: Store[] = [];
    const cleanups: Array<() => Promise<void>> = [];

    async function make(capacity = 100): Promise<StoreFixture> {
      const fixture = await factory({ capacity });
      open.push(fixture.store);
      if (fixture.cleanup !== undefined) cleanups.push(fixture.cleanup);
      return fixture;
    }

    afterEach(async () => {
      for (const store of open.splice(0)) await store.close?.();
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    it('appends and reads examples, keeping every float32 value and field', async () => {
      const { store } = await make();
      const hard = example('a', [Math.fround(0.1), -0, 1e-30, -3.4e38, 16_777_217]);
      const soft: TrainingExample = {
        ...example('b', [1, 2, 3, 4, 5]),
        target: { kind: 'soft', probs: new Float32Array([0.25, 0.75]) },
        provenance: {
          itemId: 'b',
          origin: 'pseudo',
          dissonance: 0.31,
          proposerVersion: '4',
          at: 1_700_000_000_123,
          traceId: 'ab'.repeat(16),
          spanId: 'cd'.repeat(8),
        },
      };
      await store.appendExamples([hard, soft]);
      expect(await store.countExamples()).toBe(2);
      const read = await store.examples();
      expect(read.map((e) => e.id)).toEqual(['a', 'b']);
      const [a, b] = read;
      expect(a?.x).toBeInstanceOf(Float32Array);
      expect(bits(a?.x)).toEqual(bits(hard.x));
      expect(a?.target).toEqual({ kind: 'hard', label: 1 });
      expect(a?.weight).toBe(0.5);
      expect(a?.provenance).toEqual(hard.provenance);
      expect(b?.target.kind).toBe('soft');
      expect(b?.target.kind === 'soft' ? [...b.target.probs] : []).toEqual([0.25, 0.75]);
      expect(b?.provenance).toEqual(soft.provenance);
    });

    it('reads the newest examples, oldest first', async () => {
      const { store } = await make();
      await store.appendExamples([example('1'), example('2')]);
      await store.appendExamples([example('3'), example('4')]);
      expect((await store.examples()).map((e) => e.id)).toEqual(['1', '2', '3', '4']);
      expect((await store.examples(2)).map((e) => e.id)).toEqual(['3', '4']);
      expect(await store.examples(0)).toEqual([]);
      await store.appendExamples([]);
      expect(await store.countExamples()).toBe(4);
    });

    it('evicts the oldest examples beyond capacity', async () => {
      const { store } = await make(3);
      await store.appendExamples([example('1'), example('2')]);
      await store.appendExamples([example('3'), example('4'), example('5')]);
      expect(await store.countExamples()).toBe(3);
      expect((await store.examples()).map((e) => e.id)).toEqual(['3', '4', '5']);
    });

    it('replaces an example with the same id, making it the newest', async () => {
      const { store } = await make(3);
      await store.appendExamples([example('a', [1]), example('b', [2]), example('c', [3])]);
      await store.appendExamples([example('a', [9])]);
      expect(await store.countExamples()).toBe(3);
      const read = await store.examples();
      expect(read.map((e) => e.id)).toEqual(['b', 'c', 'a']);
      expect([...(read[2]?.x ?? [])]).toEqual([9]);
    });

    it('gets, sets, overwrites and deletes values', async () => {
      const { store } = await make();
      const key = `k-${randomId()}`;
      expect(await store.getValue(key)).toBeUndefined();
      const value: JsonValue = { policy: { dTarget: 0.12, gates: ['validate', 'budget'] }, on: true, none: null };
      await store.setValue(key, value);
      expect(await store.getValue(key)).toEqual(value);
      await store.setValue(key, 42);
      expect(await store.getValue(key)).toBe(42);
      await store.deleteValue(key);
      expect(await store.getValue(key)).toBeUndefined();
      await store.deleteValue(key);
    });

    it('keeps the audit log in append order', async () => {
      const { store } = await make();
      const entries: AuditEntry[] = [
        { at: 1, who: 'system', action: 'model.promote', before: '1', after: '2', reason: 'golden +2.1 points' },
        { at: 2, who: 'alice', action: 'policy.update', before: { dTarget: 0.12 }, after: { dTarget: 0.1 } },
        { at: 3, who: 'system', action: 'model.rollback' },
      ];
      for (const entry of entries) await store.appendAudit(entry);
      expect(await store.audit()).toEqual(entries);
    });

    it('shares no state with callers: inputs and outputs are copies', async () => {
      const { store } = await make();
      const input = example('a', [1, 2, 3]);
      await store.appendExamples([input]);
      input.x.fill(0);
      const first = await store.examples();
      expect([...(first[0]?.x ?? [])]).toEqual([1, 2, 3]);
      first[0]?.x.fill(5);
      tryMutate(() => first.pop());
      expect([...((await store.examples())[0]?.x ?? [])]).toEqual([1, 2, 3]);

      const value = { list: [1, 2], nested: { n: 1 } };
      await store.setValue('v', value);
      value.list.push(3);
      value.nested.n = 2;
      const read = await store.getValue('v');
      expect(read).toEqual({ list: [1, 2], nested: { n: 1 } });
      tryMutate(() => ((read as { nested: { n: number } }).nested.n = 3));
      expect(await store.getValue('v')).toEqual({ list: [1, 2], nested: { n: 1 } });

      const after = { version: '2' };
      await store.appendAudit({ at: 1, who: 'system', action: 'model.promote', after });
      after.version = '3';
      const log = await store.audit();
      tryMutate(() => log.push({ at: 2, who: 'mallory', action: 'forged' }));
      tryMutate(() => ((log[0]?.after as { version: string }).version = '4'));
      expect(await store.audit()).toEqual([{ at: 1, who: 'system', action: 'model.promote', after: { version: '2' } }]);
    });

    it('keeps examples, values and audit across a reopen when durable', async (context) => {
      const fixture = await make(10);
      const reopen = fixture.reopen;
      if (reopen === undefined) {
        expect(fixture.store.durable).toBe(false);
        context.skip();
        return;
      }
      expect(fixture.store.durable).toBe(true);
      const { store } = fixture;
      await store.appendExamples([example('a', [1.5]), example('b', [2.5])]);
      await store.setValue('policy', { dTarget: 0.1 });
      await store.appendAudit({ at: 1, who: 'system', action: 'policy.update' });
      await store.close?.();
      open.splice(open.indexOf(store), 1);
      const again = await reopen();
      open.push(again);
      expect((await again.examples()).map((e) => [e.id, ...e.x])).toEqual([
        ['a', 1.5],
        ['b', 2.5],
      ]);
      expect(await again.getValue('policy')).toEqual({ dTarget: 0.1 });
      expect(await again.audit()).toEqual([{ at: 1, who: 'system', action: 'policy.update' }]);
    });
  });
}

function example(id: string, x: readonly number[] = [0.5, 1.5]): TrainingExample {
  return {
    id,
    x: new Float32Array(x),
    target: { kind: 'hard', label: 1 },
    weight: 0.5,
    provenance: { itemId: id, origin: 'oracle', dissonance: 0.2, proposerVersion: '3', at: 1_700_000_000_000 },
  };
}

/** The raw bits of float32 values, so `-0` and exact values compare exactly. */
function bits(x: Float32Array | undefined): number[] {
  return x === undefined ? [] : [...new Uint32Array(x.slice().buffer)];
}

/** Mutates returned data; a store may hand out frozen data instead of copies, which is just as safe. */
function tryMutate(mutate: () => unknown): void {
  try {
    mutate();
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
  }
}
