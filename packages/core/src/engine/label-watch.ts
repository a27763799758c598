import { metrics, type Gauge, type Meter } from '@opentelemetry/api';
import type { EventEmitter } from 'eventemitter3';
import { TRACER_NAME } from '../telemetry/tracer.js';
import type { Logger } from '../logging/logger.js';
import type { LabelSavings } from '../labels/label-savings.js';
import type { QuarantineRouting } from '../labels/quarantine-route.js';
import type { LabelSource } from '../ports/label-source.js';
import type { EngineEvents } from './events.js';

/** Items per window over which the deferred and quarantined shares are judged. */
export const WARNING_WINDOW_ITEMS = 256;
/** Share of a window's items deferred or quarantined above which a `warning` is emitted. */
export const WARNING_SHARE = 0.2;

/** An oracle-like label source: a budget, its use and the control arm's measure. */
interface BudgetedSource extends LabelSource {
  readonly budget: number;
  readonly remaining: number;
  readonly offered: number;
  readonly savings?: LabelSavings;
}

function budgeted(source: LabelSource): source is BudgetedSource {
  const s = source as Partial<BudgetedSource>;
  return typeof s.remaining === 'number' && typeof s.budget === 'number' && typeof s.offered === 'number';
}

/**
 * Watches what reconcile did, window by window, and says so when the loop is starving: a `warning` event plus
 * a log line when more than {@link WARNING_SHARE} of a window's items were deferred (hourly bucket) or
 * quarantined (above `maxDissonance` with no oracle label), or when a label budget is spent; and a `savings`
 * event (and the gauge `dissonance.labels.savings`, attribute `dissonance.label_source`) whenever an
 * oracle's control arm adds a label. Not part of the public API.
 */
export class LabelWatch {
  readonly #events: EventEmitter<EngineEvents>;
  readonly #logger: Logger;
  readonly #sources: readonly BudgetedSource[];
  readonly #routing: QuarantineRouting | undefined;
  readonly #spent = new Set<BudgetedSource>();
  readonly #controlSeen = new Map<BudgetedSource, number>();
  readonly #savingsGauge: Gauge;
  #items = 0;
  #deferred = 0;
  #quarantined = 0;
  #routedBefore = 0;

  constructor(deps: {
    events: EventEmitter<EngineEvents>;
    logger: Logger;
    sources: readonly LabelSource[];
    routing: QuarantineRouting | undefined;
    meter?: Meter | undefined;
  }) {
    this.#savingsGauge = (deps.meter ?? metrics.getMeter(TRACER_NAME)).createGauge('dissonance.labels.savings', {
      description:
        'Label savings measured against the random control arm: 1 − control correction rate / selected correction rate',
      unit: '1',
    });
    this.#events = deps.events;
    this.#logger = deps.logger;
    this.#sources = deps.sources.filter(budgeted);
    this.#routing = deps.routing;
  }

  /** After one reconcile of `items` new items (re-gated deferred ones are not new) with this outcome. */
  afterReconcile(items: number, outcome: { readonly deferred: number; readonly quarantinedBlocked: number }): void {
    const routed = this.#routing?.quarantined ?? 0;
    this.#items += items;
    this.#deferred += outcome.deferred;
    this.#quarantined += outcome.quarantinedBlocked + (routed - this.#routedBefore);
    this.#routedBefore = routed;
    if (this.#items >= WARNING_WINDOW_ITEMS) this.#closeWindow();
    for (const source of this.#sources) this.#checkSource(source);
  }

  #closeWindow(): void {
    const items = this.#items;
    for (const [kind, count] of [
      ['deferred', this.#deferred],
      ['quarantined', this.#quarantined],
    ] as const) {
      const share = count / items;
      if (share > WARNING_SHARE) {
        const hint =
          kind === 'deferred'
            ? 'the hourly dissonance budget (policy.dBudgetPerHour) is too small for this stream'
            : 'policy.maxDissonance is below the typical dissonance of this stream, and no oracle labelled these items';
        this.#warn(
          kind,
          `${count} of the last ${items} items (${(share * 100).toFixed(0)} %) were ${kind}: ${hint}`,
          share,
        );
      }
    }
    this.#items = 0;
    this.#deferred = 0;
    this.#quarantined = 0;
  }

  #checkSource(source: BudgetedSource): void {
    if (source.budget !== Infinity && source.remaining <= 0 && !this.#spent.has(source)) {
      this.#spent.add(source);
      this.#warn(
        'label-budget',
        `label source ${JSON.stringify(source.name)} spent its budget of ${source.budget} labels after ${source.offered} items`,
        1,
      );
    }
    const savings = source.savings;
    if (savings === undefined) return;
    if (savings.control.labels !== (this.#controlSeen.get(source) ?? 0)) {
      this.#controlSeen.set(source, savings.control.labels);
      this.#events.emit('savings', { source: source.name, ...savings });
      if (savings.savings !== undefined)
        this.#savingsGauge.record(savings.savings, { 'dissonance.label_source': source.name });
    }
  }

  #warn(kind: 'deferred' | 'quarantined' | 'label-budget', message: string, share: number): void {
    this.#logger.warn({ kind, share }, message);
    this.#events.emit('warning', { kind, message, share });
  }
}
