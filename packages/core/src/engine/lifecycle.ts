import type { EventEmitter } from 'eventemitter3';
import { untilAborted } from '../util/until-aborted.js';
import { DissonanceError, toDissonanceError } from '../errors.js';
import { withVersion } from '../models/function-model.js';
import type { GoldenSet } from '../ports/batch.js';
import type { CommitteeDetector } from '../ports/detector.js';
import type { LoadedModel } from '../ports/model.js';
import type { ModelRegistry, ModelVersion, RegisterInput } from '../ports/registry.js';
import type { Store } from '../ports/store.js';
import type { Trainer, TrainReport } from '../ports/trainer.js';
import { CanaryTracker } from '../rollout/canary.js';
import { goldenAccuracy } from '../rollout/golden-accuracy.js';
import { modelKl } from '../rollout/kl-divergence.js';
import type { Policy } from '../schema/policy.js';
import type { ArtifactSigner } from '../security/artifact-signer.js';
import { stageSpan, type Instrumentation } from '../telemetry/instrumentation.js';
import { lineageLinks } from '../telemetry/lineage-links.js';
import { activeTraceId } from '../telemetry/tracer.js';
import type { LoopCounters } from './counters.js';
import type { EngineEvents } from './events.js';

/** Aliases the loop moves in the registry. */

/** Store key of the number of retrains so far (the trainer's seed is `retrain.seed` + that number). */
export const RETRAIN_COUNT_KEY = 'engine.retrains';
export const CHAMPION = 'champion';
/** Alias of the version under canary. */
export const CHALLENGER = 'challenger';

/** What the lifecycle needs from the engine. */
export interface LifecycleDeps {
  readonly modelName: string;
  readonly registry: ModelRegistry;
  readonly store: Store;
  readonly trainer: Trainer | undefined;
  readonly critics: readonly LoadedModel[];
  readonly detector: CommitteeDetector;
  readonly golden: GoldenSet | undefined;
  readonly reference: { readonly x: Float32Array; readonly rows: number };
  readonly policy: () => Policy;
  readonly events: EventEmitter<EngineEvents>;
  readonly counters: LoopCounters;
  readonly telemetry: Instrumentation;
  readonly now: () => number;
  readonly maxExamples: number;
  readonly canary: {
    readonly fraction: number;
    readonly samples: number;
    readonly minLabelled: number;
    readonly dissonanceTolerance: number;
  };
  readonly seed: number;
  /** Disposes a model once no batch runs on it any more. */
  readonly retire: (model: LoadedModel) => Promise<void>;
  /** Signs registered candidates (tags `dissonance.signature*`); none: unsigned. */
  readonly signer?: ArtifactSigner | undefined;
}

/** Champion and challenger: what serves now. */
export interface Serving {
  champion: LoadedModel;
  challenger?: { readonly model: LoadedModel; readonly tracker: CanaryTracker };
}

/**
 * Retrain → validate → register → canary → promote, or roll back. Holds the serving models; one retrain at
 * a time (the engine serializes calls).
 */
export class Lifecycle {
  readonly serving: Serving;
  readonly #deps: LifecycleDeps;
  readonly #accuracy = new Map<string, number>();
  #retrainCount = 0;
  /** Champion versions in the order they served, for rollback. */
  readonly #history: string[] = [];
  readonly #models = new Map<string, LoadedModel>();
  #pending: PendingCandidate | undefined;

  /** Continues the retrain count (the trainer's seed offset) a previous run of the engine left in the store. */
  restoreRetrainCount(stored: unknown): void {
    if (typeof stored === 'number' && Number.isSafeInteger(stored) && stored > 0) this.#retrainCount = stored;
  }

  constructor(deps: LifecycleDeps, champion: LoadedModel) {
    this.#deps = deps;
    this.serving = { champion };
    this.#history.push(champion.version);
    this.#models.set(champion.version, champion);
  }

  /** Golden accuracy of a model (cached per version); undefined without a golden set. */
  async accuracyOf(model: LoadedModel): Promise<number | undefined> {
    const golden = this.#deps.golden;
    if (golden === undefined) return undefined;
    const cached = this.#accuracy.get(model.version);
    if (cached !== undefined) return cached;
    const value = await goldenAccuracy(model, golden);
    this.#accuracy.set(model.version, value);
    return value;
  }

