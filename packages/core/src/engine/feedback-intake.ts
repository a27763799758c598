import { DissonanceError } from '../errors.js';
import { MemoryDedupStore } from '../memory/memory-dedup-store.js';
import type { TrainingExample } from '../ports/batch.js';
import type { DedupStore } from '../ports/dedup-store.js';
import type { JsonValue, Store } from '../ports/store.js';
import type { FeedbackOutputs, PoisoningGuard } from '../reconcile/poisoning-guard.js';
import { ENGINE_DEFAULTS } from './defaults.js';

/** Store key of the quarantined feedback (newest last, bounded). */
export const QUARANTINE_KEY = 'feedback.quarantine';

/** One labelled item handed to {@link Engine.feedback}. */
export interface FeedbackItem {
  /** The caller's id of the item: a re-sent id (per `who`) is a duplicate and changes nothing. */
  readonly id: string;
  /** The item's features (the engine's input width). */
  readonly features: readonly number[];
  /** The true class, `0 … classes − 1`. */
  readonly label: number;
}

/** What one {@link Engine.feedback} call did. */
export interface FeedbackOutcome {
  readonly accepted: number;
  readonly duplicates: number;
  readonly quarantined: number;
}

/** A quarantined label kept for review. */
export interface QuarantineRecord {
  readonly id: string;
  readonly principal: string;
  readonly label: number;
  readonly features: readonly number[];
  readonly reason: string;
  readonly at: number;
}

/** Options of {@link Engine.feedback}; defaults in `ENGINE_DEFAULTS.feedback`. */
export interface FeedbackOptions {
  /** Who sends the feedback (a principal id): deduplication, rate limit and trust are per `who`. */
  readonly who: string;
  /** Poisoning guard: per-principal item rate (`E_RATE_LIMITED`), contradiction quarantine, trusted ids. */
  readonly guard?: PoisoningGuard;
  /** Remembers feedback ids. Default: the engine's own in-memory store. */
  readonly dedup?: DedupStore;
  /** How long a feedback id is remembered, in ms. Default: see `ENGINE_DEFAULTS.feedback.dedupTtlMs`. */
  readonly dedupTtlMs?: number;
  /**
   * Accepted feedback items (counted over all calls) between two retrains started by feedback (0: never).
   * Default: see `ENGINE_DEFAULTS.feedback.retrainEvery`.
   */
  readonly retrainEvery?: number;
  /** Quarantined records kept for review. Default: see `ENGINE_DEFAULTS.feedback.maxQuarantine`. */
  readonly maxQuarantine?: number;
}

/** What {@link FeedbackIntake} needs from the engine. */
export interface FeedbackIntakeDeps {
  readonly store: Store;
  readonly now: () => number;
  readonly inputWidth: number;
  readonly classes: number;
  /** The serving champion's version (the examples' `proposerVersion`). */
  readonly championVersion: () => string;
  /** The serving champion's and the critics' outputs on `rows` rows, for the guard's contradiction check. */
  readonly outputs: (x: Float32Array, rows: number) => Promise<{ proposer: Float32Array; critics: Float32Array[] }>;
  /** Starts a retrain (cooldown skipped); resolves when it is settled. */
  readonly retrain: () => Promise<void>;
  /** Called when a retrain started by feedback rejects. */
  readonly onRetrainError: (error: unknown) => void;
}

/**
 * Turns feedback into training examples (origin `feedback`), exactly once per principal and item id: a
 * re-sent id counts as a duplicate and changes nothing. Calls are serialized, so two concurrent calls with the
 * same id cannot both store it. With a {@link PoisoningGuard}: per-principal item rate (`E_RATE_LIMITED`,
 * `details.retryAfterMs`), contradicting labels quarantined, untrusted examples marked for the retrain share
 * cap. Not part of the public API: use {@link Engine.feedback}.
 */
export class FeedbackIntake {
  readonly #deps: FeedbackIntakeDeps;
  readonly #dedup = new MemoryDedupStore();
  #tail: Promise<unknown> = Promise.resolve();
  #sinceRetrain = 0;
  #retrain: Promise<void> | undefined;

  constructor(deps: FeedbackIntakeDeps) {
    this.#deps = deps;
  }

