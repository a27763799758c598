import { describe, expect, it } from 'vitest';
import {
  createEngine,
  DissonanceError,
  MemoryRegistry,
  MemoryStore,
  oracleLabels,
  type Candidate,
  type EngineConfig,
  type ModelRuntime,
  type Trainer,
} from '../../src/index.js';
import { ManualClock } from '../../src/clock/manual-clock.js';
import {
  batches,
  blobs,
  GOOD_WEIGHTS,
  linearModel,
  linearTrainer,
  WEAK_WEIGHTS,
  type LinearWeights,
} from './fixtures.js';

const stream = blobs(11, 4000);
const golden = blobs(12, 200);

/** Every item labelled with its true class. */
function allLabelled() {
  const truth = new Map<string, number>();
  for (let i = 0; i < 4000; i++) truth.set(`item-${i}`, stream.labels[i]!);
  return oracleLabels(async (requests) => requests.map((r) => truth.get(r.itemId)), {
    budget: 1e9,
    pace: 'greedy',
    select: 'dissonance',
    controlFraction: 0,
  });
}

function config(trainer: Trainer, extra: Partial<EngineConfig> = {}): EngineConfig {
  return {
    modelName: 'blobs',
    proposer: linearModel('blobs', WEAK_WEIGHTS),
    critics: [linearModel('critic', GOOD_WEIGHTS)],
    labels: allLabelled(),
    trainer,
    golden: { x: golden.x, rows: 200, labels: golden.labels },
    policy: { klEps: 50, dissonanceThreshold: 0, dBudgetPerHour: 1e9, maxDissonance: 1, maxGoldenDrop: 1 },
    rollout: { canaryFraction: 0 },
    ...extra,
  };
}

/** A trainer whose fits wait until released (or aborted through their signal); counts fits started. */
function gatedTrainer() {
  const inner = linearTrainer({ epochs: 5 });
  const gates: Array<() => void> = [];
  const state = {
    started: 0,
    aborted: 0,
    releaseAll: false,
    release(): void {
      gates.shift()?.();
    },
  };
  const trainer: Trainer = {
    name: 'gated',
    async fit(base, examples, constraints): Promise<Candidate> {
      state.started++;
      if (!state.releaseAll) {
        await new Promise<void>((resolve, reject) => {
          gates.push(resolve);
          constraints.signal?.addEventListener('abort', () => {
            state.aborted++;
            reject(new DissonanceError('E_TRAINER', 'aborted'));
          });
        });
      }
      return inner.fit(base, examples, constraints);
    },
  };
  return { trainer, state };
}

