import type { Worker } from 'node:worker_threads';
import {
  createEngine,
  DissonanceError,
  MemoryStore,
  oracleLabels,
  proposerVsCritics,
  totalVariation,
  type EngineEvents,
  type TrainConstraints,
} from '@dissonance/core';
import { createMlpTrainer } from '@dissonance/core/mlp';
import { threadBudget, threadedTrainer } from '@dissonance/node';
import { afterEach, describe, expect, it } from 'vitest';
import { blobs32, CLASSES, examples, smallMlp, WIDTH } from './fixtures.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function constraints(seed: number): TrainConstraints {
  const reference = blobs32(99, 300);
  return {
    dTarget: 0.12,
    lambdaMax: 0.05,
    klEps: 0.02,
    critics: [smallMlp('critic-a', 2), smallMlp('critic-b', 3)],
    detector: proposerVsCritics(totalVariation),
    reference: { x: reference.x, rows: 300 },
    seed,
  };
}

const waitFor = async (condition: () => boolean, ms = 30_000): Promise<void> => {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
};

describe('threadedTrainer (worker_threads)', () => {
  it('fits on a worker thread the same candidate the in-thread trainer fits, bit for bit', async () => {
    const base = smallMlp('proposer', 1);
    const data = examples(5, 600);
    const options = { epochs: 4, hidden: [32] };
    const local = await createMlpTrainer(options).fit(base, data, constraints(7));
    const trainer = threadedTrainer(createMlpTrainer(options));
    closers.push(() => trainer.close());
    const threaded = await trainer.fit(base, data, constraints(7));
    expect(Buffer.from(threaded.artifact.bytes).equals(Buffer.from(local.artifact.bytes))).toBe(true);
    expect(threaded.report.loss).toEqual(local.report.loss);
    expect(threaded.report.kl).toBe(local.report.kl);
    expect(threaded.report.dissonance).toBe(local.report.dissonance);
    expect(threaded.model.inputWidth).toBe(WIDTH);
    const x = blobs32(8, 10).x;
    expect(await threaded.model.run(x, 10)).toEqual(await local.model.run(x, 10));
    // The examples it was given are untouched (their buffers were packed, then handed over).
    expect(data[0]!.x.length).toBe(WIDTH);
    expect(trainer.stats()).toMatchObject({ threads: 1, busy: 0, fits: 1, failures: 0 });
  }, 60_000);

  it('refuses a trainer that is not the built-in one', () => {
    expect(() => threadedTrainer({ name: 'custom', fit: async () => Promise.reject(new Error('x')) })).toThrow(
      /E_CONFIG/,
    );
  });

  it('a worker killed mid-fit: E_TRAINER with its cause, the engine keeps serving, nothing lost, a new worker retrains', async () => {
    const workers: Worker[] = [];
    const trainer = threadedTrainer({ epochs: 100_000, maxSeconds: 4 }, { onThread: (worker) => workers.push(worker) });
    closers.push(() => trainer.close());
    const store = new MemoryStore();
    const stream = blobs32(21, 2000);
    const golden = blobs32(22, 300);
    const engine = createEngine({
      modelName: 'crash',
      proposer: smallMlp('crash', 1),
      critics: [smallMlp('critic-a', 2)],
      labels: oracleLabels(async (requests) => requests.map((r) => stream.labels[Number(r.itemId.slice(2))]), {
        budget: 1e9,
        pace: 'greedy',
      }),
      trainer,
      store,
      golden: { x: golden.x, rows: 300, labels: golden.labels },
      policy: { dissonanceThreshold: 0, dBudgetPerHour: 1e9, maxDissonance: 1, maxGoldenDrop: 1, klEps: 10 },
      retrain: { everyExamples: 256, minExamples: 1 },
      rollout: { canaryFraction: 0 },
    });
    const errors: Parameters<EngineEvents['error']>[0][] = [];
    const retrained: string[] = [];
    engine.on('error', (event) => errors.push(event));
    engine.on('retrained', (event) => retrained.push(event.decision));
    await engine.ready();
    const batch = (i: number) => ({
      x: stream.x.slice(i * 64 * WIDTH, (i + 1) * 64 * WIDTH),
      rows: 64,
      ids: Array.from({ length: 64 }, (_, r) => `i-${i * 64 + r}`),
    });
    for (let i = 0; i < 4; i++) await engine.process(batch(i));
    await waitFor(() => trainer.stats().busy === 1 && workers.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const examplesBefore = await store.countExamples();
    await workers[0]!.terminate();
    await waitFor(() => errors.length === 1);
    expect(errors[0]!.stage).toBe('retrain');
    expect(errors[0]!.error.code).toBe('E_TRAINER');
    expect(errors[0]!.error.message).toMatch(
      /trainer thread died during the fit: the worker thread exited with code 1/,
    );
    expect(errors[0]!.error.cause).toBeInstanceOf(Error);
    expect(retrained).toEqual([]);
    // Still serving; the replay buffer lost nothing.
    for (let i = 4; i < 8; i++) await engine.process(batch(i));
    expect(await store.countExamples()).toBeGreaterThanOrEqual(examplesBefore);
    expect(await store.countExamples()).toBe(8 * 64);
    // The next retrain runs on a new thread.
    await engine.drained();
    await engine.retrainNow();
    expect(retrained.length).toBeGreaterThanOrEqual(1);
    expect(workers.length).toBe(2);
    expect(trainer.stats()).toMatchObject({ failures: 1, threads: 1 });
    const summary = await engine.stop();
    expect(summary.accepted).toBe(summary.processed + summary.blocked + summary.deferred + summary.failed);
  }, 120_000);

  it('a worker out of memory is E_TRAINER too, and a fit whose signal aborts terminates its thread', async () => {
    const crashing = threadedTrainer(
      { epochs: 5 },
      { resourceLimits: { maxOldGenerationSizeMb: 1, maxYoungGenerationSizeMb: 1 } },
    );
    closers.push(() => crashing.close());
    const failure = await crashing.fit(smallMlp('p', 1), examples(5, 20_000), constraints(1)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(DissonanceError);
    expect((failure as DissonanceError).code).toBe('E_TRAINER');
    expect(((failure as DissonanceError).cause as { code?: string }).code).toBe('ERR_WORKER_OUT_OF_MEMORY');
    expect(crashing.stats().failures).toBe(1);

    const slow = threadedTrainer({ epochs: 100_000, maxSeconds: 30 });
    closers.push(() => slow.close());
    const controller = new AbortController();
    const fit = slow.fit(smallMlp('p', 1), examples(5, 500), { ...constraints(1), signal: controller.signal });
    await waitFor(() => slow.stats().busy === 1);
    controller.abort(new Error('abandoned by the test'));
    const error = await fit.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as DissonanceError).code).toBe('E_TRAINER');
    expect((error as DissonanceError).details.cancelled).toBe(true);
    expect(slow.stats()).toMatchObject({ threads: 0, cancelled: 1 });
  }, 120_000);

  it('threadBudget gives serving the cores training does not take', () => {
    expect(threadBudget({ cores: 2 })).toEqual({
      cores: 2,
      trainerThreads: 1,
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
    expect(threadBudget({ cores: 8, trainerThreads: 2 }).intraOpNumThreads).toBe(6);
    expect(threadBudget({ cores: 1 }).intraOpNumThreads).toBe(1);
    expect(() => threadBudget({ trainerThreads: 0 })).toThrow(/E_CONFIG/);
    expect(CLASSES).toBe(4);
  });
});
