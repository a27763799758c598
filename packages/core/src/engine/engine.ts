import { context, type Tracer } from '@opentelemetry/api';
import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { asCommittee, committeeDetectorByName, proposerVsCritics, totalVariation } from '../detect/index.js';
import { DissonanceError, toDissonanceError } from '../errors.js';
import { chainLabels, quarantineRouting, type QuarantineRouting } from '../labels/index.js';
import { withVersion } from '../models/function-model.js';
import { sha256Hex } from '../util/sha256.js';
import { createArtifactSigner, type ArtifactSigner } from '../security/artifact-signer.js';
import { createArtifactVerifier, fetchVerified, type ArtifactVerifier } from '../security/trust-policy.js';
import { goldenAccuracy } from '../rollout/golden-accuracy.js';
import { MemoryRegistry } from '../memory/memory-registry.js';
import { MemoryStore } from '../memory/memory-store.js';
import type { Batch } from '../ports/batch.js';
import type { CommitteeDetector } from '../ports/detector.js';
import type { Gate } from '../ports/gate.js';
import type { LabelSource } from '../ports/label-source.js';
import type { LoadedModel } from '../ports/model.js';
import type { ModelRegistry, ModelVersion } from '../ports/registry.js';
import type { Store } from '../ports/store.js';
import { checkFiniteFeatures, finiteExamplesTrainer, type NonFiniteExample, validateBatchShape } from '../reconcile/index.js';
import { resolveGates } from './gates.js';
import { isNonFinite, screenRows } from '../reconcile/gate-rows.js';
import { DEFAULT_POLICY, policySchema, type Policy, type PolicyPatch } from '../schema/policy.js';
import { reportLifecycle } from '../telemetry/engine-listeners.js';
import { createInstrumentation, stageSpan, type Instrumentation } from '../telemetry/instrumentation.js';
import { defaultTracer } from '../telemetry/tracer.js';
import { describeIssues, validateEngineConfig } from './config-schema.js';
import type { EngineConfig } from './config.js';
import { newCounters, type LoopCounters } from './counters.js';
import { DeferredQueue } from './deferred-queue.js';
import type { EngineEvents } from './events.js';
import { CHAMPION, Lifecycle, RETRAIN_COUNT_KEY } from './lifecycle.js';
import { reconcileItems, reconcileRows, type ReconcileOutcome } from './reconcile-items.js';
import { BatchRows, RowIds, sanitizeNonFinite } from './batch-rows.js';
import { Float32Pool } from './buffer-pool.js';
import type { PendingItem } from './pending-item.js';
import { LabelWatch } from './label-watch.js';
import type { StopOptions } from './stop-options.js';
import { serveBatch, type Served } from './serve.js';
import { ModelLeases } from './model-leases.js';
import { startSource, type Source, type SourceHandle } from './source.js';
import { LoopTurns } from './loop-turns.js';
import type { EngineHealth, PortHealth } from './health.js';

const DEFERRED_KEY = 'engine.deferred';
/** The validate gate's tolerance on `|Σ p − 1|`, also what the detect stage screens rows with. */
const OUTPUT_TOLERANCE = 1e-3;
const POLICY_KEY = 'engine.policy';

/** What `process` resolves with for one batch. */
export interface BatchResult {
  readonly batchId: string;
  readonly ids: readonly string[];
  /** `rows × classes` probabilities served. */
  readonly probabilities: Float32Array;
  /** Per-row dissonance. */
  readonly dissonance: Float32Array;
  /** Rows per outcome in this batch. */
  readonly outcome: { readonly examples: number; readonly unlabelled: number; readonly blocked: number; readonly deferred: number };
  /**
   * Rows (0-based, ascending) whose proposer or critic output held a NaN or ±Infinity — features far outside
   * what the models know, such as every feature 3.4e38 — or whose dissonance was NaN. They are blocked with
   * reason `non-finite-output` (never labelled or trained on) and counted in `nonFinite`; their `dissonance`
   * reads {@link NON_FINITE_DISSONANCE} instead of NaN, and their `probabilities` are what the proposer
   * returned. Empty for almost every batch.
   */
  readonly nonFiniteRows: readonly number[];
}

/** Options of {@link Engine.process}. */
export interface ProcessOptions {
  /**
   * What the proposer already answered for these rows elsewhere (a generate worker in another process):
   * `rows × classes` probabilities and, optionally, the version that produced each row. The engine then runs
   * only the critics, the detector and reconcile; its own champion is not run.
   */
  readonly proposed?: { readonly probabilities: Float32Array; readonly versions?: readonly string[] };
}

/** What `stop` resolves with: the final counters. */
export type EngineSummary = Readonly<LoopCounters>;

/**
 * The self-correcting loop: generate → detect → reconcile → retrain. Create with {@link createEngine}.
 * Batches are generated and detected concurrently and reconciled in acceptance order.
 */
