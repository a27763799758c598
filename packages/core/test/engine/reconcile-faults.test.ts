import { describe, expect, it } from 'vitest';
import {
  createEngine,
  FunctionModel,
  MemoryRegistry,
  MemoryStore,
  oracleLabels,
  type ErrorEvent,
  type LoadedModel,
} from '../../src/index.js';
import { ManualClock } from '../../src/clock/manual-clock.js';

const HOUR = 3_600_000;

/** A two-class model answering `p0` for class 0 on every row (or what `out` returns). */
function constant(name: string, p0: number, out?: (rows: number) => unknown): FunctionModel {
  return new FunctionModel({
    name,
    inputWidth: 1,
    classes: 2,
    run: (_x, rows) => {
      if (out !== undefined) return out(rows) as Float32Array;
      const o = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        o[2 * r] = p0;
        o[2 * r + 1] = 1 - p0;
      }
      return o;
    },
  });
}

const rows = (n: number, start = 0) => ({
  x: Float32Array.from({ length: n }, (_, i) => start + i),
  rows: n,
  ids: Array.from({ length: n }, (_, i) => `i${start + i}`),
});

/** accepted = processed + deferred + blocked + failed */
const balanced = (s: { accepted: number; processed: number; deferred: number; blocked: number; failed: number }) =>
  s.accepted === s.processed + s.deferred + s.blocked + s.failed;

describe('a batch whose reconcile fails (label source or store)', () => {
  it('is counted as failed, reported as an error event, and rejects with a typed error naming the cause', async () => {
    let mode: 'throw' | 'short' | 'range' | 'ok' = 'throw';
    const engine = createEngine({
      proposer: constant('p', 0.7),
      critics: [constant('q', 0.3)],
      labels: oracleLabels(async (requests) => {
        if (mode === 'throw') throw new Error('reviewer service down');
        if (mode === 'short') return requests.slice(1).map(() => 0);
        if (mode === 'range') return requests.map(() => 7);
        return requests.map(() => 0);
      }),
    });
    const errors: ErrorEvent[] = [];
    engine.on('error', (e) => errors.push(e));
    await expect(engine.process(rows(4))).rejects.toMatchObject({
      code: 'E_LABELS',
      message: expect.stringContaining('reviewer service down'),
    });
    mode = 'short';
    await expect(engine.process(rows(4, 4))).rejects.toMatchObject({ code: 'E_LABELS' });
    mode = 'range';
    await expect(engine.process(rows(4, 8))).rejects.toMatchObject({ code: 'E_LABELS' });
    expect(errors.map((e) => [e.stage, e.error.code, e.batchId])).toEqual([
      ['reconcile', 'E_LABELS', 'b1'],
      ['reconcile', 'E_LABELS', 'b2'],
      ['reconcile', 'E_LABELS', 'b3'],
    ]);
    expect((await engine.health()).loop.lastError).toMatch(/E_LABELS/);
    mode = 'ok';
    await engine.process(rows(4, 12));
    expect(await engine.store.countExamples()).toBe(4);
    const s = await engine.stop();
    expect(s).toMatchObject({ accepted: 16, failed: 12, processed: 4 });
    expect(balanced(s)).toBe(true);
  });

  it("keeps the store's own code when the store fails", async () => {
    const store = new MemoryStore();
    const engine = createEngine({
      proposer: constant('p', 0.7),
      critics: [constant('q', 0.3)],
      store,
      labels: oracleLabels(async (requests) => requests.map(() => 0)),
    });
    await engine.ready();
    const append = store.appendExamples.bind(store);
    store.appendExamples = async () => {
      const { DissonanceError } = await import('../../src/index.js');
      throw new DissonanceError('E_STORE', 'disk full');
    };
    await expect(engine.process(rows(3))).rejects.toMatchObject({ code: 'E_STORE' });
    store.appendExamples = append;
    const s = await engine.stop();
    expect(s).toMatchObject({ accepted: 3, failed: 3 });
    expect(balanced(s)).toBe(true);
  });
});

