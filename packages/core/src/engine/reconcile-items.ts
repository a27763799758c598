import { isSpanContextValid as isValidSpanContext, type Span } from '@opentelemetry/api';
import type { EventEmitter } from 'eventemitter3';
import type { TrainingExample } from '../ports/batch.js';
import type { Gate, GateDecision } from '../ports/gate.js';
import type { LabelRequest, LabelSource } from '../ports/label-source.js';
import type { Store } from '../ports/store.js';
import { runGates } from '../reconcile/index.js';
import { rowsCheckOf, type GateRows } from '../reconcile/gate-rows.js';
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
  /** Of `blocked`: items the `finite` gate stopped (a model output or the dissonance not finite). */
  readonly nonFinite: number;
  readonly deferredItems: readonly DeferredItem[];
}

/** Inputs of {@link reconcileItems} and {@link reconcileRows} other than the items themselves. */
export interface ReconcileContext {
  readonly batchId: string;
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

/** Inputs of {@link reconcileItems}. */
export interface ReconcileInput extends ReconcileContext {
  readonly items: readonly PendingItem[];
}

/** One batch's rows for {@link reconcileRows}: the gates' view plus what examples need. */
export interface ReconcileRows extends GateRows {
  /** Version that served row `r`. */
  proposerVersion(row: number): string;
  /** Whether the canary challenger served row `r` (undefined outside a canary). */
  challenger(row: number): boolean | undefined;
}

/** No passed items (without label sources). */
const NONE: PendingItem[] = [];

/** Gate outcomes in {@link reconcileRows}' `outcome` array. */
const PASSED = 0;
const BLOCKED = 1;
const DEFERRED = 2;

/**
 * Runs the gates over each item in order, asks the label sources for the survivors in one call, and writes
 * the resulting examples to the store before reporting them (ack only after the effect is durable).
 */
export async function reconcileItems(input: ReconcileInput): Promise<ReconcileOutcome> {
  const { items, gates, now } = input;
  const blocked: GatedItem[] = [];
  const deferred: (GatedItem & { retryAt: number })[] = [];
  const deferredItems: DeferredItem[] = [];
  const passed: PendingItem[] = [];
  let nonFinite = 0;
  for (const item of items) {
    const { decision, gate } = runGates(gates, item, now);
    if (decision.outcome !== 'pass') {
      const attributes = {
        'dissonance.gate': gate,
        'dissonance.decision': decision.outcome,
        'dissonance.reason': decision.reason,
      };
      input.metrics?.gateDecisions.add(1, attributes);
    }
    if (decision.outcome === 'pass') {
      passed.push(item);
    } else if (decision.outcome === 'block') {
      if (decision.reason === 'non-finite-output') nonFinite++;
      blocked.push({
        itemId: item.itemId,
        gate,
        reason: decision.reason,
        message: decision.message,
        dissonance: item.dissonance,
      });
    } else {
      deferred.push({
        itemId: item.itemId,
        gate,
        reason: decision.reason,
        message: decision.message,
        dissonance: item.dissonance,
        retryAt: decision.retryAt,
      });
      deferredItems.push(deferredCopy(item, decision.retryAt));
    }
  }
  return finish(input, passed, passed.length, blocked, blocked.length, nonFinite, deferred, deferredItems);
}

/**
 * {@link reconcileItems} over a batch's arrays: the gates run gate by gate over typed arrays of outcomes and
 * reasons, and an object is built only for a row that does not pass (or, with label sources, for each row that
 * does: the label request). Same decisions, side effects, events and outcome as `reconcileItems` on the rows
 * as items; event payloads are built only when the event has a listener.
 */
export async function reconcileRows(
  input: ReconcileContext & { readonly rows: ReconcileRows },
): Promise<ReconcileOutcome> {
  const { rows: batch, gates, now, events } = input;
  const rows = batch.rows;
  // Read only until the first await below: taken from a scratch array and given back before it.
  const outcome = takeOutcome(rows);
  // The deciding gate and its decision, for the few rows that do not pass.
  let stopped: ({ gate: string; decision: Exclude<GateDecision, { outcome: 'pass' }> } | undefined)[] | undefined;
  let notPassed = 0;
  let gateName = '';
  const decide = (r: number, decision: GateDecision): void => {
    if (decision.outcome === 'pass' || outcome[r] !== PASSED) return;
    outcome[r] = decision.outcome === 'block' ? BLOCKED : DEFERRED;
    (stopped ??= new Array(rows))[r] = { gate: gateName, decision };
    notPassed++;
    const attributes = {
      'dissonance.gate': gateName,
      'dissonance.decision': decision.outcome,
      'dissonance.reason': decision.reason,
    };
    input.metrics?.gateDecisions.add(1, attributes);
  };
  for (let g = 0; g < gates.length && notPassed < rows; g++) {
    const gate = gates[g]!;
    gateName = gate.name;
    rowsCheckOf(gate)(batch, outcome, now, decide, rows - notPassed);
  }
  const blocked: GatedItem[] = [];
  const deferred: (GatedItem & { retryAt: number })[] = [];
  const deferredItems: DeferredItem[] = [];
  let blockedCount = 0;
  let nonFinite = 0;
  if (stopped !== undefined) {
    const wantBlocked = events.listenerCount('blocked') > 0;
    const wantDeferred = events.listenerCount('deferred') > 0;
    for (let r = 0; r < rows; r++) {
      const entry = stopped[r];
      if (entry === undefined) continue;
      const { gate, decision } = entry;
      if (decision.outcome === 'block') {
        blockedCount++;
        if (decision.reason === 'non-finite-output') nonFinite++;
        if (wantBlocked) {
          blocked.push({
            itemId: batch.itemId(r),
            gate,
            reason: decision.reason,
            message: decision.message,
            dissonance: batch.dissonance[r]!,
          });
        }
      } else {
        const item = pendingRow(batch, r);
        if (wantDeferred) {
          const { itemId, dissonance } = item;
          deferred.push({
            itemId,
            gate,
            reason: decision.reason,
            message: decision.message,
            dissonance,
            retryAt: decision.retryAt,
          });
        }
        deferredItems.push(deferredCopy(item, decision.retryAt));
      }
    }
  }
  const passedCount = rows - notPassed;
  // Label requests need an item per row; without label sources nothing per row is built.
  let passed: PendingItem[] = NONE;
  if (input.labels !== undefined && passedCount > 0) {
    passed = new Array<PendingItem>(passedCount);
    let i = 0;
    for (let r = 0; r < rows; r++) if (outcome[r] === PASSED) passed[i++] = pendingRow(batch, r);
  }
  spareOutcome = outcome;
  return finish(input, passed, passedCount, blocked, blockedCount, nonFinite, deferred, deferredItems);
}

/** An outcome array not in use, kept for the next {@link reconcileRows} (undefined while one is in use). */
let spareOutcome: Uint8Array | undefined;

/**
 * {@link reconcileRows}' outcome array: `rows` zeros at the start of the spare array, or a new one when there is
 * none or it is too short (a call that throws never gives its array back).
 */
function takeOutcome(rows: number): Uint8Array {
  const spare = spareOutcome;
  spareOutcome = undefined;
  if (spare === undefined || spare.length < rows) return new Uint8Array(rows);
  return spare.fill(PASSED, 0, rows);
}

/** Row `r` of a batch as a pending item of views. */
function pendingRow(batch: ReconcileRows, r: number): PendingItem {
  const item = batch.item(r);
  const challenger = batch.challenger(r);
  return {
    itemId: item.itemId,
    x: item.x,
    proposer: item.proposer,
    critics: item.critics,
    dissonance: item.dissonance,
    proposerVersion: batch.proposerVersion(r),
    ...(challenger === undefined ? {} : { challenger }),
  };
}

/** A deferred item owning copies of its arrays (the batch buffers are not kept). */
function deferredCopy(item: PendingItem, retryAt: number): DeferredItem {
  return {
    itemId: item.itemId,
    x: item.x.slice(),
    proposer: item.proposer.slice(),
    critics: item.critics.map((c) => c.slice()),
    dissonance: item.dissonance,
    proposerVersion: item.proposerVersion,
    retryAt,
  };
}

/**
 * Labels the passed items (when there are label sources), stores the examples, reports the outcome. `passed`
 * holds the passed items when label sources are configured; `passedCount` counts them either way.
 */
async function finish(
  input: ReconcileContext,
  passed: readonly PendingItem[],
  passedCount: number,
  blocked: readonly GatedItem[],
  blockedCount: number,
  nonFinite: number,
  deferred: readonly (GatedItem & { retryAt: number })[],
  deferredItems: readonly DeferredItem[],
): Promise<ReconcileOutcome> {
  const { batchId, now, events } = input;
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
  if (input.span.isRecording()) {
    input.span.setAttributes({
      'dissonance.reconcile.examples': examples.length,
      'dissonance.reconcile.blocked': blockedCount,
      'dissonance.reconcile.deferred': deferredItems.length,
    });
  }
  recordOutcomes(input.metrics, passedCount, examples.length, blockedCount, deferredItems.length);
  if (blocked.length > 0) events.emit('blocked', { batchId, items: blocked });
  if (deferred.length > 0) events.emit('deferred', { batchId, items: deferred });
  if (examples.length > 0) events.emit('example', { batchId, examples });
  return {
    examples: examples.length,
    unlabelled: passedCount - examples.length,
    blocked: blockedCount,
    nonFinite,
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
  if (passed > 0)
    metrics.gateDecisions.add(passed, {
      'dissonance.gate': 'all',
      'dissonance.decision': 'pass',
      'dissonance.reason': 'pass',
    });
  if (examples > 0) metrics.items.add(examples, { 'dissonance.outcome': 'example' });
  if (passed - examples > 0) metrics.items.add(passed - examples, { 'dissonance.outcome': 'unlabelled' });
  if (blocked > 0) metrics.items.add(blocked, { 'dissonance.outcome': 'blocked' });
  if (deferred > 0) metrics.items.add(deferred, { 'dissonance.outcome': 'deferred' });
}
