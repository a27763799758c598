import { join } from 'node:path';
import { createEngine, goldenAccuracy, MemoryStore, type Store, type Trainer } from '@dissonance/core';
import { FileStore } from '@dissonance/node';
import type { RegistryChoice } from '../registry-factory/index.js';
import type { OnnxNodeRuntime } from '@dissonance/node';
import type { DissonanceRound, VersionRecord } from './demo-result.js';
import { openDemoRegistry } from './demo-registry.js';
import {
  fittedCritics,
  loopEngineSettings,
  loopTrainer,
  seedSetParts,
  streamRows,
  strategyOracle,
} from './loop-parts.js';
import type { LoopSettings } from './loop-settings.js';
import type { SeedData } from './seed-data.js';
import type { Strategy } from './strategies.js';
import { roundHistogram } from './round-histogram.js';

/** Inputs of {@link runStrategy}. */
export interface StrategyRunInput {
  readonly dataset: string;
  readonly data: SeedData;
  readonly strategy: Strategy;
  readonly settings: LoopSettings;
  /** Oracle labels allowed over the stream. */
  readonly budget: number;
  /** ONNX bytes of the proposer fitted on the seed set. */
  readonly proposer: Uint8Array;
  readonly runtime: OnnxNodeRuntime;
  /** Directory for the file registry and store; in memory when absent. */
  readonly dir?: string;
  /** Retrain number whose candidate is trained on flipped labels. */
  readonly regressionAt?: number;
  /** Called after each batch. */
  readonly onBatch?: () => void;
  /** Registry of the run (default: file under `dir`, else memory); MLflow gets one model per seed × strategy. */
  readonly registry?: RegistryChoice;
  /**
   * The run's trainer (default: the built-in MLP trainer, {@link loopTrainer}); e.g. a `remoteTrainer` retraining
   * the proposer in a Python worker. `regressionAt` applies to the default trainer only.
   */
  readonly trainer?: Trainer;
}

/** What one strategy did on one seed. */
export interface StrategyRun {
  readonly seedOnly: number;
  readonly final: number;
  readonly labelsUsed: number;
  readonly curve: readonly { readonly labels: number; readonly accuracy: number }[];
  readonly versions: readonly VersionRecord[];
  readonly rounds: readonly DissonanceRound[];
  /** Registry `champion` alias at the end. */
  readonly champion: string;
  /** Ids of every example the trainer could see (seed set and stream). */
  readonly trainedIds: readonly string[];
  /** Ids the oracle labelled. */
  readonly oracleIds: readonly string[];
}

/**
 * Runs the loop once: the seed-set proposer served by onnxruntime-node, a committee of learning critics,
 * a per-batch oracle quota chosen by the strategy, inline retrains with the built-in trainer every
 * `retrainEveryBatches` batches, each candidate validated on the golden set and promoted or rejected.
 */