  /** Stores what is new in `items` for `options.who`. */
  submit(items: readonly FeedbackItem[], options: FeedbackOptions): Promise<FeedbackOutcome> {
    const run = this.#tail.then(() => this.#submit(items, options));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves when the calls in flight and a retrain they started have settled. */
  async settled(): Promise<void> {
    await this.#tail;
    await this.#retrain;
  }

  async #submit(items: readonly FeedbackItem[], options: FeedbackOptions): Promise<FeedbackOutcome> {
    const deps = this.#deps;
    const principal = options.who;
    const guard = options.guard;
    const dedup = options.dedup ?? this.#dedup;
    const defaults = ENGINE_DEFAULTS.feedback;
    checkItems(items, deps.inputWidth, deps.classes);
    const fresh: FeedbackItem[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = dedupKey(principal, item.id);
      if (seen.has(key) || (await dedup.has(key))) continue;
      seen.add(key);
      fresh.push(item);
    }
    const duplicates = items.length - fresh.length;
    if (fresh.length === 0) return { accepted: 0, duplicates, quarantined: 0 };
    const wait = guard?.take(principal, fresh.length) ?? 0;
    if (wait === Number.POSITIVE_INFINITY) {
      // No wait would let it through: a bad request, not a rate to wait out.
      const most = guard!.capacity(principal);
      throw new DissonanceError(
        'E_INPUT',
        `feedback of ${fresh.length} new items is more than principal "${principal}" may send at once (${most}): send at most ${most} per call`,
        { details: { principal, items: fresh.length, capacity: most } },
      );
    }
    if (wait > 0) {
      throw new DissonanceError('E_RATE_LIMITED', `feedback rate limit of principal "${principal}" reached`, {
        details: { principal, retryAfterMs: Number.isFinite(wait) ? wait : null },
      });
    }
    const width = deps.inputWidth;
    const rows = fresh.length;
    const x = new Float32Array(rows * width);
    fresh.forEach((item, r) => x.set(item.features, r * width));
    const outputs = guard === undefined || guard.isTrusted(principal) ? undefined : await deps.outputs(x, rows);
    const now = deps.now();
    const version = deps.championVersion();
    const examples: TrainingExample[] = [];
    const quarantine: QuarantineRecord[] = [];
    const k = deps.classes;
    fresh.forEach((item, r) => {
      const rowOutputs: FeedbackOutputs | undefined =
        outputs === undefined
          ? undefined
          : {
              proposer: outputs.proposer.subarray(r * k, (r + 1) * k),
              critics: outputs.critics.map((c) => c.subarray(r * k, (r + 1) * k)),
            };
      const verdict = guard?.judge(principal, item.label, rowOutputs) ?? { decision: 'accept' as const };
      if (verdict.decision === 'quarantine') {
        quarantine.push({
          id: item.id,
          principal,
          label: item.label,
          features: item.features,
          reason: verdict.reason,
          at: now,
        });
        return;
      }
      const id = guard?.exampleId(principal, item.id) ?? `feedback/${encodeURIComponent(principal)}/${item.id}`;
      examples.push({
        id,
        x: x.slice(r * width, (r + 1) * width),
        target: { kind: 'hard', label: item.label },
        weight: 1,
        provenance: { itemId: item.id, origin: 'feedback', dissonance: 0, proposerVersion: version, at: now },
      });
    });
    if (examples.length > 0) await deps.store.appendExamples(examples);
    if (quarantine.length > 0) await this.#quarantine(quarantine, options.maxQuarantine ?? defaults.maxQuarantine);
    const ttl = options.dedupTtlMs ?? defaults.dedupTtlMs;
    for (const item of fresh) await dedup.mark(dedupKey(principal, item.id), ttl);
    this.#sinceRetrain += examples.length;
    const every = options.retrainEvery ?? defaults.retrainEvery;
    if (every > 0 && this.#sinceRetrain >= every && this.#retrain === undefined) {
      this.#sinceRetrain = 0;
      this.#retrain = deps
        .retrain()
        .catch(deps.onRetrainError)
        .finally(() => (this.#retrain = undefined));
    }
    return { accepted: examples.length, duplicates, quarantined: quarantine.length };
  }

  async #quarantine(records: readonly QuarantineRecord[], max: number): Promise<void> {
    const store = this.#deps.store;
    const held = await quarantinedFeedback(store);
    const next = [...held, ...records].slice(-max);
    await store.setValue(QUARANTINE_KEY, next as unknown as JsonValue);
  }
}

/** The quarantined feedback held in `store`, oldest first. */
export async function quarantinedFeedback(store: Pick<Store, 'getValue'>): Promise<QuarantineRecord[]> {
  const value = await store.getValue(QUARANTINE_KEY);
  return Array.isArray(value) ? (value as unknown as QuarantineRecord[]) : [];
}

/** `E_INPUT` naming the first item whose id, features or label do not fit the engine's models. */
function checkItems(items: readonly FeedbackItem[], width: number, classes: number): void {
  if (!Array.isArray(items)) throw new DissonanceError('E_INPUT', 'items: expected an array of feedback items');
  for (const [i, item] of items.entries()) {
    if (typeof item.id !== 'string' || item.id.length === 0)
      throw new DissonanceError('E_INPUT', `items.${i}.id: expected a non-empty string`);
    if (!Array.isArray(item.features) || item.features.length !== width) {
      const got = Array.isArray(item.features) ? item.features.length : 0;
      throw new DissonanceError('E_INPUT', `items.${i}.features: expected ${width} values, got ${got}`);
    }
    const bad = item.features.findIndex((v: unknown) => typeof v !== 'number' || !Number.isFinite(v));
    if (bad >= 0) throw new DissonanceError('E_INPUT', `items.${i}.features.${bad}: expected a finite number`);
    if (!Number.isInteger(item.label) || item.label < 0 || item.label >= classes) {
      throw new DissonanceError('E_INPUT', `items.${i}.label: expected 0…${classes - 1}, got ${item.label}`);
    }
  }
}

function dedupKey(principal: string, id: string): string {
  return `feedback:${principal.length}:${principal}:${id}`;
}
