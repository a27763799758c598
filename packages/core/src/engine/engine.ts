import { context, type Tracer } from '@opentelemetry/api';
import { EventEmitter } from 'eventemitter3';
import PQueue from 'p-queue';
import type { Clock } from '../clock/clock.js';
import { DissonanceError, toDissonanceError } from '../errors.js';
import { chainLabels, quarantineRouting, type QuarantineRouting } from '../labels/index.js';
import { createArtifactSigner, type ArtifactSigner } from '../security/artifact-signer.js';
import { createArtifactVerifier, type ArtifactVerifier } from '../security/trust-policy.js';
import type { Batch } from '../ports/batch.js';
import type { CommitteeDetector } from '../ports/detector.js';
import type { Gate } from '../ports/gate.js';
import type { LabelSource } from '../ports/label-source.js';
import type { LoadedModel, PairedModels } from '../ports/model.js';
import type { ModelRegistry } from '../ports/registry.js';
import type { Store } from '../ports/store.js';
import {
  checkFiniteFeatures,
  finiteExamplesTrainer,
  type NonFiniteExample,
  validateBatchShape,
} from '../reconcile/index.js';
import { resolveGates } from './gates.js';
import { isNonFinite, OUTPUT_TOLERANCE, screenRows } from '../reconcile/gate-rows.js';
import { measureAndScreenTotalVariation } from '../reconcile/screen-total-variation.js';
import { pairwiseDetectorOf } from '../detect/proposer-vs-critics.js';
import { totalVariation } from '../detect/total-variation.js';
import { policySchema, type Policy, type PolicyPatch } from '../schema/policy.js';
import { reportLifecycle } from '../telemetry/engine-listeners.js';
import { createInstrumentation, stageSpan, stageSpanSync, type Instrumentation } from '../telemetry/instrumentation.js';
import { describeIssues } from './config-schema.js';
import type { EngineConfig } from './config.js';
import { resolveEngineConfig, type ResolvedEngineConfig } from './resolve-config.js';
import { Scheduler } from './scheduler.js';
import { bootstrapChampion, leftChallenger, movedChampion, type ChampionDeps } from './champion.js';
import { FeedbackIntake, type FeedbackItem, type FeedbackOptions, type FeedbackOutcome } from './feedback-intake.js';
import { newCounters, type LoopCounters } from './counters.js';
import { DeferredQueue } from './deferred-queue.js';
import type { EngineEvents, ErrorEvent } from './events.js';
import { CHAMPION, Lifecycle, RETRAIN_COUNT_KEY } from './lifecycle.js';
import { reconcileItems, reconcileRows, type ReconcileOutcome } from './reconcile-items.js';
import { BatchRows, RowIds, sanitizeNonFinite } from './batch-rows.js';
import { ScannedCopies } from '../simd/scanned-copies.js';
import { untilAborted } from '../util/until-aborted.js';
import { BatchQueue } from './batch-queue.js';
import type { PendingItem } from './pending-item.js';
import { LabelWatch } from './label-watch.js';
import type { StopOptions } from './stop-options.js';
import { serveBatch, servedVersions, type Served } from './serve.js';
import { ModelLeases } from './model-leases.js';
import { ModelPairs } from './model-pairs.js';
import { startSource, type Source, type SourceHandle } from './source.js';
import { LoopTurns } from './loop-turns.js';
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
  readonly outcome: {
    readonly examples: number;
    readonly unlabelled: number;
    readonly blocked: number;
    readonly deferred: number;
  };
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
  /**
   * Gives up on the batch while it waits to be accepted (for the engine to start, or for room in a full queue
   * with `overload: 'wait'`): `process()` then rejects with `E_ABORTED` and nothing is accepted. A batch once
   * accepted is always run and reconciled; aborting then changes nothing. An HTTP server passes the request's
   * signal, so a client that gave up does not spend model time.
   */
  readonly signal?: AbortSignal;
}

/** What `stop` resolves with: the final counters. */
export type EngineSummary = Readonly<LoopCounters>;

/**
 * The self-correcting loop: generate → detect → reconcile → retrain. Create with {@link createEngine}.
 * Batches are generated and detected concurrently and reconciled in acceptance order.
 */
