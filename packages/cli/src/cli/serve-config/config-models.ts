import { readFileSync } from 'node:fs';
import type { GoldenSet, LoadedModel, ModelRegistry, TrainingExample } from '@dissonance/core';
import { parseCsvDataset, type Dataset } from '@dissonance/core/mlp';
import type { OnnxNodeRuntime } from '@dissonance/node';
import { buildServeModels, seedExamples } from '../serve-models.js';
import type { ServeConfig } from './config-schema.js';

/** A critic and whether serve registers it (under its name, alias `champion`) on first start. */
export interface ConfigCritic {
  readonly model: LoadedModel;
  /** True for critics made from a file or a seed CSV; a `registry` critic is there already. */
  readonly register: boolean;
}

/** The models and data a serve config names, loaded. */
export interface ConfigModels {
  /** The first champion (the registry's `champion` takes over in `engine.ready()` when it has one). */
  readonly proposer: LoadedModel;
  readonly critics: readonly ConfigCritic[];
  readonly golden?: GoldenSet;
  /** Rows of the KL guard (default: the golden rows). */
  readonly reference?: { readonly x: Float32Array; readonly rows: number };
  /** Labelled rows the replay buffer starts with, when the store is empty. */
  readonly seedExamples: readonly TrainingExample[];
}

/**
 * Loads what a serve config names: the proposer from `model.onnx`, trained from `model.seed` (the demo's way:
 * a seeded split, a standardized MLP with the scaler folded in, and a `seed` critic), or the registry's
 * `champion` of `model.name`; each critic from its file, the seed or the registry; the golden set from
 * `golden.csv` (else the seed split's golden part).
 */
export async function loadConfigModels(
  config: ServeConfig,
  runtime: OnnxNodeRuntime,
  registry: ModelRegistry,
): Promise<ConfigModels> {
  const name = config.model.name;
  const seed = config.model.seed;
  const built =
    seed === undefined
      ? undefined
      : buildServeModels(readCsv(seed.csv, seed.label), {
          name,
          seed: seed.seed,
          golden: seed.golden,
          seedSet: seed.seedSet,
        });
  let proposer: LoadedModel;
  if (built !== undefined) {
    proposer = await runtime.loadBytes(built.proposer, {
      name,
      version: 'seed-set',
      inputWidth: built.width,
      classes: built.classes,
    });
  } else if (config.model.onnx !== undefined)
    proposer = await runtime.loadFile(config.model.onnx, { name, version: 'file' });
  else proposer = await fromRegistry(registry, runtime, name, 'champion');
  const critics: ConfigCritic[] = [];
  for (const [i, critic] of config.critics.entries()) {
    if (critic.kind === 'seed') critics.push({ model: built!.critic, register: true });
    else if (critic.kind === 'onnx') {
      critics.push({
        model: await runtime.loadFile(critic.path, { name: critic.name ?? `${name}-critic-${i}`, version: 'file' }),
        register: true,
      });
    } else critics.push({ model: await fromRegistry(registry, runtime, critic.name, critic.alias), register: false });
  }
  const golden =
    config.golden === undefined ? built?.golden : goldenOf(readCsv(config.golden.csv, config.golden.label));
  return {
    proposer,
    critics,
    ...(golden === undefined ? {} : { golden }),
    ...(built === undefined ? {} : { reference: { x: built.seedSet.x, rows: built.seedSet.rows } }),
    seedExamples: built === undefined ? [] : seedExamples(built.seedSet, built.width),
  };
}

function readCsv(path: string, labelColumn: string): Dataset {
  return parseCsvDataset(readFileSync(path, 'utf8'), { labelColumn, source: path });
}

function goldenOf(data: Dataset): GoldenSet {
  return {
    x: data.x,
    rows: data.rows,
    labels: data.labels,
    ids: Array.from({ length: data.rows }, (_, r) => `golden-${r}`),
  };
}

async function fromRegistry(
  registry: ModelRegistry,
  runtime: OnnxNodeRuntime,
  name: string,
  alias: string,
): Promise<LoadedModel> {
  const version = await registry.resolve(name, alias);
  const { manifest, artifact } = await registry.fetch(name, version.version);
  return runtime.load(artifact, {
    name,
    version: manifest.version,
    inputWidth: manifest.inputWidth,
    classes: manifest.classes,
  });
}