  /**
   * Fits a candidate on the replay buffer and takes it through validation and rollout. When `signal` aborts
   * (the fit was superseded or abandoned), the fit's outcome is dropped: nothing is registered, no error is
   * raised, and the replay buffer is untouched.
   */
  async retrain(signal?: AbortSignal): Promise<void> {
    const deps = this.#deps;
    const trainer = deps.trainer;
    if (trainer === undefined) return;
    if (this.#pending !== undefined) {
      // A validated candidate still waits for the registry: register it before training another.
      await this.retryRegistration();
      return;
    }
    // A retrain starts its own trace and links to the traces of the examples it learns from: the lineage.
    await stageSpan(
      deps.telemetry,
      'retrain',
      { 'dissonance.model.name': deps.modelName },
      async (span) => {
        const base = this.serving.champion;
        const examples = await deps.store.examples(deps.maxExamples);
        if (span.isRecording()) span.addLinks(lineageLinks(examples));
        span.setAttribute('dissonance.examples', examples.length);
        span.setAttribute('dissonance.model.parent_version', base.version);
        const policy = deps.policy();
        const seed = deps.seed + this.#retrainCount++;
        // Kept in the store so a restarted engine seeds its next retrain as one that never stopped would.
        await deps.store.setValue(RETRAIN_COUNT_KEY, this.#retrainCount);
        let candidate;
        try {
          // Raced with the signal: a trainer that ignores it cannot hold up an abandoning stop().
          candidate = await untilAborted(
            trainer.fit(base, examples, {
              dTarget: policy.dTarget,
              lambdaMax: policy.lambdaMax,
              klEps: policy.klEps,
              critics: deps.critics,
              detector: deps.detector,
              reference: deps.reference,
              seed,
              ...(signal === undefined ? {} : { signal }),
            }),
            signal,
            (aborted) => aborted.reason as Error,
          );
        } catch (error) {
          if (signal?.aborted === true) {
            span.setAttribute('dissonance.retrain.cancelled', true);
            return;
          }
          throw toDissonanceError(error, 'E_TRAINER', `trainer ${trainer.name} failed`);
        }
        if (signal?.aborted === true) {
          span.setAttribute('dissonance.retrain.cancelled', true);
          void deps.retire(candidate.model);
          return;
        }
        deps.counters.retrains++;
        const traceId = activeTraceId();
        const { accuracy, parentAccuracy, kl, verdict } = await stageSpan(
          deps.telemetry,
          'validate',
          {},
          async (vspan) => {
            const [accuracy, parentAccuracy, kl] = await Promise.all([
              // Not cached: the candidate has no registered version yet.
              deps.golden === undefined ? undefined : goldenAccuracy(candidate.model, deps.golden),
              this.accuracyOf(base),
              modelKl(base, candidate.model, deps.reference),
            ]);
            const verdict = judge(accuracy, parentAccuracy, kl, policy);
            vspan.setAttributes({
              'dissonance.validate.kl': kl,
              'dissonance.validate.decision': verdict.ok ? 'pass' : 'reject',
              ...(accuracy === undefined ? {} : { 'dissonance.validate.golden_accuracy': accuracy }),
            });
            return { accuracy, parentAccuracy, kl, verdict };
          },
        );
        const dissonanceMean =
          examples.length === 0 ? 0 : examples.reduce((s, e) => s + e.provenance.dissonance, 0) / examples.length;
        await this.#settle({
          input: {
            name: deps.modelName,
            artifact: candidate.artifact,
            inputWidth: base.inputWidth,
            classes: base.classes,
            metrics: {
              ...(accuracy === undefined ? {} : { golden_accuracy: accuracy }),
              // A registry refuses non-finite metrics; a NaN KL is in the reason instead.
              ...(Number.isFinite(kl) ? { kl } : {}),
              ...(candidate.report.loss.length > 0
                ? { loss: candidate.report.loss[candidate.report.loss.length - 1] ?? 0 }
                : {}),
              dissonance_mean: dissonanceMean,
            },
            params: { trainer: trainer.name, seed, ...(candidate.report.params ?? {}) },
            tags: {
              decision: verdict.ok ? 'accepted' : 'rejected',
              reason: verdict.reason,
              ...(deps.signer === undefined ? {} : await deps.signer.tags(candidate.artifact)),
            },
            lineage: {
              parent: base.version,
              examples: examples.length,
              dissonanceMean,
              ...(traceId === undefined ? {} : { traceId }),
            },
          },
          model: candidate.model,
          report: candidate.report,
          parent: base.version,
          accuracy,
          parentAccuracy,
          kl,
          verdict,
        });
      },
      { root: true },
    );
  }

  /** True while a validated candidate waits for the registry to come back. */
  get pendingRegistration(): boolean {
    return this.#pending !== undefined;
  }

  /** Registers a candidate kept while the registry was unreachable, then rolls it out. */
  async retryRegistration(): Promise<void> {
    const pending = this.#pending;
    if (pending !== undefined)
      await stageSpan(this.#deps.telemetry, 'retrain', { 'dissonance.retry': true }, () => this.#settle(pending), {
        root: true,
      });
  }

  /**
   * Registers a validated candidate and rolls it out (reject, canary or promote). When the registry cannot be
   * reached the candidate is kept, not lost: the error propagates and {@link Lifecycle.retryRegistration}
   * (or the next retrain) registers it once the registry answers again.
   */
  async #settle(pending: PendingCandidate): Promise<void> {
    const deps = this.#deps;
    const { verdict, accuracy, kl } = pending;
    let version: ModelVersion;
    try {
      version = await stageSpan(
        deps.telemetry,
        'register',
        { 'dissonance.model.name': deps.modelName },
        async (span) => {
          const registered = await deps.registry.register(pending.input);
          span.setAttribute('dissonance.model.version', registered.version);
          return registered;
        },
      );
    } catch (error) {
      this.#pending = pending;
      throw toDissonanceError(
        error,
        'E_REGISTRY_UNAVAILABLE',
        'registering the candidate failed; it is kept and retried',
      );
    }
    this.#pending = undefined;
    const model = withVersion(pending.model, version.version);
    if (accuracy !== undefined) this.#accuracy.set(version.version, accuracy);
    this.#models.set(version.version, model);
    const decision = !verdict.ok ? 'reject' : deps.canary.fraction > 0 ? 'canary' : 'promote';
    deps.events.emit('retrained', {
      candidate: version,
      parent: pending.parent,
      report: pending.report,
      goldenAccuracy: accuracy,
      parentGoldenAccuracy: pending.parentAccuracy,
      kl,
      decision,
      reason: verdict.reason,
    });
    if (decision === 'reject') {
      this.#prune();
      await this.#recordRollback(version.version, 'validate', verdict.reason);
    } else if (decision === 'canary') {
      await this.#startCanary(model, version);
    } else {
      await this.promote(model, verdict.reason);
    }
  }

  /**
   * Serves `model`, the registry's `challenger` left by an engine stopped with `{ canary: 'leave' }`, as the
   * challenger again: a fresh canary with the configured fraction and samples.
   */
  resumeCanary(model: LoadedModel, version: ModelVersion): Promise<void> {
    return this.#startCanary(model, version);
  }

  async #startCanary(model: LoadedModel, version: ModelVersion): Promise<void> {
    const deps = this.#deps;
    await deps.registry.setAlias(deps.modelName, CHALLENGER, version.version);
    this.serving.challenger = {
      model,
      tracker: new CanaryTracker({
        version: version.version,
        fraction: deps.canary.fraction,
        samples: deps.canary.samples,
        minLabelled: deps.canary.minLabelled,
        maxAccuracyDrop: deps.policy().maxGoldenDrop,
        dissonanceTolerance: deps.canary.dissonanceTolerance,
      }),
    };
    deps.events.emit('canary', { version: version.version, fraction: deps.canary.fraction });
  }

  /** Judges a running canary; promotes or rolls back when it has enough samples (`now`: on what it has). */
  async settleCanary(now = false): Promise<void> {
    const challenger = this.serving.challenger;
    if (challenger === undefined) return;
    const verdict = challenger.tracker.verdict(now);
    if (verdict.decision === 'wait') return;
    if (verdict.decision === 'promote') {
      await this.promote(challenger.model, `canary: ${verdict.reason}`, challenger.tracker);
    } else {
      this.serving.challenger = undefined;
      this.#prune();
      await this.#deps.registry.deleteAlias(this.#deps.modelName, CHALLENGER);
      await this.#recordRollback(challenger.model.version, 'canary', verdict.reason);
    }
  }

  /** Makes `model` the champion (compare-and-set on the registry alias) and clears the challenger. */
  async promote(model: LoadedModel, reason: string, tracker?: CanaryTracker, who = 'system'): Promise<void> {
    const deps = this.#deps;
    const previous = this.serving.champion.version;
    await stageSpan(
      deps.telemetry,
      'promote',
      { 'dissonance.model.name': deps.modelName, 'dissonance.model.version': model.version },
      async () => {
        await deps.registry.setAlias(deps.modelName, CHAMPION, model.version, { expected: previous });
        if (this.serving.challenger !== undefined) await deps.registry.deleteAlias(deps.modelName, CHALLENGER);
      },
    );
    this.serving.champion = model;
    this.serving.challenger = undefined;
    this.#models.set(model.version, model);
    this.#history.push(model.version);
    this.#prune();
    deps.counters.promotions++;
    await deps.store.appendAudit({
      at: deps.now(),
      who,
      action: 'model.promote',
      before: previous,
      after: model.version,
      reason,
    });
    deps.events.emit('promoted', {
      version: model.version,
      previous,
      reason,
      ...(tracker === undefined ? {} : { canary: tracker.stats() }),
    });
  }

  /**
   * Serves `model` as champion because the registry's alias already points at it (moved by another process
   * or an admin). Returns the model it replaces.
   */
  adopt(model: LoadedModel): void {
    const previous = this.serving.champion;
    this.serving.champion = model;
    this.serving.challenger = undefined;
    this.#models.set(model.version, model);
    this.#history.push(model.version);
    this.#prune();
    this.#deps.events.emit('promoted', {
      version: model.version,
      previous: previous.version,
      reason: 'registry champion alias moved; hot-swapped',
    });
  }

  /**
   * Keeps only the models that can serve again soon — the champion, the challenger and the previous champion
   * (the rollback target) — and retires the rest, so memory stays flat over many retrains.
   */
  #prune(): void {
    const keep = new Set<string>([this.serving.champion.version]);
    const previous = this.#history[this.#history.length - 2];
    if (previous !== undefined) keep.add(previous);
    if (this.serving.challenger !== undefined) keep.add(this.serving.challenger.model.version);
    for (const [version, model] of this.#models) {
      if (keep.has(version)) continue;
      this.#models.delete(version);
      void this.#deps.retire(model);
    }
  }

  /** Moves the champion back to the version that served before it (or to `to`). */
  async rollback(options: { to?: string; who?: string; reason?: string } = {}): Promise<string> {
    const deps = this.#deps;
    const current = this.serving.champion.version;
    const target = options.to ?? this.#history[this.#history.length - 2];
    if (target === undefined) {
      throw new DissonanceError('E_NOT_FOUND', `no earlier champion to roll back to from version ${current}`);
    }
    const model = this.#models.get(target);
    if (model === undefined) {
      throw new DissonanceError(
        'E_NOT_FOUND',
        `version ${target} is not loaded in this engine; cannot roll back to it`,
      );
    }
    await stageSpan(
      deps.telemetry,
      'rollback',
      { 'dissonance.model.name': deps.modelName, 'dissonance.model.version': target },
      async () => {
        await deps.registry.setAlias(deps.modelName, CHAMPION, target, { expected: current });
      },
    );
    this.serving.champion = model;
    this.#history.push(target);
    this.#prune();
    const reason = options.reason ?? 'manual rollback';
    await deps.store.appendAudit({
      at: deps.now(),
      who: options.who ?? 'system',
      action: 'model.rollback',
      before: current,
      after: target,
      reason,
    });
    deps.counters.rollbacks++;
    deps.events.emit('rolledBack', { version: current, champion: target, stage: 'manual', reason });
    return target;
  }

  async #recordRollback(version: string, stage: 'validate' | 'canary', reason: string): Promise<void> {
    const deps = this.#deps;
    deps.counters.rollbacks++;
    await deps.store.appendAudit({
      at: deps.now(),
      who: 'system',
      action: stage === 'validate' ? 'model.reject' : 'model.canary-rollback',
      after: version,
      reason,
    });
    deps.events.emit('rolledBack', { version, champion: this.serving.champion.version, stage, reason });
  }
}