export class Engine extends EventEmitter<EngineEvents> {
  readonly modelName: string;
  readonly registry: ModelRegistry;
  readonly store: Store;
  readonly #config: EngineConfig;
  readonly #clock: Clock;
  readonly #tracer: Tracer;
  readonly #verifier: ArtifactVerifier | undefined;
  readonly #signer: ArtifactSigner | undefined;
  readonly #telemetry: Instrumentation;
  #unobserve: (() => void) | undefined;
  readonly #detector: CommitteeDetector;
  readonly #labels: LabelSource | undefined;
  /** Issue 16: items above maxDissonance go to the label sources; only oracle/feedback answers are kept. */
  readonly #routing: QuarantineRouting | undefined;
  readonly #watch: LabelWatch;
  readonly #gates: readonly Gate[];
  readonly #queue: PQueue;
  readonly #retrainQueue = new PQueue({ concurrency: 1 });
  readonly #counters = newCounters();
  readonly #deferred = new DeferredQueue();
  readonly #leases = new ModelLeases();
  /** Feature copies of batches, reused once a batch is reconciled. */
  readonly #copies = new Float32Pool();
  /** Ids of replay examples already reported as left out of retrains. */
  readonly #quarantinedIds = new Set<string>();
  readonly #maxBatchRows: number;
  readonly #maxQueue: number;
  readonly #everyExamples: number;
  readonly #minExamples: number;
  readonly #inline: boolean;
  readonly #minIntervalMs: number;
  #policy: Policy;
  #lifecycle: Lifecycle | undefined;
  #ready: Promise<void>;
  #reconcileTail: Promise<void> = Promise.resolve();
  #batchSeq = 0;
  #examplesSinceRetrain = 0;
  #retrainPending = false;
  /** The running (or queued) fit's controller: aborted when superseded or abandoned by `stop()`. */
  #fit: AbortController | undefined;
  /** A retrain was asked for while one ran: run one follow-up when it ends (coalesced). */
  #followUp = false;
  #lastRetrainEnd = Number.NEGATIVE_INFINITY;
  #cooldownTimer: TimerHandle | undefined;
  #abandonRetrain = false;
  readonly #turns = new LoopTurns(10);
  #deferredTimer: TimerHandle | undefined;
  #intervalTimer: TimerHandle | undefined;
  #refreshTimer: TimerHandle | undefined;
  #registryRetryTimer: TimerHandle | undefined;
  #source: SourceHandle | undefined;
  #stopping = false;
  #stopped = false;
  #lastProgressAt: number;
  #lastError: string | undefined;

  /** Use {@link createEngine}. */
  constructor(config: EngineConfig) {
    super();
    validateEngineConfig(config);
    this.#config = config;
    this.modelName = config.modelName ?? config.proposer.name;
    this.registry = config.registry ?? new MemoryRegistry();
    this.store = config.store ?? new MemoryStore();
    this.#clock = config.clock ?? systemClock;
    this.#tracer = config.tracer ?? defaultTracer();
    this.#verifier = config.trust === undefined ? undefined : createArtifactVerifier(config.trust);
    this.#signer = config.signing === undefined ? undefined : createArtifactSigner(config.signing);
    this.#telemetry = createInstrumentation({ tracer: this.#tracer, meter: config.meter, logger: config.logger });
    reportLifecycle(this, this.#telemetry);
    this.#policy = { ...DEFAULT_POLICY, ...config.policy };
    this.#detector = resolveDetector(config.detector);
    const sources = config.labels === undefined ? [] : Array.isArray(config.labels) ? config.labels : [config.labels];
    const chained = sources.length === 0 ? undefined : sources.length === 1 ? sources[0] : chainLabels(...sources);
    this.#routing = chained === undefined ? undefined : quarantineRouting(chained, () => this.#policy.maxDissonance);
    this.#labels = this.#routing;
    this.#watch = new LabelWatch({ events: this, logger: this.#telemetry.logger, sources, routing: this.#routing, meter: config.meter });
    const width = config.proposer.inputWidth;
    const getPolicy = (): Policy => this.#policy;
    const routed = this.#routing !== undefined;
    const gateContext = { policy: getPolicy, clock: this.#clock, golden: config.golden, inputWidth: width, routed, tolerance: OUTPUT_TOLERANCE };
    this.#gates = resolveGates(gateContext, config.gates);
    this.#maxBatchRows = config.maxBatchRows ?? 4096;
    this.#maxQueue = config.maxQueue ?? 64;
    this.#everyExamples = config.retrain?.everyExamples ?? 100;
    this.#minExamples = config.retrain?.minExamples ?? 20;
    this.#inline = config.retrain?.mode === 'inline';
    this.#minIntervalMs = config.retrain?.minIntervalMs ?? 0;
    this.#queue = new PQueue({ concurrency: config.concurrency ?? 2 });
    this.#lastProgressAt = this.#clock.now();
    this.#ready = this.#init();
    // Surface init failures through ready()/process(); avoid an unhandled rejection before anyone awaits.
    this.#ready.catch(() => undefined);
  }

  /** Resolves once the engine has registered or loaded its champion and restored persisted state. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** The policy in force. */
  get policy(): Policy {
    return this.#policy;
  }

  /** Running totals (a copy). */
  get counters(): EngineSummary {
    return { ...this.#counters };
  }

  /** The serving champion's version (after `ready()`). */
  get championVersion(): string {
    return this.#life().serving.champion.version;
  }

  /** The version under canary, if any. */
  get challengerVersion(): string | undefined {
    return this.#lifecycle?.serving.challenger?.model.version;
  }

  async #init(): Promise<void> {
    const config = this.#config;
    const stored = await this.store.getValue(POLICY_KEY);
    if (stored !== undefined) this.#policy = policySchema.parse({ ...this.#policy, ...(stored as object) });
    const champion = await this.#initialChampion(config.proposer);
    const golden = config.golden;
    const reference = config.reference ?? (golden === undefined ? { x: new Float32Array(0), rows: 0 } : { x: golden.x, rows: golden.rows });
    this.#lifecycle = new Lifecycle(
      {
        modelName: this.modelName,
        registry: this.registry,
        store: this.store,
        // Examples a model answers NaN on never reach the trainer (one would fail every fit).
        trainer: config.trainer === undefined ? undefined : finiteExamplesTrainer(config.trainer, (q) => this.#quarantineExamples(q)),
        critics: config.critics,
        detector: this.#detector,
        golden,
        reference,
        policy: () => this.#policy,
        events: this,
        counters: this.#counters,
        telemetry: this.#telemetry,
        now: () => this.#clock.now(),
        maxExamples: config.retrain?.maxExamples ?? 5000,
        canary: {
          fraction: config.rollout?.canaryFraction ?? 0.1,
          samples: config.rollout?.canarySamples ?? 100,
          minLabelled: config.rollout?.canaryMinLabelled ?? 20,
          dissonanceTolerance: config.rollout?.dissonanceTolerance ?? 0.02,
        },
        seed: config.retrain?.seed ?? 1,
        retire: (model) => this.#leases.retire(model),
        signer: this.#signer,
      },
      champion,
    );
    this.#lifecycle.restoreRetrainCount(await this.store.getValue(RETRAIN_COUNT_KEY));
    const restored = DeferredQueue.fromJson(await this.store.getValue(DEFERRED_KEY));
    if (restored.length > 0) {
      for (const item of restored) this.#deferred.add(item);
      this.#counters.accepted += restored.length;
      this.#counters.deferred += restored.length;
      await this.store.deleteValue(DEFERRED_KEY);
      this.#scheduleDeferred();
    }
    const everyMs = config.retrain?.everyMs;
    if (everyMs !== undefined) this.#scheduleInterval(everyMs);
    if (config.championRefreshMs !== undefined) this.#scheduleRefresh(config.championRefreshMs);
    this.#unobserve = this.#telemetry.metrics.observe({
      modelName: this.modelName,
      champion: () => this.#lifecycle?.serving.champion.version,
      replayDepth: () => this.store.countExamples(),
    });
  }

