import type { Meter, Tracer } from '@opentelemetry/api';
import type { Logger } from '../logging/logger.js';
import type { Clock } from '../clock/clock.js';
import type { CommitteeDetector, Detector } from '../ports/detector.js';
import type { GoldenSet } from '../ports/batch.js';
import type { LabelSource } from '../ports/label-source.js';
import type { LoadedModel, ModelRuntime } from '../ports/model.js';
import type { ModelRegistry } from '../ports/registry.js';
import type { Store } from '../ports/store.js';
import type { Trainer } from '../ports/trainer.js';
import type { GateEntry } from './gates.js';
import type { PolicyPatch } from '../schema/policy.js';
import type { SigningConfig } from '../security/artifact-signer.js';
import type { TrustPolicy } from '../security/trust-policy.js';

/** When and how the loop retrains. */
export interface RetrainConfig {
  /** Retrain after this many new examples (default 100; 0 disables the count trigger). */
  readonly everyExamples?: number;
  /** Also retrain on this interval in ms when new examples arrived (default: off). */
  readonly everyMs?: number;
  /** Fewest examples a retrain needs (default 20). */
  readonly minExamples?: number;
  /** Newest examples from the replay buffer used per retrain (default 5,000). */
  readonly maxExamples?: number;
  /**
   * `background` (default): retrain while the stream keeps flowing on the current champion.
   * `inline`: the stream waits for the retrain, so a run is reproducible batch for batch.
   */
  readonly mode?: 'background' | 'inline';
  /**
   * When the registry is unreachable at registration, the validated candidate is kept and its registration
   * retried every this many ms (default 5,000) until the registry answers; the champion keeps serving.
   */
  readonly registryRetryMs?: number;
  /** Seed handed to the trainer; incremented per retrain (default 1). */
  readonly seed?: number;
  /**
   * Cooldown: at least this many ms between the end of a retrain and the start of the next (default 0). A
   * trigger during the cooldown starts the retrain when it ends. Triggers while a retrain runs are coalesced
   * into one follow-up. `engine.retrainNow()` skips the cooldown.
   */
  readonly minIntervalMs?: number;
}

/** How a validated candidate reaches production. */
export interface RolloutConfig {
  /** Share of traffic the challenger serves during its canary (default 0.1; 0 promotes right after validation). */
  readonly canaryFraction?: number;
  /** Challenger rows before the canary is judged (default 100). */
  readonly canarySamples?: number;
  /** Labelled rows per arm before accuracy decides instead of dissonance (default 20). */
  readonly canaryMinLabelled?: number;
  /** Largest rise in mean dissonance the challenger may show in a label-less canary (default 0.02). */
  readonly dissonanceTolerance?: number;
}

/** Everything {@link createEngine} accepts. Unknown keys are rejected with `E_CONFIG`. */
export interface EngineConfig {
  /** Registered model name of the proposer (default: the proposer's `name`). */
  readonly modelName?: string;
  /** The model that predicts: the first champion. */
  readonly proposer: LoadedModel;
  /** One or more models that contradict it. */
  readonly critics: readonly LoadedModel[];
  /**
   * How dissonance is measured: a pairwise detector (applied proposer vs each critic, averaged), a committee
   * detector, or a detector name. Default `total-variation` (the proof of concept's `|p0 − q0|` generalized).
   */
  readonly detector?: Detector | CommitteeDetector | string;
  /** Where labels come from, tried in order. Default: none (no examples are made). */
  readonly labels?: LabelSource | readonly LabelSource[];
  /** Fits candidates. Default: none (the loop detects and collects examples but does not retrain). */
  readonly trainer?: Trainer;
  /** Loads champion versions from the registry when they differ from `proposer`. */
  readonly runtime?: ModelRuntime;
  /** Default: a new MemoryRegistry. */
  readonly registry?: ModelRegistry;
  /** Default: a new MemoryStore. */
  readonly store?: Store;
  /** Golden holdout: never trained on; validates candidates. */
  readonly golden?: GoldenSet;
  /**
   * The reconcile gates, in order: built-in gates by name (`finite` first), your own as `Gate` objects.
   * Default `DEFAULT_GATES`: `finite`, `validate`, `golden`, `quarantine`, `budget` (each where it applies).
   */
  readonly gates?: readonly GateEntry[];
  /** Reference rows for the KL guard (default: the golden rows). */
  readonly reference?: { readonly x: Float32Array; readonly rows: number };
  /** Policy overrides (defaults are the proof of concept's). */
  readonly policy?: PolicyPatch;
  readonly retrain?: RetrainConfig;
  readonly rollout?: RolloutConfig;
  /** Largest batch `process` accepts (default 4,096 rows). */
  readonly maxBatchRows?: number;
  /** Batches generated and detected at once (default 2); reconcile always runs in acceptance order. */
  readonly concurrency?: number;
  /** Batches waiting beyond `concurrency` before backpressure applies (default 64). */
  readonly maxQueue?: number;
  /** On a full queue: `wait` for room (default) or `reject` with `E_OVERLOADED`. */
  readonly overload?: 'wait' | 'reject';
  /**
   * Poll the registry's `champion` alias every this many ms and hot-swap when another process or an admin
   * moved it (needs `runtime` to load the new version). Default: off; `engine.refreshChampion()` does one check.
   */
  readonly championRefreshMs?: number;
  /**
   * Which artifacts may be loaded from the registry as champion (at start and on refresh): trusted Ed25519
   * keys, `require` a signature (default true), ONNX only, a size cap. A refused artifact is never handed to
   * the runtime; the current champion keeps serving. Default: no checks beyond the registry's sha256.
   */
  readonly trust?: TrustPolicy;
  /** Signs every artifact the loop registers (retrained candidates, the first champion) with this key. */
  readonly signing?: SigningConfig;
  /** Time source (default the system clock). */
  readonly clock?: Clock;
  /** OpenTelemetry tracer (default: the global tracer of `@opentelemetry/api`). */
  readonly tracer?: Tracer;
  /** OpenTelemetry meter of the loop's metrics (default: the global meter of `@opentelemetry/api`). */
  readonly meter?: Meter;
  /** Structured logger for errors, retrain decisions, promotions and rollbacks (default: silent). */
  readonly logger?: Logger;
}

/** Keys of {@link EngineConfig}, for strict validation. */
export const ENGINE_CONFIG_KEYS: readonly (keyof EngineConfig)[] = [
  'modelName',
  'proposer',
  'critics',
  'detector',
  'labels',
  'trainer',
  'runtime',
  'registry',
  'store',
  'golden',
  'gates',
  'reference',
  'policy',
  'retrain',
  'rollout',
  'maxBatchRows',
  'concurrency',
  'maxQueue',
  'overload',
  'championRefreshMs',
  'trust',
  'signing',
  'clock',
  'tracer',
  'meter',
  'logger',
];