export class Engine {
  readonly modelName: string;
  readonly registry: ModelRegistry;
  readonly store: Store;
  /** The engine's events; only the engine emits on it (no public `emit`). */
  readonly #events = new EventEmitter<EngineEvents>();
  readonly #config: ResolvedEngineConfig;
  readonly #clock: Clock;
  readonly #tracer: Tracer;
  readonly #verifier: ArtifactVerifier | undefined;
  readonly #signer: ArtifactSigner | undefined;
  readonly #telemetry: Instrumentation;
  #unobserve: (() => void) | undefined;
  readonly #detector: CommitteeDetector;
  /** The detector is total variation, proposer vs critics (the default): detect runs a fused kernel. */
  readonly #detectsTotalVariation: boolean;
  readonly #labels: LabelSource | undefined;
  /** Issue 16: items above maxDissonance go to the label sources; only oracle/feedback answers are kept. */
  readonly #routing: QuarantineRouting | undefined;
  readonly #watch: LabelWatch;
  readonly #gates: readonly Gate[];
  readonly #queue: BatchQueue;
  readonly #retrainQueue = new PQueue({ concurrency: 1 });
  readonly #counters = newCounters();
  readonly #deferred = new DeferredQueue();
  readonly #leases = new ModelLeases();
  readonly #pairs: ModelPairs;
  /** Feature copies of batches, reused once a batch is reconciled. */
  readonly #copies = new ScannedCopies();
  /** Ids of replay examples already reported as left out of retrains. */
  readonly #quarantinedIds = new Set<string>();
  readonly #inline: boolean;
  /** Every timer of the engine (names: `cooldown`, `deferred`, `interval`, `refresh`, `registryRetry`). */
  readonly #timers: Scheduler<'cooldown' | 'deferred' | 'interval' | 'refresh' | 'registryRetry'>;
  readonly #champions: ChampionDeps;
  readonly #feedback: FeedbackIntake;
  #policy: Policy;
  #lifecycle: Lifecycle | undefined;
  #ready: Promise<void>;
  /** `#ready` resolved: `process()` need not wait a tick on it. */
  #isReady = false;
  /**
   * Settles once every accepted batch so far is reconciled (batches reconcile in order); undefined when none is in
   * flight, so that a batch need not wait a tick on a settled promise.
   */
  #reconcileTail: Promise<void> | undefined;
  #batchSeq = 0;
  /** Prefix of default item ids: batch numbers restart with every engine, stored examples must not collide. */
  readonly #runId = runId();
  #examplesSinceRetrain = 0;
  #retrainPending = false;
  /** The running (or queued) fit's controller: aborted when superseded or abandoned by `stop()`. */
  #fit: AbortController | undefined;
  /** A retrain was asked for while one ran: run one follow-up when it ends (coalesced). */
  #followUp = false;
  #lastRetrainEnd = Number.NEGATIVE_INFINITY;
  #abandonRetrain = false;
  readonly #turns = new LoopTurns(10);
  #source: SourceHandle | undefined;
  #stopping = false;
  #stopped = false;
  #lastProgressAt: number;
  #lastError: string | undefined;

