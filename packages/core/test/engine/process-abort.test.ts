import { describe, expect, it } from 'vitest';
import { createEngine, FunctionModel } from '../../src/index.js';

/** A two-class model that takes `ms` per batch. */
function slow(name: string, ms: number): FunctionModel {
  return new FunctionModel({
    name,
    inputWidth: 1,
    classes: 2,
    run: async (_x, rows) => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return new Float32Array(rows * 2).fill(0.5);
    },
  });
}

const batch = (v: number) => ({ x: Float32Array.of(v), rows: 1 });

describe('engine.process with a signal', () => {
  it('gives up while it waits for room (E_ABORTED, nothing accepted); an accepted batch always runs', async () => {
    const engine = createEngine({
      proposer: slow('p', 60),
      critics: [slow('q', 60)],
      concurrency: 1,
      maxQueue: 1,
      overload: 'wait',
    });
    await engine.ready();
    const running = engine.process(batch(1)); // runs
    const queued = engine.process(batch(2)); // waits in the queue (accepted)
    const controller = new AbortController();
    const waiting = engine.process(batch(3), { signal: controller.signal }); // waits for room
    setTimeout(() => controller.abort(new Error('client gone')), 20);
    await expect(waiting).rejects.toMatchObject({
      code: 'E_ABORTED',
      details: { reason: 'client gone' },
    });
    // Aborted before the call: refused at once.
    await expect(engine.process(batch(4), { signal: AbortSignal.abort('late') })).rejects.toMatchObject({
      code: 'E_ABORTED',
    });
    await Promise.all([running, queued]);
    // Aborted once accepted (a batch that finds room is accepted in the caller's turn): runs to the end.
    const late = new AbortController();
    const accepted = engine.process(batch(5), { signal: late.signal });
    late.abort();
    expect((await accepted).outcome.unlabelled).toBe(1);
    const s = await engine.stop();
    expect(s.accepted).toBe(3);
    expect(s.processed).toBe(3);
    expect(s.failed).toBe(0);
  });
});