/** A validated candidate on its way to the registry. */
interface PendingCandidate {
  readonly input: RegisterInput;
  readonly model: LoadedModel;
  readonly report: TrainReport;
  readonly parent: string;
  readonly accuracy: number | undefined;
  readonly parentAccuracy: number | undefined;
  readonly kl: number;
  readonly verdict: { readonly ok: boolean; readonly reason: string };
}

function judge(
  accuracy: number | undefined,
  parentAccuracy: number | undefined,
  kl: number,
  policy: Policy,
): { ok: boolean; reason: string } {
  const parts: string[] = [];
  let ok = true;
  if (accuracy !== undefined && parentAccuracy !== undefined) {
    const drop = parentAccuracy - accuracy;
    parts.push(`golden ${(accuracy * 100).toFixed(2)}% vs ${(parentAccuracy * 100).toFixed(2)}%`);
    if (drop > policy.maxGoldenDrop + 1e-12) {
      ok = false;
      parts.push(`drop ${(drop * 100).toFixed(2)} points > ${(policy.maxGoldenDrop * 100).toFixed(2)}`);
    }
  }
  parts.push(`KL ${kl.toFixed(5)}`);
  // The trainer enforces KL ≤ KL_eps in its own arithmetic; allow 1% for float32 inference differences.
  if (Number.isNaN(kl)) {
    // NaN passes `kl > klEps`: a candidate whose outputs are not finite on the reference rows.
    ok = false;
    parts.push('(the candidate answers NaN or ±Infinity on the reference rows)');
  } else if (kl > policy.klEps * 1.01) {
    ok = false;
    parts.push(`> KL_eps ${policy.klEps}`);
  }
  return { ok, reason: parts.join(', ') };
}
