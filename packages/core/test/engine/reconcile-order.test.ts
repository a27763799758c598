import { describe, expect, it } from 'vitest';
import { createEngine, FunctionModel } from '../../src/index.js';

/** A two-class model whose run on a batch whose first value is `v` settles after `delay(v)` ms. */
function delayed(name: string, p0: number, delay: (v: number) => number): FunctionModel {
  return new FunctionModel({
    name,
    inputWidth: 1,
    classes: 2,
    run: async (x, rows) => {
      await new Promise((resolve) => setTimeout(resolve, delay(x[0]!)));
      if (x[0] === 9) throw new Error('model failed');
      const out = new Float32Array(rows * 2);
      for (let r = 0; r < rows; r++) {
        out[2 * r] = p0;
        out[2 * r + 1] = 1 - p0;
      }
      return out;
    },
  });
}

describe('reconcile order', () => {
  it('reconciles batches in the order they were accepted, whichever generate finishes first', async () => {
    // Batch b finishes generate after (6 − b) × 5 ms: the last accepted finishes first.
    const delay = (v: number): number => (6 - v) * 5;
    const engine = createEngine({
      proposer: delayed('p', 0.7, delay),
      critics: [delayed('q', 0.4, delay)],
      concurrency: 6,
    });
    const order: string[] = [];
    engine.on('proposed', (e) => order.push(e.batchId));
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, b) => engine.process({ x: Float32Array.of(b, b), rows: 2 })),
    );
    expect(results.map((r) => r.batchId)).toEqual(['b1', 'b2', 'b3', 'b4', 'b5', 'b6']);
    expect(order).toEqual(['b1', 'b2', 'b3', 'b4', 'b5', 'b6']);
    // Then one more on its own (nothing in flight), and a failing batch between two good ones.
    await engine.process({ x: Float32Array.of(5, 5), rows: 2 });
    expect(order.at(-1)).toBe('b7');
    const settled = await Promise.allSettled([
      engine.process({ x: Float32Array.of(1, 1), rows: 2 }),
      engine.process({ x: Float32Array.of(9, 9), rows: 2 }),
      engine.process({ x: Float32Array.of(4, 4), rows: 2 }),
    ]);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(order.slice(7)).toEqual(['b8', 'b10']);
    const s = await engine.stop();
    expect(s.accepted).toBe(20);
    expect(s.processed).toBe(18);
    expect(s.failed).toBe(2);
  });
});
