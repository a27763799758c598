import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DedupStore } from '../ports/dedup-store.js';
import { expectCode } from './expect-code.js';

/** What a dedup-store contract factory returns. */
export interface DedupStoreFixture {
  readonly store: DedupStore;
  /** Moves the store's clock forward by `ms` (the factory gives the store a clock the suite controls). */
  readonly advance: (ms: number) => void;
  /**
   * For a durable store: closes it and opens it again on the same data, as a restarted worker would, and
   * returns the reopened store (the suite uses it from then on). Omitted by stores that keep nothing.
   */
  readonly reopen?: () => Promise<DedupStore>;
  /** Runs after each test (close the store, remove its files). */
  readonly cleanup?: () => Promise<void>;
}

/**
 * The {@link DedupStore} contract: every implementation (memory, file, …) runs it. `factory` is called before
 * each test with a fresh store whose clock starts at a fixed time and moves only through `advance`.
 */
export function dedupStoreContract(name: string, factory: () => Promise<DedupStoreFixture>): void {
  describe(`DedupStore contract: ${name}`, () => {
    let fixture: DedupStoreFixture;
    let store: DedupStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });

    afterEach(async () => {
      await fixture.cleanup?.();
    });

    it('has a name', () => {
      expect(typeof store.name).toBe('string');
      expect(store.name.length).toBeGreaterThan(0);
    });

    it('does not know an id it never marked; knows one it marked', async () => {
      expect(await store.has('first')).toBe(false);
      await store.mark('first', 60_000);
      expect(await store.has('first')).toBe(true);
      expect(await store.has('second')).toBe(false);
    });

    it('answers a duplicate mark by keeping the id known', async () => {
      await store.mark('dup', 60_000);
      await store.mark('dup', 60_000);
      expect(await store.has('dup')).toBe(true);
    });

    it('forgets a mark once its ttl has passed on the clock, and not before', async () => {
      await store.mark('short', 1_000);
      await store.mark('long', 10_000);
      fixture.advance(999);
      expect(await store.has('short')).toBe(true);
      fixture.advance(1);
      expect(await store.has('short')).toBe(false);
      expect(await store.has('long')).toBe(true);
      fixture.advance(9_000);
      expect(await store.has('long')).toBe(false);
    });

    it('extends a mark that is marked again', async () => {
      await store.mark('again', 1_000);
      fixture.advance(800);
      await store.mark('again', 1_000);
      fixture.advance(800);
      expect(await store.has('again')).toBe(true);
    });

    it('keeps every one of many concurrent marks', async () => {
      const ids = Array.from({ length: 50 }, (_, i) => `concurrent-${i}`);
      await Promise.all(ids.map((id) => store.mark(id, 60_000)));
      const known = await Promise.all(ids.map((id) => store.has(id)));
      expect(known.every(Boolean)).toBe(true);
    });

    it('refuses an empty id and a ttl that is not a positive finite number with E_INPUT', async () => {
      await expectCode(store.mark('', 1_000), 'E_INPUT');
      for (const ttl of [0, -1, Number.NaN, Number.POSITIVE_INFINITY])
        await expectCode(store.mark('ttl', ttl), 'E_INPUT');
      expect(await store.has('ttl')).toBe(false);
    });

    it('remembers unexpired marks across a restart (durable stores), and forgets expired ones', async (context) => {
      if (fixture.reopen === undefined) {
        context.skip();
        return;
      }
      await store.mark('kept', 10_000);
      await store.mark('expiring', 1_000);
      fixture.advance(2_000);
      store = await fixture.reopen();
      expect(await store.has('kept')).toBe(true);
      expect(await store.has('expiring')).toBe(false);
      expect(await store.has('never')).toBe(false);
      await store.mark('after', 1_000);
      expect(await store.has('after')).toBe(true);
    });
  });
}