export async function runStrategy(input: StrategyRunInput): Promise<StrategyRun> {
  const { data, strategy, settings } = input;
  const { width, classes } = data;
  const opened = await openDemoRegistry(input.registry, {
    dataset: input.dataset,
    strategy: strategy.name,
    seed: data.seed,
    ...(input.dir === undefined ? {} : { dir: input.dir }),
    params: {
      budget: input.budget,
      batch: settings.batch,
      hidden: settings.hidden.join('x'),
      retrainEpochs: settings.retrainEpochs,
    },
  });
  const { registry, modelName } = opened;
  const store: Store & { close?: () => Promise<void> } =
    input.dir === undefined ? new MemoryStore() : await FileStore.open({ dir: join(input.dir, 'store') });

  const { labelled, seedExamples } = seedSetParts(data);
  await store.appendExamples(seedExamples);
  const critics = fittedCritics(data, strategy, labelled);
  const refitCritics = (): void => critics.forEach((c) => c.refit(labelled));

  const streamRow = streamRows(data);
  const batches = Math.ceil(data.stream.rows / settings.batch);
  const oracleIds: string[] = [];
  const labels = strategyOracle(data, strategy, {
    budget: input.budget,
    batches,
    streamRow,
    onLabel: (ids) => oracleIds.push(...ids),
  });
  const trainer = input.trainer ?? loopTrainer(settings, input.runtime, input.regressionAt);
  const proposer = await input.runtime.loadBytes(input.proposer, {
    name: modelName,
    version: 'seed-set',
    inputWidth: width,
    classes,
  });
  const engine = createEngine({
    modelName,
    proposer,
    critics,
    detector: strategy.detector,
    labels,
    trainer,
    runtime: input.runtime,
    registry,
    store,
    ...loopEngineSettings(data, settings),
  });

  const accuracyOf = new Map<string, number>();
  const versions: VersionRecord[] = [];
  const rounds: DissonanceRound[] = [];
  const trainedIds = new Set<string>(data.seedSet.ids);
  let roundValues: number[] = [];
  let round = 0;
  let failure: Error | undefined;
  engine.on('error', (event) => (failure ??= event.error));
  engine.on('dissonance', (event) => {
    for (const v of event.values) roundValues.push(v);
  });
  engine.on('example', (event) => {
    for (const e of event.examples) trainedIds.add(e.id);
  });
  engine.on('retrained', (event) => {
    if (event.goldenAccuracy !== undefined) accuracyOf.set(event.candidate.version, event.goldenAccuracy);
    const hist = roundHistogram(round, roundValues, strategy.detector.upperBound);
    versions.push({
      version: event.candidate.version,
      parent: event.parent,
      round,
      goldenAccuracy: event.goldenAccuracy ?? Number.NaN,
      labelsUsed: labels.used,
      dissonanceMean: hist.mean,
      kl: event.kl,
      decision: event.decision === 'reject' ? 'rejected' : 'promoted',
      reason:
        event.reason +
        (event.report.params?.['injected'] === undefined ? '' : ' (injected regression: flipped labels)'),
    });
  });
  engine.on('rolledBack', (event) => {
    const record = versions.findIndex((v) => v.version === event.version);
    if (record >= 0 && event.stage === 'canary')
      versions[record] = { ...versions[record]!, decision: 'rolled-back', reason: event.reason };
  });

  await engine.ready();
  const endRecord = await opened.track(engine, {
    critics: () => critics.map((c) => ({ name: c.name, version: c.version })),
    stepMetrics: () => ({ labels_used: labels.used }),
  });
  const curve: { labels: number; accuracy: number }[] = [];
  let seedOnly: number;
  let final: number;
  let champion: string;
  try {
    seedOnly = await goldenAccuracy(proposer, data.golden);
    const initial = engine.championVersion;
    accuracyOf.set(initial, seedOnly);
    versions.push({
      version: initial,
      round: 0,
      goldenAccuracy: seedOnly,
      labelsUsed: 0,
      dissonanceMean: 0,
      kl: 0,
      decision: 'initial',
      reason: 'fitted on the seed set',
    });
    curve.push({ labels: 0, accuracy: seedOnly });
    const championAccuracy = (): number => accuracyOf.get(engine.championVersion) ?? Number.NaN;

    for (let b = 0; b < batches; b++) {
      const start = b * settings.batch;
      const rows = Math.min(settings.batch, data.stream.rows - start);
      await engine.process({
        x: data.stream.x.subarray(start * width, (start + rows) * width),
        rows,
        ids: data.stream.ids.slice(start, start + rows),
      });
      if ((b + 1) % settings.retrainEveryBatches === 0 || b === batches - 1) {
        for (const id of oracleIds.slice(labelled.rows - data.seedSet.rows)) {
          const r = streamRow.get(id)!;
          labelled.add(data.stream.x.subarray(r * width, (r + 1) * width), data.stream.labels[r]!);
        }
        refitCritics();
        round++;
        await engine.retrainNow();
        rounds.push(roundHistogram(round, roundValues, strategy.detector.upperBound));
        roundValues = [];
        curve.push({ labels: labels.used, accuracy: championAccuracy() });
      }
      input.onBatch?.();
    }
    final = championAccuracy();
    champion = (await registry.resolve(modelName, 'champion')).version;
  } catch (error) {
    await engine.stop().catch(() => undefined);
    await endRecord(false).catch(() => undefined);
    throw error;
  }
  await engine.stop();
  await endRecord(failure === undefined);
  await store.close?.();
  await registry.close?.();
  if (failure !== undefined) throw failure;
  return {
    seedOnly,
    final,
    labelsUsed: labels.used,
    curve,
    versions,
    rounds,
    champion,
    trainedIds: [...trainedIds],
    oracleIds,
  };
}
