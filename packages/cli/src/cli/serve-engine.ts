import { join } from 'node:path';
import {
  createEngine,
  PoisoningGuard,
  type Engine,
  type KeyProvider,
  type SigningConfig,
  type TrustPolicy,
  type PoisoningGuardOptions,
  type PolicyPatch,
} from '@dissonance/core';
import { createMlpTrainer } from '@dissonance/core/mlp';
import { FileRegistry, FileStore, OnnxNodeRuntime, threadedTrainer } from '@dissonance/node';
import { DEFAULT_SETTINGS } from '../demo/loop-settings.js';
import { publishCritics } from './publish-critics.js';
import { buildServeModels, seedExamples, type ServeModels } from './serve-models.js';
import type { Dataset } from '@dissonance/core/mlp';

/** Options of {@link createServeEngine}. */
export interface ServeEngineOptions {
  readonly dataset: string;
  readonly data: Dataset;
  /** State directory: `registry/` and `store/` under it. */
  readonly dir: string;
  readonly seed?: number;
  /** Principals whose feedback the poisoning guard trusts. */
  readonly trusted?: readonly string[];
  /** Poisoning-guard settings (default: its defaults with `trusted`); `false` turns the guard off. */
  readonly guard?: Omit<PoisoningGuardOptions, 'trusted'> | false;
  /** Policy of the loop (default: the demo's). */
  readonly policy?: PolicyPatch;
  /** Artifacts the engine accepts from the registry (the engine's `trust`): refused versions are never loaded. */
  readonly trust?: TrustPolicy;
  /** Signs what the engine registers (champion, candidates) and the published critic. */
  readonly signing?: SigningConfig;
  /** Encryption at rest of the registry and the store. */
  readonly encryption?: KeyProvider;
}

/** An engine ready to serve, with the parts the HTTP handler needs. */
export interface ServeEngine {
  readonly engine: Engine;
  readonly models: ServeModels;
  readonly runtime: OnnxNodeRuntime;
  /** Undefined when the guard is off. */
  readonly guard: PoisoningGuard | undefined;
  /** Stops the engine and closes the store and registry. */
  close(): Promise<void>;
}

/**
 * Builds what `dissonance serve` serves: the demo's proposer (champion, registered in a file registry under
 * `dir` on first start) and critic for `data`, a file store whose replay buffer starts with the labelled seed
 * set, the built-in trainer wrapped by a {@link PoisoningGuard}, onnxruntime-node for candidates.
 */
export async function createServeEngine(options: ServeEngineOptions): Promise<ServeEngine> {
  const name = `${options.dataset}-proposer`;
  const seed = options.seed ?? 1;
  const models = buildServeModels(options.data, { name, seed });
  const runtime = new OnnxNodeRuntime();
  const encryption = options.encryption === undefined ? {} : { encryption: options.encryption };
  const registry = new FileRegistry({ root: join(options.dir, 'registry'), ...encryption });
  const store = await FileStore.open({ dir: join(options.dir, 'store'), ...encryption });
  if ((await store.countExamples()) === 0) await store.appendExamples(seedExamples(models.seedSet, models.width));
  const guard =
    options.guard === false ? undefined : new PoisoningGuard({ ...options.guard, trusted: options.trusted ?? [] });
  const settings = DEFAULT_SETTINGS;
  const proposer = await runtime.loadBytes(models.proposer, {
    name,
    version: 'seed-set',
    inputWidth: models.width,
    classes: models.classes,
  });
  // The built-in trainer on a worker thread (issue 21): retrains do not hold the thread that serves requests.
  const trainer = threadedTrainer(
    createMlpTrainer({
      hidden: settings.hidden,
      epochs: settings.retrainEpochs,
      batchSize: settings.retrainBatchSize,
      learningRate: 1e-3,
      warmStart: true,
    }),
    { runtime },
  );
  const engine = createEngine({
    modelName: name,
    proposer,
    critics: [models.critic],
    trainer: guard === undefined ? trainer : guard.wrapTrainer(trainer),
    runtime,
    registry,
    store,
    golden: models.golden,
    reference: { x: models.seedSet.x, rows: models.seedSet.rows },
    policy: options.policy ?? settings.policy,
    retrain: { everyExamples: 0, minExamples: 1, seed },
    rollout: { canaryFraction: 0 },
    ...(options.trust === undefined ? {} : { trust: options.trust }),
    ...(options.signing === undefined ? {} : { signing: options.signing }),
  });
  try {
    await engine.ready();
    await publishCritics(registry, [models.critic], options.signing);
  } catch (error) {
    await store.close();
    throw error;
  }
  return {
    engine,
    models,
    runtime,
    guard,
    async close() {
      await engine.stop();
      await store.close();
      await registry.close?.();
    },
  };
}
