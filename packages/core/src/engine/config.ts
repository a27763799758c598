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
  /** Retrain after this many new examples (0 disables the count trigger). Default: see `ENGINE_DEFAULTS.retrain.everyExamples`. */
  readonly everyExamples?: number;
  /** Also retrain on this interval in ms when new examples arrived. Default: off (`ENGINE_DEFAULTS.retrain.everyMs`). */
  readonly everyMs?: number;
  /** Fewest examples a retrain needs. Default: see `ENGINE_DEFAULTS.retrain.minExamples`. */
  readonly minExamples?: number;
  /** Newest examples from the replay buffer used per retrain. Default: see `ENGINE_DEFAULTS.retrain.maxExamples`. */
  readonly maxExamples?: number;
  /**
   * `background`: retrain while the stream keeps flowing on the current champion.
   * `inline`: the stream waits for the retrain, so a run is reproducible batch for batch.
   * Default: see `ENGINE_DEFAULTS.retrain.mode`.
   */
  readonly mode?: 'background' | 'inline';
  /**
   * When the registry is unreachable at registration, the validated candidate is kept and its registration
   * retried every this many ms until the registry answers; the champion keeps serving. Default: see
   * `ENGINE_DEFAULTS.retrain.registryRetryMs`.
   */
  readonly registryRetryMs?: number;
  /** Seed handed to the trainer; incremented per retrain. Default: see `ENGINE_DEFAULTS.retrain.seed`. */
  readonly seed?: number;
  /**
   * Cooldown: at least this many ms between the end of a retrain and the start of the next (default: see
   * `ENGINE_DEFAULTS.retrain.minIntervalMs`). A
   * trigger during the cooldown starts the retrain when it ends. Triggers while a retrain runs are coalesced
   * into one follow-up. `engine.retrainNow()` skips the cooldown.
   */
  readonly minIntervalMs?: number;
}

/** How a validated candidate reaches production. */
export interface RolloutConfig {
  /** Share of traffic the challenger serves during its canary (0 promotes right after validation). Default: see `ENGINE_DEFAULTS.rollout.canaryFraction`. */
  readonly canaryFraction?: number;
  /** Challenger rows before the canary is judged. Default: see `ENGINE_DEFAULTS.rollout.canarySamples`. */
  readonly canarySamples?: number;
  /** Labelled rows per arm before accuracy decides instead of dissonance. Default: see `ENGINE_DEFAULTS.rollout.canaryMinLabelled`. */
  readonly canaryMinLabelled?: number;
  /** Largest rise in mean dissonance the challenger may show in a label-less canary. Default: see `ENGINE_DEFAULTS.rollout.dissonanceTolerance`. */
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
  /** Policy overrides. Default: see `ENGINE_DEFAULTS.policy` (the proof of concept's values). */
  readonly policy?: PolicyPatch;
  /** When and how the loop retrains; each field's default is in `ENGINE_DEFAULTS.retrain`. */
  readonly retrain?: RetrainConfig;
  /** How a validated candidate reaches production; each field's default is in `ENGINE_DEFAULTS.rollout`. */
  readonly rollout?: RolloutConfig;
  /** Largest batch `process` accepts, in rows. Default: see `ENGINE_DEFAULTS.maxBatchRows`. */
  readonly maxBatchRows?: number;
  /** Batches generated and detected at once; reconcile always runs in acceptance order. Default: see `ENGINE_DEFAULTS.concurrency`. */
  readonly concurrency?: number;
  /** Batches waiting beyond `concurrency` before backpressure applies. Default: see `ENGINE_DEFAULTS.maxQueue`. */
  readonly maxQueue?: number;
  /** On a full queue: `wait` for room or `reject` with `E_OVERLOADED`. Default: see `ENGINE_DEFAULTS.overload`. */
  readonly overload?: 'wait' | 'reject';
  /**
   * Poll the registry's `champion` alias every this many ms and hot-swap when another process or an admin
   * moved it (needs `runtime` to load the new version). Default: off (`ENGINE_DEFAULTS.championRefreshMs`);
   * `engine.refreshChampion()` does one check.
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
