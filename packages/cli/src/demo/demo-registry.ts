import { join } from 'node:path';
import { DissonanceError, MemoryRegistry, type Engine, type ModelRegistry, type Scalar } from '@dissonance/core';
import { FileRegistry } from '@dissonance/node';
import {
  DEFAULT_MLFLOW_EXPERIMENT,
  DEFAULT_MLFLOW_MODEL_PREFIX,
  loadMlflowAdapter,
  type RegistryChoice,
} from '../registry-factory/index.js';
import { enableTraceIds } from './trace-ids.js';

/** Which seed × strategy run a registry is opened for. */
export interface DemoRunIdentity {
  readonly dataset: string;
  readonly strategy: string;
  readonly seed: number;
  /** Directory of the file registry; in memory when absent. */
  readonly dir?: string;
  /** Recorded as params of the run's MLflow parent run. */
  readonly params?: Readonly<Record<string, Scalar>>;
}

/** Read at every retrain by the MLflow recorder. */
export interface DemoRunProbes {
  readonly critics: () => readonly { readonly name: string; readonly version: string }[];
  readonly stepMetrics: () => Readonly<Record<string, number>>;
}

/** A registry opened for one seed × strategy run. */
export interface DemoRegistry {
  readonly registry: ModelRegistry & { close?: () => void | Promise<void> };
  /** The engine's model name in that registry. */
  readonly modelName: string;
  /** Starts recording the engine's retrains (after `engine.ready()`); the function it resolves to ends the record. */
  readonly track: (
    engine: Pick<Engine, 'on' | 'off' | 'championVersion'>,
    probes: DemoRunProbes,
  ) => Promise<(ok: boolean) => Promise<void>>;
}

/** Name of one seed × strategy run's model in a shared registry: prefix + data set + strategy + seed. */
export function demoModelName(prefix: string, dataset: string, strategy: string, seed: number): string {
  const name = `${prefix}${dataset}-${strategy}-seed${seed}`;
  if (!/^[A-Za-z0-9._-]{1,200}$/.test(name)) {
    throw new DissonanceError(
      'E_CONFIG',
      `model name "${name}" is not a valid registry name (letters, digits, . _ -; at most 200)`,
      {
        details: { field: 'modelPrefix' },
      },
    );
  }
  return name;
}

/**
 * Opens the registry of one demo run. File (default): `<dir>/registry` (memory without a directory), model
 * `<dataset>-proposer`, nothing tracked. MLflow: `@dissonance/adapter-mlflow` loaded on demand (`E_CONFIG`
 * when it is not installed), model {@link demoModelName}, and every retrain recorded as an MLflow run nested
 * under one parent run per seed × strategy.
 */
export async function openDemoRegistry(
  choice: RegistryChoice | undefined,
  run: DemoRunIdentity,
): Promise<DemoRegistry> {
  if (choice === undefined || choice.kind === 'file') {
    return {
      registry: run.dir === undefined ? new MemoryRegistry() : new FileRegistry({ root: join(run.dir, 'registry') }),
      modelName: `${run.dataset}-proposer`,
      track: () => Promise.resolve(() => Promise.resolve()),
    };
  }
  const adapter = await loadMlflowAdapter();
  enableTraceIds();
  const experimentName = choice.experiment ?? DEFAULT_MLFLOW_EXPERIMENT;
  const modelName = demoModelName(
    choice.modelPrefix ?? DEFAULT_MLFLOW_MODEL_PREFIX,
    run.dataset,
    run.strategy,
    run.seed,
  );
  const registry = new adapter.MlflowRegistry({ url: choice.uri, experimentName });
  return {
    registry,
    modelName,
    track: async (engine, probes) => {
      const runs = await adapter.recordEngineRuns(engine, {
        tracking: new adapter.MlflowTracking({ url: choice.uri }),
        registry,
        modelName,
        experimentName,
        runName: modelName,
        params: { dataset: run.dataset, strategy: run.strategy, seed: run.seed, ...run.params },
        tags: {
          'dissonance.demo.dataset': run.dataset,
          'dissonance.demo.strategy': run.strategy,
          'dissonance.demo.seed': String(run.seed),
        },
        critics: probes.critics,
        stepMetrics: probes.stepMetrics,
        champion: engine.championVersion,
      });
      return (ok) => runs.finish(ok ? 'FINISHED' : 'FAILED');
    },
  };
}