  #scheduleRefresh(everyMs: number): void {
    this.#refreshTimer = this.#clock.setTimeout(() => {
      this.#refreshTimer = undefined;
      if (this.#stopping) return;
      void this.refreshChampion().finally(() => {
        if (!this.#stopping) this.#scheduleRefresh(everyMs);
      });
    }, everyMs);
  }

  /**
   * Checks the registry's `champion` alias once; when another process or an admin moved it, fetches the
   * version (digest verified), loads it with the configured runtime and swaps it in. In-flight batches finish
   * on the model they started with; the old model is disposed once they have. Resolves true when it swapped.
   * Failures (registry down, digest mismatch, load error) are reported as `error` events and the current
   * champion keeps serving.
   */
  async refreshChampion(): Promise<boolean> {
    await this.#ready;
    let swapped = false;
    // A fit warm-started from a champion that another process replaced is superseded: cancel it now.
    if (this.#fit !== undefined) {
      await this.#guard('refresh', async () => {
        const moved = await this.registry.resolve(this.modelName, CHAMPION);
        if (moved.version !== this.#life().serving.champion.version && this.#supersedeFit(`champion moved to version ${moved.version}`)) {
          this.#followUp = true;
        }
      });
    }
    await this.#retrainQueue.add(() =>
      this.#guard('refresh', async () => {
        const life = this.#life();
        const current = await this.registry.resolve(this.modelName, CHAMPION);
        if (current.version === life.serving.champion.version) return;
        const runtime = this.#config.runtime;
        if (runtime === undefined || !runtime.supports(current.format)) {
          throw new DissonanceError(
            'E_CONFIG',
            `champion moved to version ${current.version} but no runtime that loads "${current.format}" is configured`,
          );
        }
        checkChampionShape(current, this.#config.proposer);
        // Verified against the trust policy before the runtime sees a byte; a refusal keeps the champion serving.
        const { artifact } = await fetchVerified(this.registry, this.modelName, current.version, this.#verifier);
        const model = await runtime.load(artifact, current);
        life.adopt(model);
        swapped = true;
      }),
    );
    return swapped;
  }

  async #initialChampion(proposer: LoadedModel): Promise<LoadedModel> {
    let current;
    try {
      current = await this.registry.resolve(this.modelName, CHAMPION);
    } catch (error) {
      if (!(error instanceof DissonanceError) || (error.code !== 'E_ALIAS_NOT_FOUND' && error.code !== 'E_NOT_FOUND')) throw error;
    }
    if (current === undefined) {
      const artifact = proposer.artifact ?? {
        format: 'opaque',
        bytes: new TextEncoder().encode(JSON.stringify({ kind: 'opaque-model', name: proposer.name, version: proposer.version })),
      };
      const golden = this.#config.golden;
      const version = await this.registry.register({
        name: this.modelName,
        artifact,
        inputWidth: proposer.inputWidth,
        classes: proposer.classes,
        ...(golden === undefined ? {} : { metrics: { golden_accuracy: await goldenAccuracy(proposer, golden) } }),
        tags: { decision: 'initial', ...(this.#signer === undefined ? {} : await this.#signer.tags(artifact)) },
      });
      await this.registry.setAlias(this.modelName, CHAMPION, version.version, { expected: null });
      return withVersion(proposer, version.version);
    }
    if (current.version === proposer.version) return proposer;
    // The same bytes as the registered champion (e.g. a restart with the same in-code model): serve it as that version.
    if (proposer.artifact !== undefined && (await sha256Hex(proposer.artifact.bytes)) === current.sha256) {
      return withVersion(proposer, current.version);
    }
    const runtime = this.#config.runtime;
    if (runtime === undefined || !runtime.supports(current.format)) {
      throw new DissonanceError(
        'E_CONFIG',
        `registry champion of ${this.modelName} is version ${current.version} but the given proposer is ` +
          `version ${proposer.version}, and no runtime that loads "${current.format}" is configured`,
      );
    }
    checkChampionShape(current, this.#config.proposer);
    const { artifact } = await fetchVerified(this.registry, this.modelName, current.version, this.#verifier);
    return runtime.load(artifact, current);
  }

  #life(): Lifecycle {
    if (this.#lifecycle === undefined) throw new DissonanceError('E_STOPPED', 'engine is not ready: await engine.ready()');
    return this.#lifecycle;
  }

  /**
   * Runs one batch through the loop and resolves once it is reconciled. Rejects with `E_INPUT` (nothing
   * accepted), `E_OVERLOADED` (queue full with `overload: 'reject'`), `E_STOPPED`, or the model's error
   * (the batch's rows are counted as failed).
   */
  async process(batch: Batch, options: ProcessOptions = {}): Promise<BatchResult> {
    if (this.#stopping) throw new DissonanceError('E_STOPPED', 'engine is stopping or stopped; process() refused');
    await this.#ready;
    const width = this.#config.proposer.inputWidth;
    validateBatchShape(batch, { width, maxRows: this.#maxBatchRows });
    // Copy (the caller may reuse its buffer once process() returns control), then one scan over the copy.
    const x = this.#copies.take(batch.x.length);
    x.set(batch.x);
    checkFiniteFeatures(x, width, batch.ids);
    const proposed = options.proposed === undefined ? undefined : checkProposed(options.proposed, batch.rows, this.#config.proposer.classes);
    if (this.#queue.size >= this.#maxQueue) {
      if (this.#config.overload === 'reject') {
        throw new DissonanceError('E_OVERLOADED', `${this.#queue.size} batches waiting (maxQueue ${this.#maxQueue})`, {
          details: { queued: this.#queue.size, maxQueue: this.#maxQueue },
        });
      }
      await this.#queue.onSizeLessThan(this.#maxQueue);
      if (this.#stopping) throw new DissonanceError('E_STOPPED', 'engine stopped while the batch waited for room');
    }
    const seq = ++this.#batchSeq;
    const batchId = `b${seq}`;
    // Default ids (`b7:0`, `b7:1`, …) are made only when something reads them.
    const ids = new RowIds(batchId, batch.rows, batch.ids);
    this.#counters.accepted += batch.rows;
    let release!: () => void;
    const previous = this.#reconcileTail;
    this.#reconcileTail = new Promise<void>((resolve) => (release = resolve));
    // Bound to the caller's context: p-queue may start the batch from another batch's completion.
    const result = this.#queue.add(context.bind(context.active(), async () => {
      try {
        const result = await this.#runBatch(batchId, x, batch.rows, ids, previous, proposed);
        // Reconciled: nothing holds a view of the copy any more. (After a failure a model may still be reading it.)
        this.#copies.give(x);
        return result;
      } finally {
        release();
      }
    }));
    return result as Promise<BatchResult>;
  }

  async #runBatch(
    batchId: string,
    x: Float32Array,
    rows: number,
    ids: RowIds,
    previous: Promise<void>,
    proposed?: Served,
  ): Promise<BatchResult> {
    const life = this.#life();
    const k = this.#config.proposer.classes;
    const champion = life.serving.champion;
    const canary = life.serving.challenger;
    this.#leases.acquire(champion);
    if (canary !== undefined) this.#leases.acquire(canary.model);
    try {
      return await this.#generateAndReconcile(batchId, x, rows, ids, previous, champion, canary, k, proposed);
    } finally {
      await this.#leases.release(champion);
      if (canary !== undefined) await this.#leases.release(canary.model);
    }
  }

  async #generateAndReconcile(
    batchId: string,
    x: Float32Array,
    rows: number,
    ids: RowIds,
    previous: Promise<void>,
    champion: LoadedModel,
    canary: Lifecycle['serving']['challenger'],
    k: number,
    proposed?: Served,
  ): Promise<BatchResult> {
    let served;
    let critics: Float32Array[];
    let dissonance: Float32Array;
    let nonFinite: Uint8Array | undefined;
    try {
      [served, critics] = await Promise.all([
        // Outputs a proposer elsewhere produced (a detect stage worker) stand in for the champion's.
        proposed ??
        stageSpan(
          this.#telemetry,
          'generate',
          { 'dissonance.model.name': this.modelName, 'dissonance.batch.size': rows, 'dissonance.model.version': champion.version },
          () => serveBatch(x, rows, canary === undefined ? NO_IDS : ids.all(), champion, canary),
        ),
        Promise.all(this.#config.critics.map((c) => c.run(x, rows))),
      ]);
      const probs = served.probabilities;
      dissonance = await stageSpan(this.#telemetry, 'detect', { 'dissonance.detector': this.#detector.name, 'dissonance.batch.size': rows }, async (span) => {
        for (const [j, q] of critics.entries()) {
          if (q.length !== rows * k) {
            throw new DissonanceError('E_MODEL', `critic ${this.#config.critics[j]?.name} returned ${q.length} values, expected ${rows * k}`);
          }
        }
        const values = this.#detector.measure([probs, ...critics], rows, k);
        // One pass flags rows for the `finite` and `validate` gates; callers never see NaN dissonance.
        nonFinite = screenRows(probs, critics, values, rows, k, OUTPUT_TOLERANCE);
        if (span.isRecording()) {
          const { mean, max } = meanMax(values, nonFinite);
          span.setAttributes({ 'dissonance.mean': mean, 'dissonance.max': max });
        }
        return values;
      });
    } catch (error) {
      await previous;
      this.#counters.failed += rows;
      this.#telemetry.metrics.items.add(rows, { 'dissonance.outcome': 'failed' });
      const wrapped = toDissonanceError(error, 'E_MODEL', `batch ${batchId} failed in generate/detect`);
      this.#lastError = wrapped.message;
      this.#emitError('generate', wrapped, batchId);
      throw wrapped;
    }
    await previous;
    return this.#reconcileBatch(batchId, x, rows, ids, served, critics, dissonance, nonFinite);
  }

  async #reconcileBatch(
    batchId: string,
    x: Float32Array,
    rows: number,
    ids: RowIds,
    served: Served,
    critics: readonly Float32Array[],
    dissonance: Float32Array,
    nonFinite: Uint8Array | undefined,
  ): Promise<BatchResult> {
    const life = this.#life();
    const probs = served.probabilities;
    const nonFiniteRows = sanitizeNonFinite(nonFinite, dissonance);
    // Event payloads are built only for listeners.
    if (this.listenerCount('proposed') > 0) this.emit('proposed', { batchId, ids: ids.all(), probabilities: probs, versions: served.versions });
    const metrics = this.#telemetry.metrics;
    if (metrics.recording) {
      for (let r = 0; r < rows; r++) if (nonFinite === undefined || !isNonFinite(nonFinite[r]!)) metrics.dissonance.record(dissonance[r]!);
    }
    if (this.listenerCount('dissonance') > 0) {
      const { mean, max } = meanMax(dissonance, nonFinite);
      this.emit('dissonance', { batchId, ids: ids.all(), values: dissonance, mean, max, detector: this.#detector.name });
    }
    const tracker = life.serving.challenger?.tracker;
    if (tracker !== undefined && served.challengerRows !== undefined) {
      for (let r = 0; r < rows; r++) tracker.recordServed(served.challengerRows[r] === 1, dissonance[r] ?? 0);
    }
    const batch = new BatchRows(
      rows,
      this.#config.proposer.inputWidth,
      this.#config.proposer.classes,
      x,
      probs,
      critics,
      dissonance,
      nonFinite,
      OUTPUT_TOLERANCE,
      ids,
      served.versions,
      life.serving.champion.version,
      served.challengerRows,
    );
    const outcome = await this.#reconcile(batchId, batch, false);
    return {
      batchId,
      get ids() {
        return ids.all();
      },
      probabilities: probs,
      dissonance,
      outcome,
      nonFiniteRows,
    };
  }

  /** Gates, labels and stores a batch's rows or deferred items, then updates the counters. */
  async #reconcile(
    batchId: string,
    items: readonly PendingItem[] | BatchRows,
    fromDeferred: boolean,
  ): Promise<BatchResult['outcome']> {
    const life = this.#life();
    const size = items instanceof BatchRows ? items.rows : items.length;
    const outcome: ReconcileOutcome = await stageSpan(this.#telemetry, 'reconcile', { 'dissonance.batch.size': size }, (span) => {
      const context = {
        batchId,
        gates: this.#gates,
        labels: this.#labels,
        store: this.store,
        now: this.#clock.now(),
        events: this,
        span,
        metrics: this.#telemetry.metrics,
        canary: life.serving.challenger?.tracker,
      };
      return items instanceof BatchRows ? reconcileRows({ ...context, rows: items }) : reconcileItems({ ...context, items });
    });
    const c = this.#counters;
    if (fromDeferred) c.deferred -= size;
    c.blocked += outcome.blocked;
    c.nonFinite += outcome.nonFinite;
    c.deferred += outcome.deferredItems.length;
    c.processed += outcome.examples + outcome.unlabelled;
    c.examples += outcome.examples;
    c.unlabelled += outcome.unlabelled;
    for (const item of outcome.deferredItems) this.#deferred.add(item);
    if (outcome.deferredItems.length > 0) this.#scheduleDeferred();
    this.#lastProgressAt = this.#clock.now();
    this.#examplesSinceRetrain += outcome.examples;
    this.#watch.afterReconcile(fromDeferred ? 0 : size, {
      deferred: fromDeferred ? 0 : outcome.deferredItems.length,
      quarantinedBlocked: this.#routing === undefined ? outcome.blocked : 0,
    });
    // Most batches neither settle a canary, trigger a retrain nor wait on the event loop: no await then.
    if (
      life.serving.challenger !== undefined ||
      (this.#everyExamples > 0 && this.#examplesSinceRetrain >= this.#everyExamples) ||
      this.#waitsOnLoop()
    ) {
      await this.#afterReconcile();
    }
    return {
      examples: outcome.examples,
      unlabelled: outcome.unlabelled,
      blocked: outcome.blocked,
      deferred: outcome.deferredItems.length,
    };
  }

  /** Reports replay examples a retrain left out (non-finite), each once: counted, and a `blocked` event. */
  #quarantineExamples(examples: readonly NonFiniteExample[]): void {
    const fresh = examples.filter(({ example }) => !this.#quarantinedIds.has(example.id));
    if (fresh.length === 0) return;
    for (const { example } of fresh) {
      if (this.#quarantinedIds.size >= 100_000) this.#quarantinedIds.clear();
      this.#quarantinedIds.add(example.id);
    }
    this.#counters.nonFiniteExamples += fresh.length;
    const attributes = { 'dissonance.gate': 'finite', 'dissonance.decision': 'block', 'dissonance.reason': 'non-finite-output' };
    this.#telemetry.metrics.gateDecisions.add(fresh.length, attributes);
    this.emit('blocked', {
      batchId: 'replay',
      items: fresh.map(({ example, reason }) => ({
        itemId: example.id,
        gate: 'finite',
        reason: 'non-finite-output' as const,
        message: `example ${JSON.stringify(example.id)} left out of retrains: ${reason}`,
        dissonance: example.provenance.dissonance,
      })),
    });
  }

  async #afterReconcile(): Promise<void> {
    const life = this.#life();
    if (life.serving.challenger !== undefined) {
      await this.#guard('retrain', () => life.settleCanary());
    }
    if (this.#everyExamples > 0 && this.#examplesSinceRetrain >= this.#everyExamples) {
      await this.#triggerRetrain();
    }
    // While a fit or a timer waits on the event loop, let it turn even if the caller never yields.
    if (this.#waitsOnLoop()) await this.#turns.letTurn();
  }

  /** True while something of the engine's needs the event loop to turn (a fit, a timer). */
  #waitsOnLoop(): boolean {
    return (
      this.#retrainPending ||
      this.#cooldownTimer !== undefined ||
      this.#deferredTimer !== undefined ||
      this.#intervalTimer !== undefined ||
      this.#refreshTimer !== undefined ||
      this.#registryRetryTimer !== undefined
    );
  }

  /**
   * Starts a background retrain when none runs, no challenger is in its canary, the cooldown
   * (`retrain.minIntervalMs` since the last one ended; `force` skips it) is over and the replay buffer holds
   * `minExamples`. Asked while one runs, it runs one follow-up when that one ends, however often it was asked.
   */
  async #triggerRetrain(force = false): Promise<void> {
    if (this.#config.trainer === undefined || (this.#stopping && this.#abandonRetrain)) return;
    if (this.#retrainPending) {
      // Inline mode keeps its batch-for-batch order: no follow-up the stream would not wait for.
      if (!this.#inline) this.#followUp = true;
      return;
    }
    // One candidate at a time: no retrain while a challenger is in its canary.
    if (this.challengerVersion !== undefined) return;
    const wait = this.#lastRetrainEnd + this.#minIntervalMs - this.#clock.now();
    if (!force && wait > 0) {
      this.#scheduleCooldown(wait);
      return;
    }
    this.#retrainPending = true;
    if ((await this.store.countExamples()) < this.#minExamples) {
      this.#retrainPending = false;
      return;
    }
    this.#examplesSinceRetrain = 0;
    const controller = new AbortController();
    this.#fit = controller;
    const job = this.#retrainQueue.add(async () => {
      try {
        if (!controller.signal.aborted) await this.#guard('retrain', () => this.#life().retrain(controller.signal));
      } finally {
        this.#retrainPending = false;
        this.#fit = undefined;
        this.#lastRetrainEnd = this.#clock.now();
      }
      this.#scheduleRegistrationRetry();
      if (this.#followUp && !this.#stopping) {
        this.#followUp = false;
        void this.#triggerRetrain();
      }
    });
    if (this.#inline) await job;
  }

  /** Retries the trigger once the cooldown is over. */
  #scheduleCooldown(ms: number): void {
    if (this.#cooldownTimer !== undefined || this.#stopping) return;
    this.#cooldownTimer = this.#clock.setTimeout(() => {
      this.#cooldownTimer = undefined;
      if (!this.#stopping) void this.#triggerRetrain();
    }, ms);
  }

  /** Cancels the running fit: its champion is no longer the one serving. True when there was one. */
  #supersedeFit(reason: string): boolean {
    if (this.#fit === undefined || this.#fit.signal.aborted) return false;
    this.#fit.abort(new DissonanceError('E_TRAINER', `superseded: ${reason}`));
    return true;
  }

  /** While a validated candidate waits for the registry, retry its registration every `registryRetryMs`. */
  #scheduleRegistrationRetry(): void {
    if (this.#registryRetryTimer !== undefined || this.#stopping || !this.#life().pendingRegistration) return;
    this.#registryRetryTimer = this.#clock.setTimeout(() => {
      this.#registryRetryTimer = undefined;
      if (this.#stopping) return;
      void this.#retrainQueue.add(async () => {
        await this.#guard('retrain', () => this.#life().retryRegistration());
        this.#scheduleRegistrationRetry();
      });
    }, this.#config.retrain?.registryRetryMs ?? 5_000);
  }

  /** Retrains now (when a trainer and enough examples are present); resolves when the candidate is settled. */
  async retrainNow(): Promise<void> {
    await this.#ready;
    await this.#triggerRetrain(true);
    await this.#retrainQueue.onIdle();
  }

  async #guard(stage: 'retrain' | 'deferred' | 'refresh', fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      const code = stage === 'retrain' ? 'E_TRAINER' : stage === 'refresh' ? 'E_REGISTRY_UNAVAILABLE' : 'E_STORE';
      const wrapped = toDissonanceError(error, code, `${stage} failed`);
      this.#lastError = wrapped.message;
      this.#emitError(stage, wrapped);
    }
  }

  #emitError(stage: Parameters<EngineEvents['error']>[0]['stage'], error: DissonanceError, batchId?: string): void {
    // eventemitter3 does not throw on an unhandled 'error' event; the failure is also in health().
    this.emit('error', { stage, error, ...(batchId === undefined ? {} : { batchId }) });
  }

  #scheduleDeferred(): void {
    const next = this.#deferred.nextRetryAt();
    if (next === undefined || this.#stopping) return;
    if (this.#deferredTimer !== undefined) this.#clock.clearTimeout(this.#deferredTimer);
    this.#deferredTimer = this.#clock.setTimeout(() => {
      this.#deferredTimer = undefined;
      void this.#retryDeferred();
    }, Math.max(0, next - this.#clock.now()));
  }

  /** Re-gates deferred items in order, behind any batch already accepted. */
  #retryDeferred(): Promise<void> {
    const previous = this.#reconcileTail;
    const run = previous.then(async () => {
      const items = this.#deferred.takeAll();
      if (items.length === 0) return;
      await this.#guard('deferred', async () => {
        await this.#reconcile(`deferred-${this.#clock.now()}`, items, true);
      });
    });
    this.#reconcileTail = run;
    return run;
  }

  #scheduleInterval(everyMs: number): void {
    this.#intervalTimer = this.#clock.setTimeout(() => {
      this.#intervalTimer = undefined;
      if (this.#stopping) return;
      if (this.#examplesSinceRetrain > 0) void this.#triggerRetrain();
      this.#scheduleInterval(everyMs);
    }, everyMs);
  }

  /**
   * Changes the policy at run time. The patch is validated strictly (unknown keys, non-finite numbers →
   * `E_POLICY`), persisted in the store and audited with who and when.
   */
  async updatePolicy(patch: PolicyPatch, meta: { who: string; reason?: string }): Promise<Policy> {
    await this.#ready;
    const parsed = policySchema.partial().strict().safeParse(patch);
    if (!parsed.success) throw new DissonanceError('E_POLICY', `invalid policy update: ${describeIssues(parsed.error)}`);
    const before = this.#policy;
    const after: Policy = { ...before, ...stripUndefined(parsed.data) };
    await this.store.setValue(POLICY_KEY, after);
    await this.store.appendAudit({
      at: this.#clock.now(),
      who: meta.who,
      action: 'policy.update',
      before,
      after,
      ...(meta.reason === undefined ? {} : { reason: meta.reason }),
    });
    this.#policy = after;
    this.emit('policy', { who: meta.who, before, after });
    return after;
  }

  /** Moves the champion back to the previous version (or `to`); audited. */
  async rollback(options: { to?: string; who?: string; reason?: string } = {}): Promise<string> {
    await this.#ready;
    const superseded = this.#supersedeFit('manual rollback');
    await this.#retrainQueue.onIdle();
    const version = await this.#life().rollback(options);
    // The cancelled fit's examples are still wanted: fit them on the restored champion.
    if (superseded) void this.#triggerRetrain(true);
    return version;
  }

  /** Consumes batches from an async iterable (or any {@link Source}) until it ends or `stop()` is called. */
  start(source: Source): void {
    if (this.#stopping) throw new DissonanceError('E_STOPPED', 'engine is stopping or stopped; start() refused');
    if (this.#source !== undefined) throw new DissonanceError('E_CONFIG', 'engine already consumes a source');
    this.#source = startSource(source, {
      process: (batch) => this.process(batch),
      onError: (error) => {
        this.#lastError = error.message;
        this.#emitError('source', error);
      },
    });
  }

  /** Resolves when a source given to `start()` is exhausted and all its batches are reconciled. */
  async drained(): Promise<void> {
    await this.#source?.done;
    await this.#queue.onIdle();
    await this.#reconcileTail;
    await this.#retrainQueue.onIdle();
  }

  /**
   * Stops intake, waits for every accepted batch and a running retrain to finish, persists deferred items
   * in the store (a new engine on the same store resumes them) and resolves with the final counters.
   * `options.retrain: 'abandon'` cancels a running fit instead of waiting for it (nothing is registered;
   * the replay buffer keeps every example). A challenger still in its canary is judged on the evidence so far
   * (`canary: 'settle'`, the default) or left as the registry's `challenger` (`'leave'`); see {@link StopOptions}.
   */
  async stop(options: StopOptions = {}): Promise<EngineSummary> {
    if (this.#stopped) return this.counters;
    this.#stopping = true;
    this.#abandonRetrain = options.retrain === 'abandon';
    if (this.#abandonRetrain) this.#fit?.abort(new DissonanceError('E_STOPPED', 'stop() abandoned the fit'));
    await this.#ready.catch(() => undefined);
    await this.#source?.stop();
    await this.#queue.onIdle();
    await this.#reconcileTail;
    await this.#retrainQueue.onIdle();
    if ((options.canary ?? 'settle') === 'settle' && this.#lifecycle?.serving.challenger !== undefined) {
      await this.#guard('retrain', () => this.#life().settleCanary(true));
    }
    if (this.#deferredTimer !== undefined) this.#clock.clearTimeout(this.#deferredTimer);
    if (this.#intervalTimer !== undefined) this.#clock.clearTimeout(this.#intervalTimer);
    if (this.#refreshTimer !== undefined) this.#clock.clearTimeout(this.#refreshTimer);
    if (this.#registryRetryTimer !== undefined) this.#clock.clearTimeout(this.#registryRetryTimer);
    if (this.#cooldownTimer !== undefined) this.#clock.clearTimeout(this.#cooldownTimer);
    this.#unobserve?.();
    if (this.#deferred.size > 0) await this.store.setValue(DEFERRED_KEY, this.#deferred.toJson());
    this.#stopped = true;
    return this.counters;
  }

  /** State of each port and of the loop's progress. */
  async health(): Promise<EngineHealth> {
    const check = async (fn: () => Promise<unknown>): Promise<PortHealth> => {
      try {
        await fn();
        return { ok: true };
      } catch (error) {
        return { ok: false, error: error instanceof Error ? error.message : String(error) };
      }
    };
    const ready = await check(() => this.#ready);
    const life = this.#lifecycle;
    const [registry, store] = await Promise.all([check(() => this.registry.ping()), check(() => this.store.countExamples())]);
    const ports = {
      models: life === undefined ? ready : { ok: true, detail: `champion ${life.serving.champion.version}` },
      registry,
      store,
      ...(this.#source === undefined ? {} : { source: this.#source.health() }),
    };
    const ok = Object.values(ports).every((p) => p.ok);
    return {
      status: this.#stopped ? 'stopped' : ok ? 'ok' : 'degraded',
      ports,
      champion: life?.serving.champion.version,
      challenger: life?.serving.challenger?.model.version,
      loop: {
        ...this.counters,
        queued: this.#queue.size,
        inFlight: this.#queue.pending,
        lastProgressAt: this.#lastProgressAt,
        ...(this.#lastError === undefined ? {} : { lastError: this.#lastError }),
      },
      policy: this.#policy,
    };
  }
}

/** Creates an engine on embedded defaults (memory registry and store) for whatever ports are not given. */
export function createEngine(config: EngineConfig): Engine {
  return new Engine(config);
}

function resolveDetector(detector: EngineConfig['detector']): CommitteeDetector {
  if (detector === undefined) return proposerVsCritics(totalVariation);
  if (typeof detector === 'string') return committeeDetectorByName(detector);
  return asCommittee(detector);
}

/** Mean and max of `values`, leaving out the rows `skip` flags (non-finite outputs). */
function meanMax(values: Float32Array, skip?: Uint8Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  let n = 0;
  for (let r = 0; r < values.length; r++) {
    if (skip !== undefined && isNonFinite(skip[r]!)) continue;
    const v = values[r]!;
    sum += v;
    n++;
    if (v > max) max = v;
  }
  return { mean: n === 0 ? 0 : sum / n, max };
}

/** No ids: what serveBatch gets outside a canary (it reads ids only to route canary rows). */
const NO_IDS: readonly string[] = Object.freeze([]);

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Checks the outputs handed to `process` by a proposer elsewhere; `E_INPUT` names the problem. */
function checkProposed(proposed: NonNullable<ProcessOptions['proposed']>, rows: number, classes: number): Served {
  const { probabilities, versions } = proposed;
  if (!(probabilities instanceof Float32Array) || probabilities.length !== rows * classes) {
    throw new DissonanceError('E_INPUT', `proposed.probabilities must be a Float32Array of rows × classes = ${rows * classes} values`);
  }
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1)) {
      const row = Math.floor(i / classes);
      const column = i - row * classes;
      throw new DissonanceError('E_INPUT', `proposed.probabilities must hold finite values in [0, 1]: row ${row}, class ${column} is ${p}`, {
        details: { argument: 'proposed.probabilities', row, column, value: String(p) },
      });
    }
  }
  if (versions !== undefined && versions.length !== rows) {
    throw new DissonanceError('E_INPUT', `proposed.versions must name one version per row (${rows}), got ${versions.length}`);
  }
  return { probabilities: probabilities.slice(), versions: versions === undefined ? new Array<string>(rows).fill('external') : [...versions] };
}

/**
 * A registry champion (e.g. a model adopted from MLflow, whose width and classes come from its signature) must
 * take the engine's input width and give its classes: `E_MODEL` before its artifact is fetched otherwise.
 */
function checkChampionShape(current: ModelVersion, proposer: { readonly inputWidth: number; readonly classes: number }): void {
  if (current.inputWidth !== proposer.inputWidth || current.classes !== proposer.classes) {
    throw new DissonanceError(
      'E_MODEL',
      `champion ${current.name} version ${current.version} is ${current.inputWidth}→${current.classes} but the engine's models are ` +
        `${proposer.inputWidth}→${proposer.classes}`,
      { details: { name: current.name, version: current.version, inputWidth: current.inputWidth, classes: current.classes } },
    );
  }
}
