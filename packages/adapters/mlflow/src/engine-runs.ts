import {
  DissonanceError,
  type Engine,
  type PromotedEvent,
  type RetrainedEvent,
  type RolledBackEvent,
  type Scalar,
} from '@dissonance/core';
import type { MlflowRegistry } from './mlflow-registry.js';
import type { MetricPoint, MlflowRun, MlflowTracking, RunEndStatus } from './mlflow-tracking.js';

/** A model whose name and version are recorded with each retrain (a critic of the committee). */
export interface VersionedModel {
  readonly name: string;
  readonly version: string;
}

/** Options of {@link recordEngineRuns}. */
export interface EngineRunsOptions {
  /** Client that writes the runs (may share the registry's connection options). */
  readonly tracking: MlflowTracking;
  /** The registry the engine registers its candidates in: each candidate's registration run is found through it. */
  readonly registry: MlflowRegistry;
  /** The engine's `modelName`. */
  readonly modelName: string;
  /** Experiment of the parent run; use the registry's `experimentName` so the MLflow UI nests the retrain runs under it. */
  readonly experimentName: string;
  /** Name of the parent run; default `modelName`. */
  readonly runName?: string;
  /** Params of the parent run (data set, strategy, seed, settings…). */
  readonly params?: Readonly<Record<string, Scalar>>;
  /** Tags of the parent run. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Read at every retrain: the critics, whose versions become `dissonance.critic.<name>.version` tags. */
  readonly critics?: () => readonly VersionedModel[];
  /** Read at every retrain: more metrics of the parent run at that retrain's step (e.g. labels used). */
  readonly stepMetrics?: () => Readonly<Record<string, number>>;
  /**
   * The champion when recording starts (`engine.championVersion`): tagged `dissonance.champion` on the parent
   * run, and its registration run is nested under the parent when it is in `experimentName` and has no parent yet
   * (the version the engine registered on its first `ready()`).
   */
  readonly champion?: string;
}

/** What {@link recordEngineRuns} returns. */
export interface EngineRuns {
  /** The parent run. */
  readonly run: MlflowRun;
  /** Resolves when everything logged so far is written; rejects with the first write error. */
  flush(): Promise<void>;
  /**
   * Stops listening, writes what is pending, records the final champion and ends the parent run with `status`
   * (`FAILED` instead when a write failed, then rejects with that error).
   */
  finish(status?: RunEndStatus): Promise<void>;
}

/**
 * Records an engine's retrains in MLflow: a parent run (params, and per retrain `n` the metrics
 * `candidate_golden_accuracy`, `parent_golden_accuracy`, `champion_golden_accuracy`, `kl`, `dissonance_mean`,
 * `examples` and `stepMetrics()` at step `n`; tag `dissonance.champion`), and on each candidate's own
 * registration run (the run {@link MlflowRegistry.register} created, which already holds the artifact, params,
 * step-0 metrics and lineage tags) the loss curve as `train_loss` at steps 1…epochs plus the tags
 * `mlflow.parentRunId` (nests it under the parent in the UI), `dissonance.retrain`, `dissonance.decision`,
 * `dissonance.reason`, `dissonance.proposer.name|version` (the parent it was fine-tuned from) and
 * `dissonance.critic.<name>.version`. Writes happen in the background, in event order; call
 * {@link EngineRuns.finish} before exiting. Call it after `engine.ready()`.
 */
