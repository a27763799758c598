import { createNoopMeter, metrics, type Counter, type Histogram, type Meter } from '@opentelemetry/api';
import { TRACER_NAME } from './tracer.js';

/** Bucket boundaries of the dissonance histogram: dense around the POC's `D_target` (0.12). */
export const DISSONANCE_BUCKETS: readonly number[] = [
  0, 0.01, 0.02, 0.05, 0.08, 0.1, 0.12, 0.15, 0.2, 0.3, 0.5, 0.75, 1,
];

/** Bucket boundaries of the stage-duration histogram, in seconds (those of `http.server.request.duration`). */
export const DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** The API's shared no-op histogram: what every histogram is while no MeterProvider is registered. */
const NOOP_HISTOGRAM = createNoopMeter().createHistogram('noop');

/** What the observable gauges read when a collection runs. */
export interface EngineGaugeSources {
  readonly modelName: string;
  /** The serving champion's version, when the engine is ready. */
  champion(): string | undefined;
  /** Examples in the replay buffer. */
  replayDepth(): Promise<number>;
}

/**
 * The engine's instruments, created through the OpenTelemetry metrics API (no-ops until the app registers a
 * MeterProvider). Names follow the semantic-conventions rules: a `dissonance.` namespace, UCUM units,
 * `{annotation}` units for counts. See docs/observability.md for the list.
 */
export class EngineMetrics {
  /** `dissonance.item.dissonance` (1): one value per item. */
  readonly dissonance: Histogram;
  /** `dissonance.items` ({item}) by `dissonance.outcome` = example | unlabelled | blocked | deferred | failed. */
  readonly items: Counter;
  /** `dissonance.gate.decisions` ({decision}) by `dissonance.gate`, `dissonance.decision`, `dissonance.reason`. */
  readonly gateDecisions: Counter;
  /** `dissonance.labels.requested` ({label}). */
  readonly labelsRequested: Counter;
  /** `dissonance.retrains` ({retrain}) by `dissonance.outcome` = promote | canary | reject | failed. */
  readonly retrains: Counter;
  /** `dissonance.promotions` ({promotion}). */
  readonly promotions: Counter;
  /** `dissonance.rollbacks` ({rollback}) by `dissonance.stage` = validate | canary | manual. */
  readonly rollbacks: Counter;
  /** `dissonance.stage.duration` (s) by `dissonance.stage`. */
  readonly stageDuration: Histogram;
  /**
   * False while the meter is the API's no-op (no SDK registered when the engine was created): the hot path
   * then skips the clock reads and per-item records that nobody would collect.
   */
  readonly recording: boolean;
  readonly #meter: Meter;

  constructor(meter: Meter = metrics.getMeter(TRACER_NAME)) {
    this.#meter = meter;
    this.dissonance = meter.createHistogram('dissonance.item.dissonance', {
      description: 'Dissonance between proposer and critics, one value per item',
      unit: '1',
      advice: { explicitBucketBoundaries: [...DISSONANCE_BUCKETS] },
    });
    this.items = meter.createCounter('dissonance.items', {
      description: 'Items reconciled, by outcome',
      unit: '{item}',
    });
    this.gateDecisions = meter.createCounter('dissonance.gate.decisions', {
      description: 'Reconcile gate decisions, by gate, decision and reason',
      unit: '{decision}',
    });
    this.labelsRequested = meter.createCounter('dissonance.labels.requested', {
      description: 'Items sent to the label sources',
      unit: '{label}',
    });
    this.retrains = meter.createCounter('dissonance.retrains', {
      description: 'Retrains, by outcome',
      unit: '{retrain}',
    });
    this.promotions = meter.createCounter('dissonance.promotions', {
      description: 'Champion promotions',
      unit: '{promotion}',
    });
    this.rollbacks = meter.createCounter('dissonance.rollbacks', {
      description: 'Candidates rejected or rolled back, by stage',
      unit: '{rollback}',
    });
    this.stageDuration = meter.createHistogram('dissonance.stage.duration', {
      description: 'Duration of a loop stage',
      unit: 's',
      advice: { explicitBucketBoundaries: [...DURATION_BUCKETS] },
    });
    this.recording = this.stageDuration !== NOOP_HISTOGRAM;
  }

  /**
   * Registers the gauges `dissonance.champion.version` (the numeric version, with `dissonance.model.version`
   * as an attribute) and `dissonance.replay_buffer.depth` ({example}). Returns a function that unregisters them.
   */
  observe(sources: EngineGaugeSources): () => void {
    const champion = this.#meter.createObservableGauge('dissonance.champion.version', {
      description: 'Version of the serving champion',
      unit: '1',
    });
    const depth = this.#meter.createObservableGauge('dissonance.replay_buffer.depth', {
      description: 'Examples in the replay buffer',
      unit: '{example}',
    });
    const readChampion = (result: { observe(value: number, attributes?: Record<string, string>): void }): void => {
      const version = sources.champion();
      if (version === undefined) return;
      const numeric = Number(version);
      result.observe(Number.isFinite(numeric) ? numeric : 0, {
        'dissonance.model.name': sources.modelName,
        'dissonance.model.version': version,
      });
    };
    const readDepth = async (result: { observe(value: number): void }): Promise<void> => {
      try {
        result.observe(await sources.replayDepth());
      } catch {
        // Store unreachable: no point this collection; health() reports it.
      }
    };
    champion.addCallback(readChampion);
    depth.addCallback(readDepth);
    return () => {
      champion.removeCallback(readChampion);
      depth.removeCallback(readDepth);
    };
  }
}
