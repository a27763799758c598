import { afterEach, describe, expect, it, vi } from 'vitest';
import { createEngine, MemoryStore, oracleLabels, type EngineConfig, type JsonValue } from '../../src/index.js';
import { ScannedCopies } from '../../src/simd/scanned-copies.js';
import { rejectionOf as rejection } from '../../src/testing/index.js';
import { blobs, GOOD_WEIGHTS, linearModel, slowModel, WEAK_WEIGHTS } from './fixtures.js';

// 300 rows × 2 features: 600 values, enough for the copy to take a region of the SIMD kernel's memory.
const ROWS = 300;

const config = (): EngineConfig => ({
  proposer: linearModel('p', GOOD_WEIGHTS),
  critics: [linearModel('q', WEAK_WEIGHTS)],
  maxBatchRows: ROWS,
});

/** What an engine that was given `x` untouched answers. */
async function expected(x: Float32Array): Promise<Float32Array> {
  const control = createEngine(config());
  const result = await control.process({ x, rows: ROWS });
  await control.stop();
  return result.probabilities;
}

/** A store that cannot be read: an engine on it never starts. */
class DownStore extends MemoryStore {
  override getValue(): Promise<JsonValue | undefined> {
    return Promise.reject(new Error('store is down'));
  }
}

describe('the caller may reuse its features buffer once process() returns control', () => {
  it('while the engine is still starting (process() before ready())', async () => {
    const { x } = blobs(3, ROWS);
    const original = x.slice();
    const engine = createEngine(config());
    const pending = engine.process({ x, rows: ROWS });
    // The caller fills its buffer with the next batch (here: values the engine would refuse) at once.
    x.fill(Number.NaN);
    const result = await pending;
    expect(result.probabilities).toEqual(await expected(original));
    await engine.stop();
  });

  it('and its ids array: labels, examples and the result keep the ids the batch was given', async () => {
    const engine = createEngine({ ...config(), labels: oracleLabels(async (requests) => requests.map(() => 0)) });
    await engine.ready();
    const { x } = blobs(7, ROWS);
    const ids = Array.from({ length: ROWS }, (_, r) => `item-${r}`);
    const given = [...ids];
    const pending = engine.process({ x, rows: ROWS, ids });
    ids.fill('reused');
    const result = await pending;
    expect(result.ids).toEqual(given);
    const stored = await engine.store.examples();
    expect(stored.map((e) => e.id).sort()).toEqual([...given].sort());
    await engine.stop();
  });

  it('while the batch waits for room in a full queue', async () => {
    const engine = createEngine({ ...config(), concurrency: 1, maxQueue: 1 });
    await engine.ready();
    const { x: first } = blobs(4, ROWS);
    const { x } = blobs(5, ROWS);
    const original = x.slice();
    // One batch runs, one waits in the queue, and the third waits for room in it.
    const earlier = [engine.process({ x: first, rows: ROWS }), engine.process({ x: first, rows: ROWS })];
    const waiting = engine.process({ x, rows: ROWS });
    x.fill(Number.NaN);
    await Promise.all(earlier);
    expect((await waiting).probabilities).toEqual(await expected(original));
    await engine.stop();
  });
});

describe('every copy of a batch the engine refuses goes back to its pool', () => {
  afterEach(() => vi.restoreAllMocks());

  /** Copies taken and not yet given back, by identity. */
  function trackCopies(): Set<Float32Array> {
    const held = new Set<Float32Array>();
    const copy = ScannedCopies.prototype.copy;
    const give = ScannedCopies.prototype.give;
    vi.spyOn(ScannedCopies.prototype, 'copy').mockImplementation(function (this: ScannedCopies, source) {
      const made = copy.call(this, source);
      held.add(made.copy);
      return made;
    });
    vi.spyOn(ScannedCopies.prototype, 'give').mockImplementation(function (this: ScannedCopies, made) {
      held.delete(made);
      give.call(this, made);
    });
    return held;
  }

  it('on E_OVERLOADED, E_INPUT for proposed outputs, E_STOPPED while waiting and a failed start', async () => {
    const held = trackCopies();
    const { x } = blobs(6, ROWS);

    const rejecting = createEngine({
      proposer: slowModel(20, 2),
      critics: [slowModel(20, 2)],
      concurrency: 1,
      maxQueue: 1,
      overload: 'reject',
      maxBatchRows: ROWS,
    });
    const accepted = [rejecting.process({ x, rows: ROWS }), rejecting.process({ x, rows: ROWS })];
    for (let i = 0; i < 6; i++) {
      expect((await rejection(rejecting.process({ x, rows: ROWS }))).code).toBe('E_OVERLOADED');
    }
    const badProposed = { probabilities: new Float32Array(3), version: 'external' };
    expect((await rejection(rejecting.process({ x, rows: ROWS }, { proposed: badProposed }))).code).toBe('E_INPUT');
    await Promise.all(accepted);
    await rejecting.stop();

    const waiting = createEngine({
      proposer: slowModel(20, 2),
      critics: [slowModel(20, 2)],
      concurrency: 1,
      maxQueue: 1,
      maxBatchRows: ROWS,
    });
    await waiting.ready();
    const earlier = [waiting.process({ x, rows: ROWS }), waiting.process({ x, rows: ROWS })];
    const forRoom = waiting.process({ x, rows: ROWS });
    const stopping = waiting.stop();
    expect((await rejection(forRoom)).code).toBe('E_STOPPED');
    await Promise.all(earlier);
    await stopping;

    const broken = createEngine({ ...config(), store: new DownStore() });
    await expect(broken.process({ x, rows: ROWS })).rejects.toThrow(/store is down/);

    expect(held.size).toBe(0);
  });
});
