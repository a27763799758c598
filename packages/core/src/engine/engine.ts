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
import type { ModelRegistry } from '../ports/registry.js';
import type { Store } from '../ports/store.js';
import { budgetGate, goldenGuard, quarantineGate, validateBatch, validateOutputGate } from '../reconcile/index.js';
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
import { reconcileItems } from './reconcile-items.js';
import type { PendingItem } from './pending-item.js';
import { LabelWatch } from './label-watch.js';
import type { StopOptions } from './stop-options.js';
import { serveBatch, type Served } from './serve.js';
import { ModelLeases } from './model-leases.js';
import { startSource, type Source, type SourceHandle } from './source.js';
import type { EngineHealth, PortHealth } from './health.js';

const DEFERRED_KEY = 'engine.deferred';
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
  readonly #maxBatchRows: number;
  readonly #maxQueue: number;
  readonly #everyExamples: number;
  readonly #minExamples: number;
  readonly #inline: boolean;
  #policy: Policy;
  #lifecycle: Lifecycle | undefined;
  #ready: Promise<void>;
  #reconcileTail: Promise<void> = Promise.resolve();
  #batchSeq = 0;
  #examplesSinceRetrain = 0;
  #retrainPending = false;
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
    this.#gates = [
      validateOutputGate({}),
      ...(config.golden === undefined ? [] : [goldenGuard(config.golden, width)]),
      // With label sources, items above maxDissonance are routed to them instead (#routing).
      ...(this.#routing === undefined ? [quarantineGate(getPolicy)] : []),
      budgetGate(getPolicy, this.#clock),
    ];
    this.#maxBatchRows = config.maxBatchRows ?? 4096;
    this.#maxQueue = config.maxQueue ?? 64;
    this.#everyExamples = config.retrain?.everyExamples ?? 100;
    this.#minExamples = config.retrain?.minExamples ?? 20;
    this.#inline = config.retrain?.mode === 'inline';
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
        trainer: config.trainer,
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
    validateBatch(batch, { width: this.#config.proposer.inputWidth, maxRows: this.#maxBatchRows });
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
    const ids = batch.ids ?? Array.from({ length: batch.rows }, (_, r) => `${batchId}:${r}`);
    // Copy: the caller may reuse its buffer once process() returns control.
    const x = batch.x.slice(0, batch.rows * this.#config.proposer.inputWidth);
    this.#counters.accepted += batch.rows;
    let release!: () => void;
    const previous = this.#reconcileTail;
    this.#reconcileTail = new Promise<void>((resolve) => (release = resolve));
    // Bound to the caller's context: p-queue may start the batch from another batch's completion.
    const result = this.#queue.add(context.bind(context.active(), async () => {
      try {
        return await this.#runBatch(batchId, x, batch.rows, ids, previous, proposed);
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
    ids: readonly string[],
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
    ids: readonly string[],
    previous: Promise<void>,
    champion: LoadedModel,
    canary: Lifecycle['serving']['challenger'],
    k: number,
    proposed?: Served,
  ): Promise<BatchResult> {
    let served;
    let critics: Float32Array[];
    let dissonance: Float32Array;
    try {
      [served, critics] = await Promise.all([
        // Outputs a proposer elsewhere produced (a detect stage worker) stand in for the champion's.
        proposed ??
        stageSpan(
          this.#telemetry,
          'generate',
          { 'dissonance.model.name': this.modelName, 'dissonance.batch.size': rows, 'dissonance.model.version': champion.version },
          () => serveBatch(x, rows, ids, champion, canary),
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
        const { mean, max } = meanMax(values);
        span.setAttributes({ 'dissonance.mean': mean, 'dissonance.max': max });
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
    return this.#reconcileBatch(batchId, x, rows, ids, served, critics, dissonance);
  }

  async #reconcileBatch(
    batchId: string,
    x: Float32Array,
    rows: number,
    ids: readonly string[],
    served: Served,
    critics: readonly Float32Array[],
    dissonance: Float32Array,
  ): Promise<BatchResult> {
    const life = this.#life();
    const width = this.#config.proposer.inputWidth;
    const k = this.#config.proposer.classes;
    const probs = served.probabilities;
    this.emit('proposed', { batchId, ids, probabilities: probs, versions: served.versions });
    const { mean, max } = meanMax(dissonance);
    const metrics = this.#telemetry.metrics;
    if (metrics.recording) for (const value of dissonance) metrics.dissonance.record(value);
    this.emit('dissonance', { batchId, ids, values: dissonance, mean, max, detector: this.#detector.name });
    const tracker = life.serving.challenger?.tracker;
    if (tracker !== undefined && served.challengerRows !== undefined) {
      for (let r = 0; r < rows; r++) tracker.recordServed(served.challengerRows[r] === 1, dissonance[r] ?? 0);
    }
    const items: PendingItem[] = [];
    for (let r = 0; r < rows; r++) {
      items.push({
        itemId: ids[r] ?? `${batchId}:${r}`,
        x: x.subarray(r * width, (r + 1) * width),
        proposer: probs.subarray(r * k, (r + 1) * k),
        critics: critics.map((q) => q.subarray(r * k, (r + 1) * k)),
        dissonance: dissonance[r] ?? 0,
        proposerVersion: served.versions[r] ?? life.serving.champion.version,
        ...(served.challengerRows === undefined ? {} : { challenger: served.challengerRows[r] === 1 }),
      });
    }
    const outcome = await this.#reconcile(batchId, items, false);
    return { batchId, ids, probabilities: probs, dissonance, outcome };
  }

  async #reconcile(
    batchId: string,
    items: readonly PendingItem[],
    fromDeferred: boolean,
  ): Promise<BatchResult['outcome']> {
    const life = this.#life();
    const outcome = await stageSpan(this.#telemetry, 'reconcile', { 'dissonance.batch.size': items.length }, (span) =>
      reconcileItems({
        batchId,
        items,
        gates: this.#gates,
        labels: this.#labels,
        store: this.store,
        now: this.#clock.now(),
        events: this,
        span,
        metrics: this.#telemetry.metrics,
        canary: life.serving.challenger?.tracker,
      }),
    );
    const c = this.#counters;
    if (fromDeferred) c.deferred -= items.length;
    c.blocked += outcome.blocked;
    c.deferred += outcome.deferredItems.length;
    c.processed += outcome.examples + outcome.unlabelled;
    c.examples += outcome.examples;
    c.unlabelled += outcome.unlabelled;
    for (const item of outcome.deferredItems) this.#deferred.add(item);
    if (outcome.deferredItems.length > 0) this.#scheduleDeferred();
    this.#lastProgressAt = this.#clock.now();
    this.#examplesSinceRetrain += outcome.examples;
    this.#watch.afterReconcile(fromDeferred ? 0 : items.length, {
      deferred: fromDeferred ? 0 : outcome.deferredItems.length,
      quarantinedBlocked: this.#routing === undefined ? outcome.blocked : 0,
    });
    await this.#afterReconcile();
    return {
      examples: outcome.examples,
      unlabelled: outcome.unlabelled,
      blocked: outcome.blocked,
      deferred: outcome.deferredItems.length,
    };
  }

  async #afterReconcile(): Promise<void> {
    const life = this.#life();
    if (life.serving.challenger !== undefined) {
      await this.#guard('retrain', () => life.settleCanary());
    }
    if (this.#everyExamples > 0 && this.#examplesSinceRetrain >= this.#everyExamples) {
      await this.#triggerRetrain();
    }
  }

  async #triggerRetrain(): Promise<void> {
    // One candidate at a time: no retrain while one is running or a challenger is in its canary.
    if (this.#config.trainer === undefined || this.#retrainPending || this.challengerVersion !== undefined) return;
    if ((await this.store.countExamples()) < this.#minExamples) return;
    this.#examplesSinceRetrain = 0;
    this.#retrainPending = true;
    const job = this.#retrainQueue.add(async () => {
      try {
        await this.#guard('retrain', () => this.#life().retrain());
      } finally {
        this.#retrainPending = false;
      }
      this.#scheduleRegistrationRetry();
    });
    if (this.#inline) await job;
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
    await this.#triggerRetrain();
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
    await this.#retrainQueue.onIdle();
    return this.#life().rollback(options);
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
   * A challenger still in its canary is judged on the evidence so far (`canary: 'settle'`, the default) or
   * left as the registry's `challenger` (`'leave'`); see {@link StopOptions}.
   */
  async stop(options: StopOptions = {}): Promise<EngineSummary> {
    if (this.#stopped) return this.counters;
    this.#stopping = true;
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

function meanMax(values: Float32Array): { mean: number; max: number } {
  let sum = 0;
  let max = 0;
  for (const v of values) {
    sum += v;
    if (v > max) max = v;
  }
  return { mean: values.length === 0 ? 0 : sum / values.length, max };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Checks the outputs handed to `process` by a proposer elsewhere; `E_INPUT` names the problem. */
function checkProposed(proposed: NonNullable<ProcessOptions['proposed']>, rows: number, classes: number): Served {
  const { probabilities, versions } = proposed;
  if (!(probabilities instanceof Float32Array) || probabilities.length !== rows * classes) {
    throw new DissonanceError('E_INPUT', `proposed.probabilities must be a Float32Array of rows × classes = ${rows * classes} values`);
  }
  for (const p of probabilities) {
    if (!Number.isFinite(p) || p < 0 || p > 1) throw new DissonanceError('E_INPUT', 'proposed.probabilities must hold finite values in [0, 1]');
  }
  if (versions !== undefined && versions.length !== rows) {
    throw new DissonanceError('E_INPUT', `proposed.versions must name one version per row (${rows}), got ${versions.length}`);
  }
  return { probabilities: probabilities.slice(), versions: versions === undefined ? new Array<string>(rows).fill('external') : [...versions] };
}
