import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FunctionModel, type Clock, type LoadedModel, type TimerHandle } from '../../src/index.js';
import { ManualClock } from '../../src/clock/manual-clock.js';
import { MicroBatcher } from '../../src/runtime/index.js';
import { rejectionOf as rejection } from '../../src/testing/index.js';

/**
 * A 2-wide, 3-class model whose output row is `[a, b, a + b]` for input row `[a, b]`, so every caller can
 * check it got its own rows. Records the rows of each model call; throws on a row with a negative first value.
 */
function recordingModel(): { model: LoadedModel; calls: number[]; disposed: () => number } {
  const calls: number[] = [];
  let disposed = 0;
  const inner = new FunctionModel({
    name: 'rec',
    inputWidth: 2,
    classes: 3,
    run: (x, rows) => {
      calls.push(rows);
      const out = new Float32Array(rows * 3);
      for (let r = 0; r < rows; r++) {
        const a = x[2 * r]!;
        const b = x[2 * r + 1]!;
        if (a < 0) throw new Error(`negative feature in row ${r}`);
        out.set([a, b, a + b], 3 * r);
      }
      return out;
    },
  });
  const model: LoadedModel = Object.assign(inner, {
    dispose: async () => {
      disposed++;
    },
  });
  return { model, calls, disposed: () => disposed };
}

/** `rows` input rows `[start + r, 0.5]`. */
function rowsFrom(start: number, rows: number): Float32Array {
  const x = new Float32Array(rows * 2);
  for (let r = 0; r < rows; r++) x.set([start + r, 0.5], 2 * r);
  return x;
}

function expected(start: number, rows: number): number[] {
  return Array.from({ length: rows }, (_, r) => [start + r, 0.5, start + r + 0.5]).flat();
}

/**
 * A clock for the batcher that runs timers turn by turn: {@link TurnClock.turn} runs the timers due now that
 * were set before it (one macrotask turn: a 0 ms timer set during the turn waits for the next one).
 */
class TurnClock implements Pick<Clock, 'setTimeout' | 'clearTimeout'> {
  now = 0;
  #timers: { due: number; callback: () => void; live: boolean }[] = [];

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer = { due: this.now + ms, callback, live: true };
    this.#timers.push(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    (handle as { live: boolean }).live = false;
  }

  get live(): number {
    return this.#timers.filter((t) => t.live).length;
  }

  turn(): void {
    const due = this.#timers.filter((t) => t.live && t.due <= this.now);
    this.#timers = this.#timers.filter((t) => t.live && t.due > this.now);
    for (const t of due) {
      if (!t.live) continue;
      t.live = false;
      t.callback();
    }
  }

  advance(ms: number): void {
    this.now += ms;
    this.turn();
  }
}