/** Resolves after `ms` on the real event loop. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe('retrain scheduling', () => {
  it('a tight caller (awaiting process() in a loop) still sees background retrains complete', async () => {
    // Like the built-in trainer: the fit continues from setTimeout callbacks, which need the loop to turn.
    const inner = linearTrainer({ epochs: 5 });
    const trainer: Trainer = {
      name: 'timer-continued',
      async fit(base, examples, constraints) {
        for (let i = 0; i < 3; i++) await sleep(1);
        return inner.fit(base, examples, constraints);
      },
    };
    const engine = createEngine(config(trainer, { retrain: { everyExamples: 200 } }));
    let retrained = 0;
    engine.on('retrained', () => retrained++);
    await engine.ready();
    const source = [...batches(stream.x, 4000, 32)];
    const started = Date.now();
    // Synchronous models: without the engine letting the loop turn, no timer ever fires in this loop.
    for (let i = 0; retrained < 2 && Date.now() - started < 10_000; i++)
      await engine.process(source[i % source.length]!);
    expect(retrained).toBeGreaterThanOrEqual(2);
    await engine.stop();
  }, 30_000);

  it('coalesces triggers during a retrain into one follow-up', async () => {
    const { trainer, state } = gatedTrainer();
    const engine = createEngine(config(trainer, { retrain: { everyExamples: 32, minExamples: 1 } }));
    await engine.ready();
    const source = [...batches(stream.x, 640, 32)];
    await engine.process(source[0]!);
    expect(state.started).toBe(1);
    // Nineteen more batches, each over the trigger, while the first fit waits.
    for (const batch of source.slice(1)) await engine.process(batch);
    expect(state.started).toBe(1);
    state.releaseAll = true;
    state.release();
    await engine.drained();
    // The first fit and exactly one follow-up, not one per trigger.
    expect(state.started).toBe(2);
    expect(engine.counters.retrains).toBe(2);
    await engine.stop();
  });

  it('waits retrain.minIntervalMs after a retrain before the next one starts', async () => {
    const clock = new ManualClock(0);
    const { trainer, state } = gatedTrainer();
    state.releaseAll = true;
    const engine = createEngine(
      config(trainer, { clock, retrain: { everyExamples: 32, minExamples: 1, minIntervalMs: 60_000 } }),
    );
    await engine.ready();
    const source = [...batches(stream.x, 320, 32)];
    await engine.process(source[0]!);
    await engine.drained();
    expect(state.started).toBe(1);
    for (const batch of source.slice(1, 5)) await engine.process(batch);
    await engine.drained();
    expect(state.started).toBe(1);
    clock.advance(59_000);
    await engine.drained();
    expect(state.started).toBe(1);
    clock.advance(1_000);
    await sleep(5);
    await engine.drained();
    expect(state.started).toBe(2);
    await engine.stop();
  });

  it("stop({ retrain: 'abandon' }) cancels the running fit: nothing registered, no error, every example kept", async () => {
    const { trainer, state } = gatedTrainer();
    const registry = new MemoryRegistry();
    const store = new MemoryStore();
    const engine = createEngine(config(trainer, { registry, store, retrain: { everyExamples: 64, minExamples: 1 } }));
    const events: string[] = [];
    engine.on('retrained', () => events.push('retrained'));
    engine.on('error', (e) => events.push(`error ${e.error.message}`));
    await engine.ready();
    for (const batch of batches(stream.x, 128, 32)) await engine.process(batch);
    expect(state.started).toBe(1);
    const examples = await store.countExamples();
    const summary = await engine.stop({ retrain: 'abandon' });
    expect(state.aborted).toBe(1);
    expect(events).toEqual([]);
    expect(summary.retrains).toBe(0);
    expect((await registry.list('blobs')).items).toHaveLength(1);
    expect(await store.countExamples()).toBe(examples);
  });

  it("stop({ retrain: 'abandon' }) returns even when the trainer ignores the signal (its late candidate is dropped)", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let started = 0;
    const inner = linearTrainer({ epochs: 5 });
    const deaf: Trainer = {
      name: 'deaf',
      fit: async (base, examples, constraints) => {
        started++;
        await gate; // never looks at the signal
        return inner.fit(base, examples, constraints);
      },
    };
    const registry = new MemoryRegistry();
    const engine = createEngine(config(deaf, { registry, retrain: { everyExamples: 64, minExamples: 1 } }));
    await engine.ready();
    for (const batch of batches(stream.x, 128, 32)) await engine.process(batch);
    expect(started).toBe(1);
    const summary = await engine.stop({ retrain: 'abandon' });
    expect(summary.retrains).toBe(0);
    release();
    await sleep(10);
    expect((await registry.list('blobs')).items).toHaveLength(1);
  });

  it('stop() waits for the running fit by default and settles its candidate', async () => {
    const { trainer, state } = gatedTrainer();
    const engine = createEngine(config(trainer, { retrain: { everyExamples: 64, minExamples: 1 } }));
    const retrained: string[] = [];
    engine.on('retrained', (e) => retrained.push(e.decision));
    await engine.ready();
    for (const batch of batches(stream.x, 128, 32)) await engine.process(batch);
    let stopped = false;
    const stopping = engine.stop({ retrain: 'wait' }).then(() => (stopped = true));
    await sleep(20);
    expect(stopped).toBe(false);
    state.release();
    await stopping;
    expect(retrained).toHaveLength(1);
  });

  it('a manual rollback cancels the fit it supersedes and retrains from the restored champion', async () => {
    const { trainer, state } = gatedTrainer();
    const engine = createEngine(config(trainer, { retrain: { everyExamples: 64, minExamples: 1 } }));
    await engine.ready();
    const source = [...batches(stream.x, 640, 32)];
    for (const batch of source.slice(0, 2)) await engine.process(batch);
    state.release();
    await engine.drained();
    const first = engine.championVersion;
    for (const batch of source.slice(2, 4)) await engine.process(batch);
    expect(state.started).toBe(2);
    await engine.rollback({ reason: 'test' });
    expect(state.aborted).toBe(1);
    expect(engine.championVersion).not.toBe(first);
    state.releaseAll = true;
    state.release();
    await engine.drained();
    // The follow-up fit started from the rolled-back champion.
    expect(state.started).toBe(3);
    await engine.stop();
  });

  it('a champion moved by another process cancels the fit warm-started from the old one; the follow-up fits the new one', async () => {
    const { trainer, state } = gatedTrainer();
    const registry = new MemoryRegistry();
    const runtime: ModelRuntime = {
      name: 'linear',
      supports: (format) => format === 'linear-json',
      load: async (artifact, info) =>
        linearModel(info.name, JSON.parse(new TextDecoder().decode(artifact.bytes)) as LinearWeights, info.version),
    };
    const engine = createEngine(config(trainer, { registry, runtime, retrain: { everyExamples: 64, minExamples: 1 } }));
    await engine.ready();
    for (const batch of batches(stream.x, 128, 32)) await engine.process(batch);
    expect(state.started).toBe(1);
    // Another process registers and promotes a version.
    const moved = linearModel('blobs', GOOD_WEIGHTS, 'other');
    const version = await registry.register({ name: 'blobs', artifact: moved.artifact!, inputWidth: 2, classes: 3 });
    await registry.setAlias('blobs', 'champion', version.version);
    state.releaseAll = true;
    expect(await engine.refreshChampion()).toBe(true);
    expect(state.aborted).toBe(1);
    expect(engine.championVersion).toBe(version.version);
    await engine.drained();
    expect(state.started).toBe(2);
    expect(engine.counters.retrains).toBe(1);
    await engine.stop();
  });
});