  /** Use {@link createEngine}. */
  constructor(options: EngineConfig) {
    const config = resolveEngineConfig(options);
    this.#config = config;
    this.modelName = config.modelName;
    this.registry = config.registry;
    this.store = config.store;
    this.#clock = config.clock;
    this.#timers = new Scheduler(config.clock);
    this.#tracer = config.tracer;
    this.#verifier = config.trust === undefined ? undefined : createArtifactVerifier(config.trust);
    this.#signer = config.signing === undefined ? undefined : createArtifactSigner(config.signing);
    this.#champions = {
      modelName: config.modelName,
      registry: config.registry,
      proposer: config.proposer,
      runtime: config.runtime,
      golden: config.golden,
      signer: this.#signer,
      verifier: this.#verifier,
    };
    this.#telemetry = createInstrumentation({ tracer: this.#tracer, meter: config.meter, logger: config.logger });
    this.#pairs = new ModelPairs(config.critics, this.#telemetry.logger);
    reportLifecycle(this.#events, this.#telemetry);
    this.#policy = config.policy;
    this.#detector = config.detector;
    this.#detectsTotalVariation = pairwiseDetectorOf(config.detector) === totalVariation;
    const sources = config.labels;
    const chained = sources.length === 0 ? undefined : sources.length === 1 ? sources[0] : chainLabels(...sources);
    this.#routing = chained === undefined ? undefined : quarantineRouting(chained, () => this.#policy.maxDissonance);
    this.#labels = this.#routing;
    this.#watch = new LabelWatch({
      events: this.#events,
      logger: this.#telemetry.logger,
      sources,
      routing: this.#routing,
      meter: config.meter,
    });
    const width = config.proposer.inputWidth;
    const getPolicy = (): Policy => this.#policy;
    const routed = this.#routing !== undefined;
    const gateContext = {
      policy: getPolicy,
      clock: this.#clock,
      golden: config.golden,
      inputWidth: width,
      routed,
      tolerance: OUTPUT_TOLERANCE,
    };
    this.#gates = resolveGates(gateContext, config.gates);
    this.#inline = config.retrain.mode === 'inline';
    this.#queue = new BatchQueue(config.concurrency);
    this.#feedback = new FeedbackIntake({
      store: this.store,
      now: () => this.#clock.now(),
      inputWidth: width,
      classes: config.proposer.classes,
      championVersion: () => this.championVersion,
      outputs: (x, rows) => this.#championAndCritics(x, rows),
      retrain: () => this.#retrainAndSettle(false),
      onRetrainError: (error) =>
        this.#emitError('retrain', toDissonanceError(error, 'E_TRAINER', 'retrain started by feedback failed')),
    });
    this.#lastProgressAt = this.#clock.now();
    this.#ready = this.#init();
    // Surface init failures through ready()/process(); avoid an unhandled rejection before anyone awaits.
    this.#ready.then(
      () => (this.#isReady = true),
      () => undefined,
    );
  }

  /** Resolves once the engine has registered or loaded its champion and restored persisted state. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Adds `listener` for `event` (see {@link EngineEvents}). */
  on<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): this {
    this.#events.on(event, listener as never);
    return this;
  }

  /** Adds `listener` for the next `event` only. */
  once<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): this {
    this.#events.once(event, listener as never);
    return this;
  }

  /** Removes `listener` from `event` (every listener of `event` when none is given). */
  off<E extends keyof EngineEvents>(event: E, listener?: EngineEvents[E]): this {
    this.#events.off(event, listener as never);
    return this;
  }

  /** Adds `listener` for `event` and returns the function that removes it again. */
  subscribe<E extends keyof EngineEvents>(event: E, listener: EngineEvents[E]): () => void {
    this.#events.on(event, listener as never);
    return () => {
      this.#events.off(event, listener as never);
    };
  }

  /** Number of listeners of `event`. */
  listenerCount(event: keyof EngineEvents): number {
    return this.#events.listenerCount(event);
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
    const champion = await bootstrapChampion(this.#champions);
    const golden = config.golden;
    const reference = config.reference;
    this.#lifecycle = new Lifecycle(
      {
        modelName: this.modelName,
        registry: this.registry,
        store: this.store,
        // Examples a model answers NaN on never reach the trainer (one would fail every fit).
        trainer:
          config.trainer === undefined
            ? undefined
            : finiteExamplesTrainer(config.trainer, (q) => this.#quarantineExamples(q)),
        critics: config.critics,
        detector: this.#detector,
        golden,
        reference,
        policy: () => this.#policy,
        events: this.#events,
        counters: this.#counters,
        telemetry: this.#telemetry,
        now: () => this.#clock.now(),
        maxExamples: config.retrain.maxExamples,
        canary: {
          fraction: config.rollout.canaryFraction,
          samples: config.rollout.canarySamples,
          minLabelled: config.rollout.canaryMinLabelled,
          dissonanceTolerance: config.rollout.dissonanceTolerance,
        },
        seed: config.retrain.seed,
        retire: async (model) => {
          await Promise.all([this.#pairs.retire(model), this.#leases.retire(model)]);
        },
        signer: this.#signer,
      },
      champion,
    );
    this.#lifecycle.restoreRetrainCount(await this.store.getValue(RETRAIN_COUNT_KEY));
    // A canary a previous engine left (`stop({ canary: 'leave' })`) goes on here. One that cannot be loaded is
    // reported and left in the registry; the champion serves.
    const lifecycle = this.#lifecycle;
    // (Not with `canaryFraction: 0`, where no canary could gather evidence: the next retrain replaces it.)
    if (config.rollout.canaryFraction > 0)
      await this.#guard('refresh', async () => {
        const left = await leftChallenger(this.#champions, champion.version);
        if (left !== undefined) await lifecycle.resumeCanary(left.model, left.version);
      });
    const restored = DeferredQueue.fromJson(await this.store.getValue(DEFERRED_KEY));
    if (restored.length > 0) {
      for (const item of restored) this.#deferred.add(item);
      this.#counters.accepted += restored.length;
      this.#counters.deferred += restored.length;
      await this.store.deleteValue(DEFERRED_KEY);
      this.#scheduleDeferred();
    }
    const everyMs = config.retrain.everyMs;
    if (everyMs !== undefined) this.#scheduleInterval(everyMs);
    if (config.championRefreshMs !== undefined) this.#scheduleRefresh(config.championRefreshMs);
    this.#unobserve = this.#telemetry.metrics.observe({
      modelName: this.modelName,
      champion: () => this.#lifecycle?.serving.champion.version,
      replayDepth: () => this.store.countExamples(),
    });
  }

  #scheduleRefresh(everyMs: number): void {
    this.#timers.set('refresh', everyMs, () => {
      if (this.#stopping) return;
      void this.refreshChampion().finally(() => {
        if (!this.#stopping) this.#scheduleRefresh(everyMs);
      });
    });
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
        if (
          moved.version !== this.#life().serving.champion.version &&
          this.#supersedeFit(`champion moved to version ${moved.version}`)
        ) {
          this.#followUp = true;
        }
      });
    }
    await this.#retrainQueue.add(() =>
      this.#guard('refresh', async () => {
        const life = this.#life();
        const model = await movedChampion(this.#champions, life.serving.champion.version);
        if (model === undefined) return;
        life.adopt(model);
        swapped = true;
      }),
    );
    return swapped;
  }

  #life(): Lifecycle {
    if (this.#lifecycle === undefined)
      throw new DissonanceError('E_STOPPED', 'engine is not ready: await engine.ready()');
    return this.#lifecycle;
  }

  /**
   * Runs one batch through the loop and resolves once it is reconciled. Rejects with `E_INPUT` (nothing
   * accepted), `E_OVERLOADED` (queue full with `overload: 'reject'`), `E_ABORTED` (`options.signal` aborted
   * before the batch was accepted), `E_STOPPED`, or the model's error
   * (the batch's rows are counted as failed). `batch.x` and `batch.ids` are copied before `process()` returns
   * control, so the caller may refill them at once, even before {@link ready} resolves.
   */
  async process(batch: Batch, options: ProcessOptions = {}): Promise<BatchResult> {
    if (this.#stopping) throw new DissonanceError('E_STOPPED', 'engine is stopping or stopped; process() refused');
    const width = this.#config.proposer.inputWidth;
    validateBatchShape(batch, { width, maxRows: this.#config.maxBatchRows });
    // Copy before anything waits (the caller may reuse its buffer once process() returns control, even while
    // the engine is starting or the queue is full), scanned as it is made.
    const { copy: x, nonFinite } = this.#copies.copy(batch.x);
    // The ids too: they are read when labels, events and examples need them, long after this call returns.
    const ids = batch.ids?.slice();
    // Until the batch is queued, every refusal gives the copy back: no model has seen it.
    let proposed: Served | undefined;
    try {
      if (nonFinite) checkFiniteFeatures(batch.x, width, batch.ids);
      if (options.proposed !== undefined)
        proposed = checkProposed(options.proposed, batch.rows, this.#config.proposer.classes);
      const signal = options.signal;
      if (signal?.aborted === true) throw abortedError(signal);
      if (!this.#isReady) await untilAborted(this.#ready, signal, abortedError);
      // A batch that finds room starts in the caller's turn: no await then.
      const room = this.#waitForRoom();
      if (room !== undefined) await untilAborted(room, signal, abortedError);
    } catch (error) {
      this.#copies.give(x);
      throw error;
    }
    return this.#enqueue(batch.rows, x, ids, proposed);
  }

  /** Resolves once the queue has room (or throws `E_OVERLOADED` / `E_STOPPED`); no tick when it has room. */
  #waitForRoom(): Promise<void> | undefined {
    const maxQueue = this.#config.maxQueue;
    if (this.#queue.size < maxQueue) return undefined;
    if (this.#config.overload === 'reject') {
      throw new DissonanceError('E_OVERLOADED', `${this.#queue.size} batches waiting (maxQueue ${maxQueue})`, {
        details: { queued: this.#queue.size, maxQueue },
      });
    }
    return this.#queue.onSizeLessThan(maxQueue).then(() => {
      if (this.#stopping) throw new DissonanceError('E_STOPPED', 'engine stopped while the batch waited for room');
    });
  }

  /** Accepts a checked batch of `rows` whose features and ids are copies the engine owns: queues it, counts it. */
  #enqueue(
    rows: number,
    x: Float32Array,
    givenIds: readonly string[] | undefined,
    proposed: Served | undefined,
  ): Promise<BatchResult> {
    const seq = ++this.#batchSeq;
    const batchId = `b${seq}`;
    // Default ids (`<run>:b7:0`, `<run>:b7:1`, …) are made only when something reads them.
    const ids = new RowIds(`${this.#runId}:${batchId}`, rows, givenIds);
    this.#counters.accepted += rows;
    let release!: () => void;
    const previous = this.#reconcileTail;
    const tail = new Promise<void>((resolve) => (release = resolve));
    this.#reconcileTail = tail;
    return this.#queue.add(
      async () => {
        try {
          const result = await this.#runBatch(batchId, x, rows, ids, previous, proposed);
          // Reconciled: nothing holds a view of the copy any more. (After a failure a model may still be reading it.)
          this.#copies.give(x);
          return result;
        } finally {
          release();
          if (this.#reconcileTail === tail) this.#reconcileTail = undefined;
        }
      },
      // A batch that waits starts from another batch's completion: bound to the caller's context.
      (task) => context.bind(context.active(), task),
    );
  }

  async #runBatch(
    batchId: string,
    x: Float32Array,
    rows: number,
    ids: RowIds,
    previous: Promise<void> | undefined,
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
      // A release disposes (and returns a promise) only for a retired model's last batch.
      const released = this.#leases.releaseNow(champion);
      if (released !== undefined) await released;
      if (canary !== undefined) await this.#leases.release(canary.model);
    }
  }

  async #generateAndReconcile(
    batchId: string,
    x: Float32Array,
    rows: number,
    ids: RowIds,
    previous: Promise<void> | undefined,
    champion: LoadedModel,
    canary: Lifecycle['serving']['challenger'],
    k: number,
    proposed?: Served,
  ): Promise<BatchResult> {
    let served: Served;
    let critics: Float32Array[];
    let dissonance: Float32Array;
    let nonFinite: Uint8Array | undefined;
    // The batch's dissonance range, when the detect stage knows it (its screen flagged no row); NaN: unknown.
    let low = NaN;
    let high = NaN;
    // The champion and its one critic as one model, once the runtime paired them (onnxruntime: one session).
    const pair = proposed === undefined && canary === undefined ? this.#pairs.ready(champion) : undefined;
    try {
      [served, critics] = await (pair !== undefined
        ? this.#runPair(pair, champion, x, rows)
        : Promise.all([
            // Outputs a proposer elsewhere produced (a detect stage worker) stand in for the champion's.
            proposed ??
              this.#generateSpan(champion, rows, () =>
                serveBatch(x, rows, canary === undefined ? NO_IDS : ids.all(), champion, canary),
              ),
            Promise.all(this.#config.critics.map((c) => c.run(x, rows))),
          ]));
      const probs = served.probabilities;
      dissonance = stageSpanSync(
        this.#telemetry,
        'detect',
        { 'dissonance.detector': this.#detector.name, 'dissonance.batch.size': rows },
        (span) => {
          const expected = rows * k;
          const got = (out: unknown): string =>
            out instanceof Float32Array ? `${out.length} values` : 'something other than a Float32Array';
          if (!(probs instanceof Float32Array) || probs.length !== expected) {
            throw new DissonanceError(
              'E_MODEL',
              `proposer ${champion.name}@${served.version} returned ${got(probs)}, expected ${expected}`,
            );
          }
          for (const [j, q] of critics.entries()) {
            if (!(q instanceof Float32Array) || q.length !== expected) {
              throw new DissonanceError(
                'E_MODEL',
                `critic ${this.#config.critics[j]?.name} returned ${got(q)}, expected ${expected}`,
              );
            }
          }
          let values: Float32Array;
          if (critics.length === 1 && this.#detectsTotalVariation) {
            // The default: total variation and the screen in one pass over both arrays.
            ({
              values,
              flags: nonFinite,
              min: low,
              max: high,
            } = measureAndScreenTotalVariation(probs, critics[0]!, rows, k, OUTPUT_TOLERANCE));
          } else {
            values = this.#detector.measure([probs, ...critics], rows, k);
            // One pass flags rows for the `finite` and `validate` gates; callers never see NaN dissonance.
            nonFinite = screenRows(probs, critics, values, rows, k, OUTPUT_TOLERANCE);
          }
          if (span.isRecording()) {
            const { mean, max } = meanMax(values, nonFinite);
            span.setAttributes({ 'dissonance.mean': mean, 'dissonance.max': max });
          }
          return values;
        },
      );
    } catch (error) {
      if (previous !== undefined) await previous;
      this.#counters.failed += rows;
      this.#telemetry.metrics.items.add(rows, { 'dissonance.outcome': 'failed' });
      const wrapped = toDissonanceError(error, 'E_MODEL', `batch ${batchId} failed in generate/detect`);
      this.#lastError = wrapped.message;
      this.#emitError('generate', wrapped, batchId);
      throw wrapped;
    }
    if (previous !== undefined) await previous;
    return this.#reconcileBatch(batchId, x, rows, ids, served, critics, dissonance, nonFinite, low, high);
  }

  /** `work` in the `generate` stage's span. */
  #generateSpan<T>(champion: LoadedModel, rows: number, work: () => Promise<T>): Promise<T> {
    const attributes = {
      'dissonance.model.name': this.modelName,
      'dissonance.batch.size': rows,
      'dissonance.model.version': champion.version,
    };
    return stageSpan(this.#telemetry, 'generate', attributes, work);
  }

  /** Generate through the champion's pair with the critic: the served outputs and the critic's. */
  async #runPair(
    pair: PairedModels,
    champion: LoadedModel,
    x: Float32Array,
    rows: number,
  ): Promise<[Served, Float32Array[]]> {
    try {
      const [probabilities, critic] = await this.#generateSpan(champion, rows, () => pair.run(x, rows));
      return [{ probabilities, version: champion.version }, [critic]];
    } catch (error) {
      this.#pairs.drop(champion, pair);
      throw error;
    }
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
    low: number,
    high: number,
  ): Promise<BatchResult> {
    const life = this.#life();
    const probs = served.probabilities;
    const nonFiniteRows = sanitizeNonFinite(nonFinite, dissonance);
    // Event payloads are built only for listeners.
    if (this.#events.listenerCount('proposed') > 0)
      this.#events.emit('proposed', {
        batchId,
        ids: ids.all(),
        probabilities: probs,
        versions: servedVersions(served, rows),
      });
    const metrics = this.#telemetry.metrics;
    if (metrics.recording) {
      for (let r = 0; r < rows; r++)
        if (nonFinite === undefined || !isNonFinite(nonFinite[r]!)) metrics.dissonance.record(dissonance[r]!);
    }
    if (this.#events.listenerCount('dissonance') > 0) {
      const { mean, max } = meanMax(dissonance, nonFinite);
      this.#events.emit('dissonance', {
        batchId,
        ids: ids.all(),
        values: dissonance,
        mean,
        max,
        detector: this.#detector.name,
      });
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
      served.version,
      served.challengerRows,
      low,
      high,
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
    let outcome: ReconcileOutcome;
    try {
      outcome = await stageSpan(this.#telemetry, 'reconcile', { 'dissonance.batch.size': size }, (span) => {
        const context = {
          batchId,
          gates: this.#gates,
          labels: this.#labels,
          store: this.store,
          now: this.#clock.now(),
          events: this.#events,
          span,
          metrics: this.#telemetry.metrics,
          canary: life.serving.challenger?.tracker,
        };
        return items instanceof BatchRows
          ? reconcileRows({ ...context, rows: items })
          : reconcileItems({ ...context, items });
      });
    } catch (error) {
      // Nothing of these items was stored (examples are written last, in one append).
      const wrapped = reconcileError(error, batchId);
      this.#lastError = wrapped.message;
      if (!fromDeferred) {
        // A batch's rows are counted as failed; deferred items go back to their queue (see #retryDeferred).
        this.#counters.failed += size;
        this.#telemetry.metrics.items.add(size, { 'dissonance.outcome': 'failed' });
        this.#emitError('reconcile', wrapped, batchId);
      }
      throw wrapped;
    }
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
    if (life.serving.challenger !== undefined || this.#countTriggered() || this.#waitsOnLoop()) {
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
    const attributes = {
      'dissonance.gate': 'finite',
      'dissonance.decision': 'block',
      'dissonance.reason': 'non-finite-output',
    };
    this.#telemetry.metrics.gateDecisions.add(fresh.length, attributes);
    this.#events.emit('blocked', {
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
    if (this.#countTriggered()) await this.#triggerRetrain();
    // While a fit or a timer waits on the event loop, let it turn even if the caller never yields.
    if (this.#waitsOnLoop()) await this.#turns.letTurn();
  }

  /** True when enough examples arrived since the last retrain for the count trigger. */
  #countTriggered(): boolean {
    const every = this.#config.retrain.everyExamples;
    return every > 0 && this.#examplesSinceRetrain >= every;
  }

  /** True while something of the engine's needs the event loop to turn (a fit, a timer). */
  #waitsOnLoop(): boolean {
    return this.#retrainPending || this.#timers.pending;
  }

  /**
   * Starts a background retrain when none runs, no challenger is in its canary, the cooldown
   * (`retrain.minIntervalMs` since the last one ended; `force` skips it) is over and the replay buffer holds
   * `minExamples`. Asked while one runs, it runs one follow-up when that one ends, however often it was asked.
   */
  async #triggerRetrain(force = false, reportSkip = false): Promise<void> {
    // The public retrainNow() says why it did not retrain; automatic triggers (batches, feedback, a rollback's
    // refit) stay silent, or a service without a trainer would log it at every batch.
    const skip = (why: string): void => {
      if (reportSkip) this.#telemetry.logger.info({ event: 'retrain.skipped', reason: why }, `retrainNow: ${why}`);
    };
    if (this.#config.trainer === undefined) return skip('no trainer configured');
    if (this.#stopping && this.#abandonRetrain) return;
    if (this.#retrainPending) {
      // Inline mode keeps its batch-for-batch order: no follow-up the stream would not wait for.
      if (!this.#inline) this.#followUp = true;
      return;
    }
    // One candidate at a time: no retrain while a challenger is in its canary.
    if (this.challengerVersion !== undefined)
      return skip(`challenger ${this.challengerVersion} is still in its canary`);
    const wait = this.#lastRetrainEnd + this.#config.retrain.minIntervalMs - this.#clock.now();
    if (!force && wait > 0) {
      this.#scheduleCooldown(wait);
      return;
    }
    this.#retrainPending = true;
    const examples = await this.store.countExamples();
    if (examples < this.#config.retrain.minExamples) {
      this.#retrainPending = false;
      return skip(`${examples} examples, fewer than retrain.minExamples (${this.#config.retrain.minExamples})`);
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
    if (this.#timers.has('cooldown') || this.#stopping) return;
    this.#timers.set('cooldown', ms, () => {
      if (!this.#stopping) void this.#triggerRetrain();
    });
  }

  /** Cancels the running fit: its champion is no longer the one serving. True when there was one. */
  #supersedeFit(reason: string): boolean {
    if (this.#fit === undefined || this.#fit.signal.aborted) return false;
    this.#fit.abort(new DissonanceError('E_TRAINER', `superseded: ${reason}`));
    return true;
  }

  /** While a validated candidate waits for the registry, retry its registration every `registryRetryMs`. */
  #scheduleRegistrationRetry(): void {
    if (this.#timers.has('registryRetry') || this.#stopping || !this.#life().pendingRegistration) return;
    this.#timers.set('registryRetry', this.#config.retrain.registryRetryMs, () => {
      if (this.#stopping) return;
      void this.#retrainQueue.add(async () => {
        await this.#guard('retrain', () => this.#life().retryRegistration());
        this.#scheduleRegistrationRetry();
      });
    });
  }

  /**
   * Retrains now (when a trainer and enough examples are present); resolves when the candidate is settled. When
   * it does not retrain (no trainer, too few examples, a challenger still in its canary), it logs why at `info`
   * (`event: 'retrain.skipped'`). Rejects with `E_STOPPED` once `stop()` was called.
   */
  retrainNow(): Promise<void> {
    if (this.#stopping)
      return Promise.reject(new DissonanceError('E_STOPPED', 'engine is stopping or stopped; retrainNow() refused'));
    return this.#retrainAndSettle(true);
  }

  async #retrainAndSettle(reportSkip: boolean): Promise<void> {
    await this.#ready;
    await this.#triggerRetrain(true, reportSkip);
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

  #emitError(stage: ErrorEvent['stage'], error: DissonanceError, batchId?: string): void {
    // eventemitter3 does not throw on an unhandled 'error' event; the failure is also in health().
    this.#events.emit('error', { stage, error, ...(batchId === undefined ? {} : { batchId }) });
  }

  #scheduleDeferred(): void {
    const next = this.#deferred.nextRetryAt();
    if (next === undefined || this.#stopping) return;
    this.#timers.set('deferred', next - this.#clock.now(), () => void this.#retryDeferred());
  }

  /** Re-gates deferred items in order, behind any batch already accepted. */
  #retryDeferred(): Promise<void> {
    const run: Promise<void> = (this.#reconcileTail ?? Promise.resolve())
      .then(async () => {
        // Once stopping, the items stay queued: stop() persists them for the next engine.
        if (this.#stopping) return;
        const items = this.#deferred.takeAll();
        if (items.length === 0) return;
        try {
          await this.#reconcile(`deferred-${this.#clock.now()}`, items, true);
        } catch (error) {
          // None was stored: back in the queue (still counted as deferred), tried again after a pause.
          const retryAt = this.#clock.now() + DEFERRED_FAILURE_RETRY_MS;
          for (const item of items) this.#deferred.add({ ...item, retryAt: Math.max(item.retryAt, retryAt) });
          this.#emitError('deferred', toDissonanceError(error, 'E_LABELS', 'deferred items failed in reconcile'));
          this.#scheduleDeferred();
        }
      })
      .finally(() => {
        if (this.#reconcileTail === run) this.#reconcileTail = undefined;
      });
    this.#reconcileTail = run;
    return run;
  }

  #scheduleInterval(everyMs: number): void {
    this.#timers.set('interval', everyMs, () => {
      if (this.#stopping) return;
      if (this.#examplesSinceRetrain > 0) void this.#triggerRetrain();
      this.#scheduleInterval(everyMs);
    });
  }

  /**
   * Changes the policy at run time. The patch is validated strictly (unknown keys, non-finite numbers →
   * `E_POLICY`), persisted in the store and audited with who and when.
   */
  async updatePolicy(patch: PolicyPatch, meta: { who: string; reason?: string }): Promise<Policy> {
    await this.#ready;
    const parsed = policySchema.partial().strict().safeParse(patch);
    if (!parsed.success)
      throw new DissonanceError('E_POLICY', `invalid policy update: ${describeIssues(parsed.error)}`);
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
    this.#events.emit('policy', { who: meta.who, before, after });
    return after;
  }

  /**
   * Makes `version` (registered under the engine's model name) the champion: compare-and-set of the registry's
   * `champion` alias from the serving version, then the engine loads and swaps to it (digest and trust policy
   * checked; needs a `runtime`), audited as `model.promote` with `who`. When the engine cannot switch, the alias
   * is put back and `E_REGISTRY_CONFLICT` is thrown (nothing audited); when putting it back fails too,
   * `E_ALIAS_RESTORE` is thrown and emitted as an `error` event (stage `promote`). Promoting the serving
   * version changes nothing. Resolves with the champion before and after.
   */
  async promote(
    version: string,
    meta: { who: string; reason?: string },
  ): Promise<{ readonly champion: string; readonly previous: string }> {
    await this.#ready;
    const name = this.modelName;
    const before = this.championVersion;
    await this.registry.get(name, version);
    if (version === before) return { champion: version, previous: before };
    await this.registry.setAlias(name, CHAMPION, version, { expected: before });
    await this.refreshChampion();
    if (this.championVersion !== version) {
      try {
        await this.registry.setAlias(name, CHAMPION, before, { expected: version });
      } catch (error) {
        const cause = error instanceof Error ? error.message : String(error);
        const failure = new DissonanceError(
          'E_ALIAS_RESTORE',
          `the engine could not switch to version ${version}, and putting the champion alias back to ${before} failed: ${cause}`,
          { cause: error, details: { name, alias: CHAMPION, serving: before, alias_version: version } },
        );
        this.#lastError = failure.message;
        this.#emitError('promote', failure);
        throw failure;
      }
      throw new DissonanceError(
        'E_REGISTRY_CONFLICT',
        `the engine could not switch to version ${version}; champion stays ${before}`,
        {
          details: { name, version, champion: before },
        },
      );
    }
    await this.store.appendAudit({
      at: this.#clock.now(),
      who: meta.who,
      action: 'model.promote',
      before,
      after: version,
      reason: meta.reason ?? 'promoted',
    });
    return { champion: version, previous: before };
  }

  /**
   * Takes labelled items as training examples (origin `feedback`), exactly once per `who` and item id: a
   * re-sent id is counted as a duplicate and changes nothing; calls are serialized. Items are checked first
   * (`E_INPUT` names the item: width, finite features, label in range; nothing stored then). With a
   * `guard`: per-`who` item rate (`E_RATE_LIMITED`, `details.retryAfterMs`; more new items than the rate allows
   * in one call: `E_INPUT`), labels both models contradict
   * quarantined for review (see `QUARANTINE_KEY`), untrusted examples marked for the retrain share cap. Every
   * `retrainEvery` accepted items start a retrain (`retrainNow`). Resolves with what was accepted.
   */
  async feedback(items: readonly FeedbackItem[], options: FeedbackOptions): Promise<FeedbackOutcome> {
    if (this.#stopping) throw new DissonanceError('E_STOPPED', 'engine is stopping or stopped; feedback() refused');
    await this.#ready;
    return this.#feedback.submit(items, options);
  }

  /** Resolves once pending `feedback` calls and a retrain they started have settled. */
  async settled(): Promise<void> {
    await this.#feedback.settled();
  }

  /** The serving champion's and the critics' outputs on `rows` rows (the champion leased meanwhile). */
  async #championAndCritics(
    x: Float32Array,
    rows: number,
  ): Promise<{ proposer: Float32Array; critics: Float32Array[] }> {
    const champion = this.#life().serving.champion;
    this.#leases.acquire(champion);
    try {
      const [proposer, critics] = await Promise.all([
        champion.run(x, rows),
        Promise.all(this.#config.critics.map((c) => c.run(x, rows))),
      ]);
      return { proposer, critics };
    } finally {
      await this.#leases.release(champion);
    }
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
    this.#timers.close();
    this.#unobserve?.();
    await this.#pairs.close();
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
    const [registry, store] = await Promise.all([
      check(() => this.registry.ping()),
      check(() => this.store.countExamples()),
    ]);
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
      pairedWithCritic: life !== undefined && this.#pairs.isPaired(life.serving.champion),
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
    throw new DissonanceError(
      'E_INPUT',
      `proposed.probabilities must be a Float32Array of rows × classes = ${rows * classes} values`,
    );
  }
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1)) {
      const row = Math.floor(i / classes);
      const column = i - row * classes;
      throw new DissonanceError(
        'E_INPUT',
        `proposed.probabilities must hold finite values in [0, 1]: row ${row}, class ${column} is ${p}`,
        {
          details: { argument: 'proposed.probabilities', row, column, value: String(p) },
        },
      );
    }
  }
  if (versions !== undefined && versions.length !== rows) {
    throw new DissonanceError(
      'E_INPUT',
      `proposed.versions must name one version per row (${rows}), got ${versions.length}`,
    );
  }
  return {
    probabilities: probabilities.slice(),
    version: 'external',
    ...(versions === undefined ? {} : { versions: [...versions] }),
  };
}

