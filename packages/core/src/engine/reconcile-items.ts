import { isSpanContextValid as isValidSpanContext, type Span } from '@opentelemetry/api';
import type { EventEmitter } from 'eventemitter3';
import type { TrainingExample } from '../ports/batch.js';
import type { Gate } from '../ports/gate.js';
import type { LabelRequest, LabelSource } from '../ports/label-source.js';
import type { Store } from '../ports/store.js';
import { runGates } from '../reconcile/index.js';
import type { CanaryTracker } from '../rollout/canary.js';
import { argmaxRow } from '../rollout/golden-accuracy.js';
import type { EngineMetrics } from '../telemetry/engine-metrics.js';
import type { DeferredItem } from './deferred-queue.js';
import type { PendingItem } from './pending-item.js';
import type { EngineEvents, GatedItem } from './events.js';

/** What reconcile did with a set of items. */
export interface ReconcileOutcome {
  readonly examples: number;
  readonly unlabelled: number;
  readonly blocked: number;
  readonly deferredItems: readonly DeferredItem[];
}

/** Inputs of {@link reconcileItems}. */
export interface ReconcileInput {
  readonly batchId: string;
  readonly items: readonly PendingItem[];
  readonly gates: readonly Gate[];
  readonly labels: LabelSource | undefined;
  readonly store: Store;
  readonly now: number;
  readonly events: EventEmitter<EngineEvents>;
  readonly span: Span;
  /** Instruments of gate decisions, label requests and item outcomes. */
  readonly metrics?: EngineMetrics;
  readonly canary: CanaryTracker | undefined;
}

/**
 * Runs the gates over each item in order, asks the label sources for the survivors in one call, and writes
 * the resulting examples to the store before reporting them (ack only after the effect is durable).
 */
export async function reconcileItems(input: ReconcileInput): Promise<ReconcileOutcome> {
  const { batchId, items, gates, now, events } = input;
  const blocked: GatedItem[] = [];
  const deferred: (GatedItem & { retryAt: number })[] = [];
  const deferredItems: DeferredItem[] = [];
  const passed: PendingItem[] = [];
  for (const item of items) {
    const { decision, gate } = runGates(gates, item, now);
    if (decision.outcome !== 'pass') {
      const attributes = { 'dissonance.gate': gate, 'dissonance.decision': decision.outcome, 'dissonance.reason': decision.reason };
      input.metrics?.gateDecisions.add(1, attributes);
    }
    if (decision.outcome === 'pass') {
      passed.push(item);
    } else if (decision.outcome === 'block') {
      blocked.push({ itemId: item.itemId, gate, reason: decision.reason, message: decision.message, dissonance: item.dissonance });
    } else {
      deferred.push({
        itemId: item.itemId,
        gate,
        reason: decision.reason,
        message: decision.message,
        dissonance: item.dissonance,
        retryAt: decision.retryAt,
      });
      deferredItems.push({
        itemId: item.itemId,
        x: item.x.slice(),
        proposer: item.proposer.slice(),
        critics: item.critics.map((c) => c.slice()),
        dissonance: item.dissonance,
        proposerVersion: item.proposerVersion,
        retryAt: decision.retryAt,
      });
    }
  }
  const examples: TrainingExample[] = [];
  if (passed.length > 0 && input.labels !== undefined) {
    const requests: LabelRequest[] = passed.map((item) => ({
      itemId: item.itemId,
      x: item.x,
      proposer: item.proposer,
      critics: item.critics,
      dissonance: item.dissonance,
    }));
    input.metrics?.labelsRequested.add(requests.length);
    const answers = await input.labels.label(requests);
    // The reconcile span: with the trace id, what a retrain links to.
    const spanContext = input.span.spanContext();
    const traced = isValidSpanContext(spanContext);
    passed.forEach((item, i) => {
      const answer = answers[i];
      if (answer === undefined) return;
      examples.push({
        id: item.itemId,
        x: item.x.slice(),
        target: answer.target.kind === 'hard' ? answer.target : { kind: 'soft', probs: answer.target.probs.slice() },
        weight: answer.weight,
        provenance: {
          itemId: item.itemId,
          origin: answer.origin,
          dissonance: item.dissonance,
          proposerVersion: item.proposerVersion,
          at: now,
          ...(traced ? { traceId: spanContext.traceId, spanId: spanContext.spanId } : {}),
        },
      });
      if (input.canary !== undefined && item.challenger !== undefined && answer.target.kind === 'hard') {
        const k = item.proposer.length;
        input.canary.recordLabel(item.challenger, argmaxRow(item.proposer, 0, k) === answer.target.label);
      }
    });
  }
  if (examples.length > 0) await input.store.appendExamples(examples);
  input.span.setAttributes({
    'dissonance.reconcile.examples': examples.length,
    'dissonance.reconcile.blocked': blocked.length,
    'dissonance.reconcile.deferred': deferred.length,
  });
  recordOutcomes(input.metrics, passed.length, examples.length, blocked.length, deferred.length);
  if (blocked.length > 0) events.emit('blocked', { batchId, items: blocked });
  if (deferred.length > 0) events.emit('deferred', { batchId, items: deferred });
  if (examples.length > 0) events.emit('example', { batchId, examples });
  return {
    examples: examples.length,
    unlabelled: passed.length - examples.length,
    blocked: blocked.length,
    deferredItems,
  };
}

/** Counts passes and item outcomes of one reconcile. */
function recordOutcomes(
  metrics: EngineMetrics | undefined,
  passed: number,
  examples: number,
  blocked: number,
  deferred: number,
): void {
  if (metrics === undefined) return;
  if (passed > 0) metrics.gateDecisions.add(passed, { 'dissonance.gate': 'all', 'dissonance.decision': 'pass', 'dissonance.reason': 'pass' });
  const counts = { example: examples, unlabelled: passed - examples, blocked, deferred };
  for (const [outcome, count] of Object.entries(counts)) {
    if (count > 0) metrics.items.add(count, { 'dissonance.outcome': outcome });
  }
}
