import type { Meter, Tracer } from '@opentelemetry/api';
import { systemClock, type Clock } from '../clock/clock.js';
import { asCommittee, committeeDetectorByName, proposerVsCritics, totalVariation } from '../detect/index.js';
import type { Logger } from '../logging/logger.js';
import { MemoryRegistry } from '../memory/memory-registry.js';
import { MemoryStore } from '../memory/memory-store.js';
import type { GoldenSet } from '../ports/batch.js';
import type { CommitteeDetector } from '../ports/detector.js';
import type { LabelSource } from '../ports/label-source.js';
import type { LoadedModel, ModelRuntime } from '../ports/model.js';
import type { ModelRegistry } from '../ports/registry.js';
import type { Store } from '../ports/store.js';
import type { Trainer } from '../ports/trainer.js';
import type { Policy } from '../schema/policy.js';
import type { SigningConfig } from '../security/artifact-signer.js';
import type { TrustPolicy } from '../security/trust-policy.js';
import { defaultTracer } from '../telemetry/tracer.js';
import { validateEngineConfig } from './config-schema.js';
import type { EngineConfig, RetrainConfig, RolloutConfig } from './config.js';
import { ENGINE_DEFAULTS } from './defaults.js';
import { DEFAULT_GATES, type GateEntry } from './gates.js';

/** {@link RetrainConfig} with every default filled in (`everyMs` undefined: off). */
export type ResolvedRetrainConfig = {
  readonly [K in keyof Omit<RetrainConfig, 'everyMs'>]-?: Exclude<RetrainConfig[K], undefined>;
} & {
  readonly everyMs: number | undefined;
};

/** {@link RolloutConfig} with every default filled in. */
export type ResolvedRolloutConfig = { readonly [K in keyof RolloutConfig]-?: Exclude<RolloutConfig[K], undefined> };

/** An {@link EngineConfig} with every default filled in from {@link ENGINE_DEFAULTS}: what the engine runs on. */
export interface ResolvedEngineConfig {
  readonly modelName: string;
  readonly proposer: LoadedModel;
  readonly critics: readonly LoadedModel[];
  readonly detector: CommitteeDetector;
  /** The label sources in the order they are tried (empty: none). */
  readonly labels: readonly LabelSource[];
  readonly trainer: Trainer | undefined;
  readonly runtime: ModelRuntime | undefined;
  readonly registry: ModelRegistry;
  readonly store: Store;
  readonly golden: GoldenSet | undefined;
  /** The reconcile gates in order ({@link DEFAULT_GATES} when not given). */
  readonly gates: readonly GateEntry[];
  /** The KL guard's reference rows (the golden rows, or none, when not given). */
  readonly reference: { readonly x: Float32Array; readonly rows: number };
  /** The configured policy over the defaults (a policy persisted in the store is applied later, at `ready()`). */
  readonly policy: Policy;
  readonly retrain: ResolvedRetrainConfig;
  readonly rollout: ResolvedRolloutConfig;
  readonly maxBatchRows: number;
  readonly concurrency: number;
  readonly maxQueue: number;
  readonly overload: 'wait' | 'reject';
  readonly championRefreshMs: number | undefined;
  readonly trust: TrustPolicy | undefined;
  readonly signing: SigningConfig | undefined;
  readonly clock: Clock;
  readonly tracer: Tracer;
  readonly meter: Meter | undefined;
  readonly logger: Logger | undefined;
}

/**
 * Validates `config` (`E_CONFIG` naming every problem) and fills in every default from {@link ENGINE_DEFAULTS}.
 * Ports left out get embedded implementations: a new memory registry and store, the system clock, the global
 * tracer.
 */
export function resolveEngineConfig(config: EngineConfig): ResolvedEngineConfig {
  validateEngineConfig(config);
  const d = ENGINE_DEFAULTS;
  const retrain = config.retrain ?? {};
  const rollout = config.rollout ?? {};
  const golden = config.golden;
  return {
    modelName: config.modelName ?? config.proposer.name,
    proposer: config.proposer,
    critics: config.critics,
    detector: resolveDetector(config.detector),
    labels:
      config.labels === undefined
        ? []
        : Array.isArray(config.labels)
          ? [...(config.labels as readonly LabelSource[])]
          : [config.labels as LabelSource],
    trainer: config.trainer,
    runtime: config.runtime,
    registry: config.registry ?? new MemoryRegistry(),
    store: config.store ?? new MemoryStore(),
    golden,
    gates: config.gates ?? DEFAULT_GATES,
    reference:
      config.reference ??
      (golden === undefined ? { x: new Float32Array(0), rows: 0 } : { x: golden.x, rows: golden.rows }),
    policy: { ...d.policy, ...stripUndefined(config.policy ?? {}) },
    retrain: {
      everyExamples: retrain.everyExamples ?? d.retrain.everyExamples,
      everyMs: retrain.everyMs ?? d.retrain.everyMs,
      minExamples: retrain.minExamples ?? d.retrain.minExamples,
      maxExamples: retrain.maxExamples ?? d.retrain.maxExamples,
      mode: retrain.mode ?? d.retrain.mode,
      registryRetryMs: retrain.registryRetryMs ?? d.retrain.registryRetryMs,
      seed: retrain.seed ?? d.retrain.seed,
      minIntervalMs: retrain.minIntervalMs ?? d.retrain.minIntervalMs,
    },
    rollout: {
      canaryFraction: rollout.canaryFraction ?? d.rollout.canaryFraction,
      canarySamples: rollout.canarySamples ?? d.rollout.canarySamples,
      canaryMinLabelled: rollout.canaryMinLabelled ?? d.rollout.canaryMinLabelled,
      dissonanceTolerance: rollout.dissonanceTolerance ?? d.rollout.dissonanceTolerance,
    },
    maxBatchRows: config.maxBatchRows ?? d.maxBatchRows,
    concurrency: config.concurrency ?? d.concurrency,
    maxQueue: config.maxQueue ?? d.maxQueue,
    overload: config.overload ?? d.overload,
    championRefreshMs: config.championRefreshMs ?? d.championRefreshMs,
    trust: config.trust,
    signing: config.signing,
    clock: config.clock ?? systemClock,
    tracer: config.tracer ?? defaultTracer(),
    meter: config.meter,
    logger: config.logger,
  };
}

function resolveDetector(detector: EngineConfig['detector']): CommitteeDetector {
  if (detector === undefined) return proposerVsCritics(totalVariation);
  if (typeof detector === 'string') return committeeDetectorByName(detector);
  return asCommittee(detector);
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
