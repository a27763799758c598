import {
  agreementPseudoLabels,
  criticTrustLabels,
  PoisoningGuard,
  type LabelSource,
  type Trainer,
} from '@dissonance/core';
import { createMlpTrainer, type MlpTrainerOptions } from '@dissonance/core/mlp';
import type { OnnxNodeRuntime } from '@dissonance/node';
import { threadedTrainer } from '@dissonance/node';
import type { ServeConfig } from './config-schema.js';
import { externalTrainer, type ExternalTrainerLoaders } from './external-trainer.js';

/** The trainer, label sources and poisoning guard a serve config names. */
export interface ConfigLoop {
  /** Undefined with `trainer.kind: "none"`: the loop detects and collects but does not retrain. */
  readonly trainer: Trainer | undefined;
  readonly labels: readonly LabelSource[];
  /** Undefined with `labels.feedback.guard: false`. */
  readonly guard: PoisoningGuard | undefined;
  /** Releases what the trainer holds (the external trainer's result subscription, broker connection, S3 client). */
  close(): Promise<void> | void;
}

/**
 * Builds the trainer (the built-in MLP trainer on a worker thread, `threaded`, or on the serving thread,
 * `in-thread`, or `remoteTrainer` of the optional `@dissonance/adapter-remote-trainer`, `external`), wrapped
 * by the feedback poisoning guard when it is on, and the label sources tried in order after HTTP feedback.
 */
export async function configLoop(
  config: ServeConfig,
  runtime: OnnxNodeRuntime,
  loaders: ExternalTrainerLoaders = {},
): Promise<ConfigLoop> {
  const feedback = config.labels.feedback;
  const guard = feedback.guard ? new PoisoningGuard({ trusted: feedback.trusted }) : undefined;
  const labels = config.labels.sources.map((source): LabelSource => {
    const options = {
      ...(source.minConfidence === undefined ? {} : { minConfidence: source.minConfidence }),
      ...(source.weight === undefined ? {} : { weight: source.weight }),
    };
    return source.kind === 'agreement' ? agreementPseudoLabels(options) : criticTrustLabels(options);
  });
  const spec = config.trainer;
  const wrap = (trainer: Trainer): Trainer => (guard === undefined ? trainer : guard.wrapTrainer(trainer));
  if (spec.kind === 'none') return { trainer: undefined, labels, guard, close: () => undefined };
  if (spec.kind === 'external') {
    const external = await externalTrainer(spec, runtime, loaders);
    return { trainer: wrap(external.trainer), labels, guard, close: external.close };
  }
  const options: MlpTrainerOptions = {
    hidden: spec.hidden,
    epochs: spec.epochs,
    batchSize: spec.batchSize,
    learningRate: spec.learningRate,
    warmStart: spec.warmStart,
    ...(spec.l2 === undefined ? {} : { l2: spec.l2 }),
    ...(spec.refitBelow === undefined ? {} : { refitBelow: spec.refitBelow }),
    ...(spec.minSteps === undefined ? {} : { minSteps: spec.minSteps }),
    ...(spec.maxSeconds === undefined ? {} : { maxSeconds: spec.maxSeconds }),
  };
  const trainer =
    spec.kind === 'threaded' ? threadedTrainer(createMlpTrainer(options), { runtime }) : createMlpTrainer(options);
  return { trainer: wrap(trainer), labels, guard, close: () => undefined };
}