/** `E_ABORTED` for a batch whose caller's signal aborted before it was accepted. */
function abortedError(signal: AbortSignal): DissonanceError {
  const reason: unknown = signal.reason;
  const text = reason instanceof Error ? reason.message : String(reason);
  return new DissonanceError('E_ABORTED', `the caller aborted before the batch was accepted: ${text}`, {
    details: { reason: text },
  });
}

/** After a deferred retry fails (a label source or store down), its items wait this long before the next. */
const DEFERRED_FAILURE_RETRY_MS = 10_000;

/**
 * A reconcile failure as the caller sees it: the store's and the engine's own codes as they are; anything else,
 * and the label sources' answers refused as bad input (the batch itself was checked before it was accepted), as
 * `E_LABELS` with the cause.
 */
function reconcileError(error: unknown, batchId: string): DissonanceError {
  if (error instanceof DissonanceError && error.code !== 'E_INPUT') return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new DissonanceError('E_LABELS', `batch ${batchId} failed in reconcile: ${reason}`, { cause: error });
}

/** Eight random characters naming one engine instance (its default item ids). */
function runId(): string {
  const uuid = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto?.randomUUID?.();
  return uuid !== undefined ? uuid.slice(0, 8) : Math.random().toString(36).slice(2, 10).padEnd(8, '0');
}
