import {
  createEngine,
  MemoryRegistry,
  MemoryStore,
  type DissonanceError,
  type Engine,
  type ErrorEvent,
  type PromotedEvent,
  type Trainer,
} from '@dissonance/core';
import { createPrng, initMlp, MlpModel } from '@dissonance/core/mlp';
import { OnnxNodeRuntime } from '@dissonance/node';

export const WIDTH = 4;
export const CLASSES = 3;

/** `rows` points of three well-separated blobs in 4-D (class c around 2·e_c), and their labels. */
export function blobs(rows: number, seed: number): { x: Float32Array; labels: Int32Array } {
  const prng = createPrng(seed);
  const x = new Float32Array(rows * WIDTH);
  const labels = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    const c = i % CLASSES;
    labels[i] = c;
    for (let j = 0; j < WIDTH; j++) x[i * WIDTH + j] = (j === c ? 2 : 0) + 0.4 * (prng.next() * 2 - 1);
  }
  return { x, labels };
}

/** A random linear model (softmax of one dense layer): about a third right on the blobs. */
export function randomModel(name: string, seed: number): MlpModel {
  return new MlpModel(initMlp({ inputWidth: WIDTH, hidden: [], classes: CLASSES, seed }), { name, version: '0' });
}

export interface Loop {
  readonly engine: Engine;
  readonly store: MemoryStore;
  readonly registry: MemoryRegistry;
  readonly errors: DissonanceError[];
  readonly promoted: PromotedEvent[];
  /** Puts `rows` labelled blobs in the replay buffer (as feedback) without starting a retrain. */
  feed(rows: number): Promise<void>;
}

/** An engine with a weak champion, a golden set and the given trainer; retrains only when asked. */
export async function loop(trainer: Trainer): Promise<Loop> {
  const golden = blobs(150, 11);
  const reference = blobs(60, 12);
  const store = new MemoryStore();
  const registry = new MemoryRegistry();
  const engine = createEngine({
    modelName: 'blobs',
    proposer: randomModel('blobs', 1),
    critics: [randomModel('critic', 2)],
    trainer,
    runtime: new OnnxNodeRuntime({ executionProvider: 'cpu' }),
    registry,
    store,
    golden: { x: golden.x, rows: 150, labels: golden.labels },
    reference: { x: reference.x, rows: 60 },
    policy: { klEps: 50, dissonanceThreshold: 0, dBudgetPerHour: 1e6, maxDissonance: 1 },
    retrain: { everyExamples: 0, minExamples: 1 },
    rollout: { canaryFraction: 0 },
  });
  await engine.ready();
  const errors: DissonanceError[] = [];
  const promoted: PromotedEvent[] = [];
  engine.on('error', (event: ErrorEvent) => errors.push(event.error));
  engine.on('promoted', (event) => promoted.push(event));
  let fed = 0;
  return {
    engine,
    store,
    registry,
    errors,
    promoted,
    async feed(rows) {
      const data = blobs(rows, 13 + fed);
      const items = Array.from({ length: rows }, (_, i) => ({
        id: `item-${fed + i}`,
        features: [...data.x.subarray(i * WIDTH, (i + 1) * WIDTH)],
        label: data.labels[i]!,
      }));
      fed += rows;
      await engine.feedback(items, { who: 'tests', retrainEvery: 0 });
    },
  };
}