export async function recordEngineRuns(
  engine: Pick<Engine, 'on' | 'off'>,
  options: EngineRunsOptions,
): Promise<EngineRuns> {
  const { tracking, registry, modelName } = options;
  const run = await tracking.startRun(options.experimentName, {
    runName: options.runName ?? modelName,
    tags: { ...options.tags, 'dissonance.model': modelName, 'dissonance.role': 'engine' },
  });
  await tracking.logBatch(run.runId, {
    ...(options.params === undefined ? {} : { params: options.params }),
    ...(options.champion === undefined ? {} : { tags: { 'dissonance.champion': options.champion } }),
  });
  if (options.champion !== undefined) {
    const initial = await tracking.getRun(await registry.runIdOf(modelName, options.champion));
    if (initial.experimentId === run.experimentId && initial.tags['mlflow.parentRunId'] === undefined) {
      await tracking.logBatch(initial.runId, { tags: { 'mlflow.parentRunId': run.runId, 'dissonance.retrain': '0' } });
    }
  }
  let chain: Promise<void> = Promise.resolve();
  let failure: unknown;
  let retrains = 0;
  const enqueue = (write: () => Promise<void>): void => {
    chain = chain.then(write).catch((error: unknown) => {
      failure ??= error;
    });
  };

  const onRetrained = (event: RetrainedEvent): void => {
    const step = ++retrains;
    const critics = options.critics?.() ?? [];
    const extra = options.stepMetrics?.() ?? {};
    enqueue(async () => {
      const version = event.candidate.version;
      const metrics: MetricPoint[] = [
        { key: 'kl', value: event.kl, step },
        { key: 'examples', value: event.candidate.lineage.examples ?? 0, step },
        { key: 'dissonance_mean', value: event.candidate.lineage.dissonanceMean ?? 0, step },
        ...Object.entries(extra).map(([key, value]) => ({ key, value, step })),
      ];
      const accuracy = event.goldenAccuracy;
      const parentAccuracy = event.parentGoldenAccuracy;
      if (accuracy !== undefined) metrics.push({ key: 'candidate_golden_accuracy', value: accuracy, step });
      if (parentAccuracy !== undefined) metrics.push({ key: 'parent_golden_accuracy', value: parentAccuracy, step });
      const champion = event.decision === 'promote' ? accuracy : parentAccuracy;
      if (champion !== undefined) metrics.push({ key: 'champion_golden_accuracy', value: champion, step });
      await tracking.logBatch(run.runId, { metrics: metrics.filter((m) => Number.isFinite(m.value)) });
      const child = await registry.runIdOf(modelName, version);
      const tags: Record<string, string> = {
        'mlflow.parentRunId': run.runId,
        'dissonance.retrain': String(step),
        'dissonance.decision': event.decision,
        'dissonance.reason': event.reason.slice(0, 5000),
        'dissonance.proposer.name': modelName,
        'dissonance.proposer.version': event.parent,
      };
      for (const critic of critics) tags[`dissonance.critic.${critic.name}.version`] = critic.version;
      const loss = event.report.loss.flatMap((value, i) =>
        Number.isFinite(value) ? [{ key: 'train_loss', value, step: i + 1 }] : [],
      );
      await tracking.logBatch(child, { tags, metrics: loss });
    });
  };
  const onPromoted = (event: PromotedEvent): void => {
    enqueue(() => tracking.logBatch(run.runId, { tags: { 'dissonance.champion': event.version } }));
  };
  const onRolledBack = (event: RolledBackEvent): void => {
    enqueue(() => tracking.logBatch(run.runId, { tags: { 'dissonance.champion': event.champion } }));
  };
  engine.on('retrained', onRetrained);
  engine.on('promoted', onPromoted);
  engine.on('rolledBack', onRolledBack);

  const flush = async (): Promise<void> => {
    for (let seen: Promise<void> | undefined; seen !== chain;) {
      seen = chain;
      await seen;
    }
    if (failure !== undefined) throw wrap(failure);
  };
  let finished: Promise<void> | undefined;
  return {
    run,
    flush,
    finish(status: RunEndStatus = 'FINISHED'): Promise<void> {
      finished ??= (async () => {
        engine.off('retrained', onRetrained);
        engine.off('promoted', onPromoted);
        engine.off('rolledBack', onRolledBack);
        try {
          await flush();
        } catch (error) {
          await tracking.endRun(run.runId, 'FAILED').catch(() => undefined);
          throw error;
        }
        await tracking.endRun(run.runId, status);
      })();
      return finished;
    },
  };
}

function wrap(error: unknown): unknown {
  if (error instanceof DissonanceError) return error;
  return new DissonanceError(
    'E_REGISTRY_UNAVAILABLE',
    `mlflow: recording a retrain failed: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
    },
  );
}
