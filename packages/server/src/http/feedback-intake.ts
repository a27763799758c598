import type { DedupStore, JsonValue, LoadedModel, PoisoningGuard, TrainingExample } from '@dissonance/core';
import type { ChampionModels, EngineView } from './champion-models.js';
import { HttpError } from './http-error.js';

/** Store key of the quarantined feedback (newest last, bounded). */
export const QUARANTINE_KEY = 'feedback.quarantine';

/** One feedback item as the route received it. */
export interface FeedbackItem {
  readonly id: string;
  readonly features: readonly number[];
  readonly label: number;
}

/** What one feedback call did. */
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

/** What {@link FeedbackIntake} needs. */
export interface FeedbackIntakeOptions {
  readonly engine: EngineView;
  readonly champion: ChampionModels;
  readonly critics: readonly LoadedModel[];
  readonly guard: PoisoningGuard | undefined;
  readonly dedup: DedupStore;
  readonly dedupTtlMs: number;
  /** Accepted items between two `engine.retrainNow()` calls (0: never). */
  readonly retrainEvery: number;
  readonly maxQuarantine: number;
  readonly onRetrainError: (error: unknown) => void;
}

/**
 * Turns feedback into training examples (origin `feedback`), exactly once per principal and item id: a
 * re-sent id counts as a duplicate and changes nothing. Calls are serialized, so two concurrent requests
 * with the same id cannot both store it. With a {@link PoisoningGuard}: per-principal item rate (429),
 * contradicting labels quarantined, untrusted examples marked for the retrain share cap.
 */
export class FeedbackIntake {
  readonly #o: FeedbackIntakeOptions;
  #tail: Promise<unknown> = Promise.resolve();
  #sinceRetrain = 0;
  #retrain: Promise<void> | undefined;

  constructor(options: FeedbackIntakeOptions) {
    this.#o = options;
  }

  /** Stores what is new in `items` for `principal`. */
  submit(principal: string, items: readonly FeedbackItem[]): Promise<FeedbackOutcome> {
    const run = this.#tail.then(() => this.#submit(principal, items));
    this.#tail = run.catch(() => undefined);
    return run;
  }

  /** Resolves when a retrain started by feedback has settled. */
  async settled(): Promise<void> {
    await this.#tail;
    await this.#retrain;
  }

  async #submit(principal: string, items: readonly FeedbackItem[]): Promise<FeedbackOutcome> {
    const o = this.#o;
    const manifest = await o.champion.manifest();
    for (const [i, item] of items.entries()) {
      if (item.features.length !== manifest.inputWidth) {
        throw new HttpError(400, 'E_INPUT', `items.${i}.features: expected ${manifest.inputWidth} values, got ${item.features.length}`);
      }
      if (item.label >= manifest.classes) throw new HttpError(400, 'E_INPUT', `items.${i}.label: expected 0…${manifest.classes - 1}, got ${item.label}`);
    }
    const fresh: FeedbackItem[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = dedupKey(principal, item.id);
      if (seen.has(key) || (await o.dedup.has(key))) continue;
      seen.add(key);
      fresh.push(item);
    }
    const duplicates = items.length - fresh.length;
    if (fresh.length === 0) return { accepted: 0, duplicates, quarantined: 0 };
    const wait = o.guard?.take(principal, fresh.length) ?? 0;
    if (wait > 0) {
      const seconds = Number.isFinite(wait) ? Math.max(1, Math.ceil(wait / 1000)) : 3600;
      throw new HttpError(429, 'E_RATE_LIMITED', `feedback rate limit of principal "${principal}" reached`, { 'retry-after': String(seconds) });
    }
    const width = manifest.inputWidth;
    const rows = fresh.length;
    const x = new Float32Array(rows * width);
    fresh.forEach((item, r) => x.set(item.features, r * width));
    const outputs = o.guard === undefined || o.guard.isTrusted(principal) ? undefined : await this.#outputs(x, rows);
    const now = Date.now();
    const examples: TrainingExample[] = [];
    const quarantine: QuarantineRecord[] = [];
    const k = manifest.classes;
    fresh.forEach((item, r) => {
      const rowOutputs =
        outputs === undefined
          ? undefined
          : { proposer: outputs.proposer.subarray(r * k, (r + 1) * k), critics: outputs.critics.map((c) => c.subarray(r * k, (r + 1) * k)) };
      const verdict = o.guard?.judge(principal, item.label, rowOutputs) ?? { decision: 'accept' as const };
      if (verdict.decision === 'quarantine') {
        quarantine.push({ id: item.id, principal, label: item.label, features: item.features, reason: verdict.reason, at: now });
        return;
      }
      const id = o.guard?.exampleId(principal, item.id) ?? `feedback/${encodeURIComponent(principal)}/${item.id}`;
      examples.push({
        id,
        x: x.slice(r * width, (r + 1) * width),
        target: { kind: 'hard', label: item.label },
        weight: 1,
        provenance: { itemId: item.id, origin: 'feedback', dissonance: 0, proposerVersion: manifest.version, at: now },
      });
    });
    if (examples.length > 0) await o.engine.store.appendExamples(examples);
    if (quarantine.length > 0) await this.#quarantine(quarantine);
    for (const item of fresh) await o.dedup.mark(dedupKey(principal, item.id), o.dedupTtlMs);
    this.#sinceRetrain += examples.length;
    if (o.retrainEvery > 0 && this.#sinceRetrain >= o.retrainEvery && this.#retrain === undefined) {
      this.#sinceRetrain = 0;
      this.#retrain = o.engine
        .retrainNow()
        .catch(o.onRetrainError)
        .finally(() => (this.#retrain = undefined));
    }
    return { accepted: examples.length, duplicates, quarantined: quarantine.length };
  }

  async #outputs(x: Float32Array, rows: number): Promise<{ proposer: Float32Array; critics: Float32Array[] } | undefined> {
    const proposer = await this.#o.champion.run(x, rows);
    if (proposer === undefined) return undefined;
    const critics = await Promise.all(this.#o.critics.map((c) => c.run(x, rows)));
    return { proposer, critics };
  }

  async #quarantine(records: readonly QuarantineRecord[]): Promise<void> {
    const store = this.#o.engine.store;
    const held = await quarantined(store);
    const next = [...held, ...records].slice(-this.#o.maxQuarantine);
    await store.setValue(QUARANTINE_KEY, next as unknown as JsonValue);
  }
}

/** The quarantined feedback held in `store`, oldest first. */
export async function quarantined(store: EngineView['store']): Promise<QuarantineRecord[]> {
  const value = await store.getValue(QUARANTINE_KEY);
  return Array.isArray(value) ? (value as unknown as QuarantineRecord[]) : [];
}

function dedupKey(principal: string, id: string): string {
  return `feedback:${principal.length}:${principal}:${id}`;
}