describe('MicroBatcher', () => {
  it('coalesces concurrent single-row calls into far fewer model calls, each caller getting its row', async () => {
    const { model, calls } = recordingModel();
    const batcher = new MicroBatcher(model, { maxDelayMs: 2 });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => batcher.run(rowsFrom(i, 1), 1)));
    expect(calls).toEqual([200]);
    results.forEach((out, i) => expect([...out]).toEqual(expected(i, 1)));
    expect(batcher.stats).toMatchObject({ calls: 200, batches: 1, rows: 200, meanBatchRows: 200, isolations: 0 });
    expect(batcher.name).toBe('rec');
    expect(batcher.inputWidth).toBe(2);
    expect(batcher.classes).toBe(3);
  });

  it('never sends more than maxBatch rows and flushes as soon as a batch is full', async () => {
    const { model, calls } = recordingModel();
    const batcher = new MicroBatcher(model, { maxBatch: 8, maxDelayMs: 10_000, clock: new ManualClock() });
    // 3 + 3 fits; the third call of 3 would exceed 8, so the first two go; 4 × 2 = 8 rows flush at once.
    const pending = [batcher.run(rowsFrom(0, 3), 3), batcher.run(rowsFrom(3, 3), 3), batcher.run(rowsFrom(6, 3), 3)];
    pending.push(...[0, 1, 2, 3].map((i) => batcher.run(rowsFrom(9 + 2 * i, 2), 2)));
    // Manual clock never advanced: only size-triggered flushes ran. 3 + 2 + 2 = 7, then the next 2 overflow.
    await Promise.resolve();
    expect(calls).toEqual([6, 7]);
    expect(batcher.pendingRows).toBe(4);
    batcher.flush();
    const outs = await Promise.all(pending);
    expect(calls).toEqual([6, 7, 4]);
    expect([...outs[0]!]).toEqual(expected(0, 3));
    expect([...outs[2]!]).toEqual(expected(6, 3));
    expect([...outs[6]!]).toEqual(expected(15, 2));
    expect(Math.max(...calls)).toBeLessThanOrEqual(8);
  });

  it('runs a call larger than maxBatch alone, without disturbing pending calls', async () => {
    const { model, calls } = recordingModel();
    const batcher = new MicroBatcher(model, { maxBatch: 4, maxDelayMs: 1 });
    const small = batcher.run(rowsFrom(0, 1), 1);
    const big = batcher.run(rowsFrom(100, 10), 10);
    const [a, b] = await Promise.all([small, big]);
    expect(calls).toEqual([10, 1]);
    expect([...a]).toEqual(expected(0, 1));
    expect([...b]).toEqual(expected(100, 10));
    expect(batcher.stats.largestBatchRows).toBe(10);
  });

  it('adaptive: false flushes a partial batch after maxDelayMs', async () => {
    const { model, calls } = recordingModel();
    const clock = new ManualClock();
    const batcher = new MicroBatcher(model, { maxDelayMs: 5, adaptive: false, clock });
    let settled = false;
    const pending = batcher.run(rowsFrom(0, 2), 2).then((out) => {
      settled = true;
      return out;
    });
    void batcher.run(rowsFrom(2, 1), 1);
    clock.advance(4);
    await Promise.resolve();
    expect(calls).toEqual([]);
    expect(settled).toBe(false);
    clock.advance(1);
    expect([...(await pending)]).toEqual(expected(0, 2));
    expect(calls).toEqual([3]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('adaptive (default): a lone call goes on the next macrotask, not after maxDelayMs', async () => {
    const { model, calls } = recordingModel();
    const batcher = new MicroBatcher(model, { maxDelayMs: 60_000 });
    expect(batcher.adaptive).toBe(true);
    const lone = batcher.run(rowsFrom(0, 1), 1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(calls).toEqual([1]);
    expect([...(await lone)]).toEqual(expected(0, 1));
  });

  it('adaptive: waits while the queue grows from one macrotask to the next, flushes when it stops', async () => {
    const { model, calls } = recordingModel();
    const clock = new TurnClock();
    const batcher = new MicroBatcher(model, { maxDelayMs: 100, clock });
    const pending = [batcher.run(rowsFrom(0, 1), 1), batcher.run(rowsFrom(1, 1), 1)];
    // First look: a row joined since the look was scheduled (after the first call) → look again next turn.
    clock.turn();
    expect(calls).toEqual([]);
    pending.push(batcher.run(rowsFrom(2, 1), 1));
    clock.turn();
    expect(calls).toEqual([]);
    // Nothing joined since the last look: the batch goes, long before the 100 ms cap.
    clock.turn();
    expect(calls).toEqual([3]);
    const outs = await Promise.all(pending);
    outs.forEach((out, i) => expect([...out]).toEqual(expected(i, 1)));
    expect(clock.live).toBe(0);
  });

  it('adaptive: a queue that keeps growing is sent at the maxDelayMs cap', async () => {
    const { model, calls } = recordingModel();
    const clock = new TurnClock();
    const batcher = new MicroBatcher(model, { maxDelayMs: 3, clock });
    const pending = [batcher.run(rowsFrom(0, 1), 1), batcher.run(rowsFrom(1, 1), 1)];
    // A call joins between every two looks (one turn a millisecond), so the batch waits…
    for (let i = 2; i < 4; i++) {
      clock.advance(1);
      expect(calls).toEqual([]);
      pending.push(batcher.run(rowsFrom(i, 1), 1));
    }
    // …until the cap: 3 ms after its first call.
    clock.advance(1);
    expect(calls).toEqual([4]);
    pending.push(batcher.run(rowsFrom(4, 1), 1));
    clock.advance(0);
    expect(calls).toEqual([4, 1]);
    const outs = await Promise.all(pending);
    outs.forEach((out, i) => expect([...out]).toEqual(expected(i, 1)));
  });

  it('maxDelayMs 0 flushes on the next macrotask, joining every call made in the current task', async () => {
    const { model, calls } = recordingModel();
    const batcher = new MicroBatcher(model, { maxDelayMs: 0 });
    const first = batcher.run(rowsFrom(0, 1), 1);
    await Promise.resolve(); // a microtask later still joins
    const second = batcher.run(rowsFrom(1, 1), 1);
    await Promise.all([first, second]);
    expect(calls).toEqual([2]);
  });

  it('isolates a failing caller: the combined run is re-run caller by caller', async () => {
    const { model, calls } = recordingModel();
    const batcher = new MicroBatcher(model, { maxDelayMs: 1 });
    const good1 = batcher.run(rowsFrom(0, 2), 2);
    const bad = batcher.run(Float32Array.of(1, 1, -1, 1), 2);
    const good2 = batcher.run(rowsFrom(5, 1), 1);
    const settled = await Promise.allSettled([good1, bad, good2]);
    expect(settled[0]).toEqual({ status: 'fulfilled', value: Float32Array.from(expected(0, 2)) });
    expect(settled[1]).toMatchObject({ status: 'rejected', reason: { message: 'negative feature in row 1' } });
    expect(settled[2]).toEqual({ status: 'fulfilled', value: Float32Array.from(expected(5, 1)) });
    expect(calls).toEqual([5, 2, 2, 1]);
    expect(batcher.stats).toMatchObject({ batches: 1, isolations: 1, failedCalls: 1 });
  });

  it('rejects a call whose x is not rows × inputWidth with E_INPUT, for that caller only', async () => {
    const { model, calls } = recordingModel();
    const batcher = new MicroBatcher(model, { maxDelayMs: 1 });
    const good = batcher.run(rowsFrom(0, 1), 1);
    const error = await rejection(batcher.run(new Float32Array(3), 2));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toMatch(/x has 3 values, expected 2 rows × 2 = 4/);
    expect((await rejection(batcher.run(new Float32Array(2), 1.5))).code).toBe('E_INPUT');
    expect([...(await good)]).toEqual(expected(0, 1));
    expect(calls).toEqual([1]);
    expect(await batcher.run(new Float32Array(0), 0)).toHaveLength(0);
  });

  it('a model returning the wrong length fails its callers with E_MODEL', async () => {
    const broken: LoadedModel = {
      name: 'short',
      version: '1',
      inputWidth: 1,
      classes: 2,
      run: async () => new Float32Array(1),
    };
    const batcher = new MicroBatcher(broken, { maxDelayMs: 0 });
    const errors = await Promise.all([
      rejection(batcher.run(Float32Array.of(1), 1)),
      rejection(batcher.run(Float32Array.of(2), 1)),
    ]);
    expect(errors.map((e) => e.code)).toEqual(['E_MODEL', 'E_MODEL']);
    expect(errors[0]?.message).toMatch(/returned 1 values for 1 rows, expected 1 × 2/);
  });

  it('close() flushes pending work and refuses later calls; dispose() disposes the model once', async () => {
    const { model, calls, disposed } = recordingModel();
    const batcher = new MicroBatcher(model, { maxDelayMs: 60_000, clock: new ManualClock() });
    const pending = batcher.run(rowsFrom(0, 3), 3);
    await batcher.close();
    expect(calls).toEqual([3]);
    expect([...(await pending)]).toEqual(expected(0, 3));
    expect((await rejection(batcher.run(rowsFrom(0, 1), 1))).code).toBe('E_STOPPED');
    await batcher.dispose();
    await batcher.dispose();
    expect(disposed()).toBe(1);
  });

  it('rejects bad options with E_CONFIG', () => {
    const { model } = recordingModel();
    expect(() => new MicroBatcher(model, { maxBatch: 0 })).toThrow(/E_CONFIG.*maxBatch/);
    expect(() => new MicroBatcher(model, { maxDelayMs: -1 })).toThrow(/E_CONFIG.*maxDelayMs/);
  });

  it('every caller gets exactly its rows under random concurrency', async () => {
    const call = fc.record({
      rows: fc.integer({ min: 0, max: 6 }),
      wait: fc.constantFrom('none', 'microtask', 'timer'),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(call, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(0, 1, 2),
        async (plan, maxBatch, maxDelayMs) => {
          const { model, calls } = recordingModel();
          const batcher = new MicroBatcher(model, { maxBatch, maxDelayMs });
          const pending: { start: number; rows: number; out: Promise<Float32Array> }[] = [];
          let start = 0;
          for (const step of plan) {
            if (step.wait === 'microtask') await Promise.resolve();
            if (step.wait === 'timer') await new Promise((resolve) => setTimeout(resolve, 0));
            pending.push({ start, rows: step.rows, out: batcher.run(rowsFrom(start, step.rows), step.rows) });
            start += step.rows;
          }
          for (const p of pending) expect([...(await p.out)]).toEqual(expected(p.start, p.rows));
          const total = plan.reduce((sum, step) => sum + step.rows, 0);
          expect(calls.reduce((a, b) => a + b, 0)).toBe(total);
          // A batch above maxBatch is always one oversized call running alone.
          for (const rows of calls.filter((n) => n > maxBatch))
            expect(plan.some((step) => step.rows === rows)).toBe(true);
          expect(batcher.stats.rows).toBe(total);
          await batcher.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