describe('a deferred retry whose reconcile fails', () => {
  it('puts its items back (still deferred), reports it, and stores them once the label source is back', async () => {
    const clock = new ManualClock(0);
    let down = false;
    const engine = createEngine({
      proposer: constant('p', 0.7),
      critics: [constant('q', 0.3)],
      clock,
      labels: oracleLabels(async (requests) => {
        if (down) throw new Error('reviewer service down');
        return requests.map(() => 0);
      }),
      policy: { dBudgetPerHour: 2 },
    });
    const errors: ErrorEvent[] = [];
    engine.on('error', (e) => errors.push(e));
    await engine.process(rows(5));
    expect(engine.counters).toMatchObject({ accepted: 5, processed: 2, deferred: 3 });
    down = true;
    clock.advance(HOUR);
    await engine.drained();
    expect(errors.map((e) => [e.stage, e.error.code])).toEqual([['deferred', 'E_LABELS']]);
    expect(engine.counters).toMatchObject({ processed: 2, deferred: 3 });
    down = false;
    // The budget lets 2 through an hour: two hours for the three.
    clock.advance(HOUR);
    await engine.drained();
    clock.advance(HOUR);
    await engine.drained();
    expect(engine.counters).toMatchObject({ processed: 5, deferred: 0 });
    expect(await engine.store.countExamples()).toBe(5);
    const s = await engine.stop();
    expect(balanced(s)).toBe(true);
  });
});

describe('models that break their contract, a dangling champion alias, retrainNow after stop', () => {
  it('a proposer answering the wrong length or not a Float32Array is E_MODEL naming it', async () => {
    let out: unknown = new Float32Array(3);
    // A model of the port itself (FunctionModel checks its own outputs).
    const proposer: LoadedModel = {
      name: 'p',
      version: '0',
      inputWidth: 1,
      classes: 2,
      run: async () => out as Float32Array,
    };
    const engine = createEngine({ proposer, critics: [constant('q', 0.3)] });
    await expect(engine.process(rows(2))).rejects.toMatchObject({
      code: 'E_MODEL',
      message: expect.stringMatching(/proposer p@.* returned 3 values, expected 4/),
    });
    out = new Float32Array(5);
    await expect(engine.process(rows(2))).rejects.toMatchObject({ code: 'E_MODEL' });
    out = [0.5, 0.5, 0.5, 0.5];
    await expect(engine.process(rows(2))).rejects.toMatchObject({
      code: 'E_MODEL',
      message: expect.stringContaining('something other than a Float32Array'),
    });
    const s = await engine.stop();
    expect(s).toMatchObject({ accepted: 6, failed: 6 });
  });

  it('a champion alias naming a missing version stops the start, registering nothing', async () => {
    const registry = new MemoryRegistry();
    const first = createEngine({
      modelName: 'm',
      proposer: constant('p', 0.7),
      critics: [constant('q', 0.3)],
      registry,
    });
    await first.ready();
    await first.stop();
    // Simulate an alias left pointing at a deleted version.
    const aliases = registry.aliases.bind(registry);
    const resolve = registry.resolve.bind(registry);
    registry.aliases = async (name) => ({ ...(await aliases(name)), champion: '9' });
    registry.resolve = async (name, alias) => {
      if (alias === 'champion') {
        const { DissonanceError } = await import('../../src/index.js');
        throw new DissonanceError('E_NOT_FOUND', `model ${name} has no version 9`);
      }
      return resolve(name, alias);
    };
    const second = createEngine({
      modelName: 'm',
      proposer: constant('p', 0.7),
      critics: [constant('q', 0.3)],
      registry,
    });
    await expect(second.ready()).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: expect.stringContaining('alias champion of m points at version 9'),
    });
    expect((await registry.list('m')).items.map((v) => v.version)).toEqual(['1']);
    await second.stop().catch(() => undefined);
  });

  it('retrainNow() after stop() is E_STOPPED', async () => {
    const engine = createEngine({ proposer: constant('p', 0.7), critics: [constant('q', 0.3)] });
    await engine.stop();
    await expect(engine.retrainNow()).rejects.toMatchObject({ code: 'E_STOPPED' });
  });
});

describe('default item ids', () => {
  it('differ between two engines on one store, so a restart does not overwrite stored examples', async () => {
    const store = new MemoryStore();
    const registry = new MemoryRegistry();
    const run = async (): Promise<readonly string[]> => {
      const engine = createEngine({
        proposer: constant('p', 0.7),
        critics: [constant('q', 0.3)],
        store,
        registry,
        labels: oracleLabels(async (requests) => requests.map(() => 0)),
      });
      const result = await engine.process({ x: Float32Array.of(1, 2, 3), rows: 3 });
      await engine.stop();
      return result.ids;
    };
    const first = await run();
    const second = await run();
    expect(first[0]).toMatch(/^[0-9a-z]{8}:b1:0$/);
    expect(second[0]).toMatch(/:b1:0$/);
    expect(second[0]).not.toBe(first[0]);
    expect(await store.countExamples()).toBe(6);
  });
});
