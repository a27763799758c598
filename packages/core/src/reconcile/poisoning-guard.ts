import { systemClock, type Clock } from '../clock/clock.js';
import { DissonanceError } from '../errors.js';
import type { TrainingExample } from '../ports/batch.js';
import type { Trainer } from '../ports/trainer.js';

/** Id prefix of examples that came from a principal not marked trusted. */
const UNTRUSTED_PREFIX = 'feedback/untrusted/';
/** Id prefix of examples that came from a trusted principal. */
const TRUSTED_PREFIX = 'feedback/trusted/';

/** Options of {@link PoisoningGuard}. */
export interface PoisoningGuardOptions {
  /** Principals whose feedback is trusted (no share cap, no contradiction quarantine). Default: none. */
  readonly trusted?: readonly string[] | ((principal: string) => boolean);
  /**
   * Largest share (0–1) of any retrain's examples that may come from untrusted principals (default 0.2).
   * The newest untrusted examples are kept; the rest sit out that retrain (they stay in the replay buffer).
   */
  readonly maxUntrustedShare?: number;
  /**
   * A label is quarantined when the proposer and every critic each give another class at least this
   * probability, and the label at most `1 − contradictionConfidence` (default 0.9).
   */
  readonly contradictionConfidence?: number;
  /** Feedback items an untrusted principal may send per hour (token bucket, starts full; default 600). */
  readonly untrustedItemsPerHour?: number;
  /** The same for trusted principals (default: unlimited). */
  readonly trustedItemsPerHour?: number;
  /** Principals whose buckets are kept (least recently used dropped beyond; default 10 000). */
  readonly maxPrincipals?: number;
  readonly clock?: Clock;
}

/** What {@link PoisoningGuard.judge} decided for one label. */
export type FeedbackVerdict =
  { readonly decision: 'accept' } | { readonly decision: 'quarantine'; readonly reason: string };

/** Model outputs for one feedback row, as probabilities over the classes. */
export interface FeedbackOutputs {
  readonly proposer: Float32Array;
  readonly critics: readonly Float32Array[];
}

/**
 * Guards the replay buffer against poisoned feedback:
 *
 * - **share cap** — {@link PoisoningGuard.select} (or a trainer wrapped by {@link PoisoningGuard.wrapTrainer})
 *   lets untrusted feedback make up at most `maxUntrustedShare` of a retrain's examples;
 * - **contradiction quarantine** — {@link PoisoningGuard.judge} sends a label that both the proposer and the
 *   critics contradict with high confidence to review instead of training;
 * - **rate limit** — {@link PoisoningGuard.take} spends per-principal item tokens.
 *
 * Untrusted feedback is recognised by its example id, which {@link PoisoningGuard.exampleId} makes.
 */
export class PoisoningGuard {
  readonly maxUntrustedShare: number;
  readonly contradictionConfidence: number;
  readonly #trusted: (principal: string) => boolean;
  readonly #rates: { readonly trusted: number; readonly untrusted: number };
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #maxPrincipals: number;
  readonly #clock: Clock;

  /** @throws DissonanceError `E_CONFIG` for a share or confidence outside its range, or a non-positive rate. */
  constructor(options: PoisoningGuardOptions = {}) {
    const share = options.maxUntrustedShare ?? 0.2;
    const confidence = options.contradictionConfidence ?? 0.9;
    if (!(share >= 0 && share <= 1))
      throw new DissonanceError('E_CONFIG', `maxUntrustedShare must be in [0, 1], got ${share}`);
    if (!(confidence > 0.5 && confidence <= 1)) {
      throw new DissonanceError('E_CONFIG', `contradictionConfidence must be in (0.5, 1], got ${confidence}`);
    }
    const untrusted = options.untrustedItemsPerHour ?? 600;
    const trusted = options.trustedItemsPerHour ?? Number.POSITIVE_INFINITY;
    for (const [name, rate] of [
      ['untrustedItemsPerHour', untrusted],
      ['trustedItemsPerHour', trusted],
    ] as const) {
      if (!(rate > 0)) throw new DissonanceError('E_CONFIG', `${name} must be > 0, got ${rate}`);
    }
    const list = options.trusted ?? [];
    const set = typeof list === 'function' ? undefined : new Set(list);
    this.#trusted = typeof list === 'function' ? list : (p) => set!.has(p);
    this.maxUntrustedShare = share;
    this.contradictionConfidence = confidence;
    this.#rates = { trusted, untrusted };
    this.#maxPrincipals = options.maxPrincipals ?? 10_000;
    this.#clock = options.clock ?? systemClock;
  }

  /** Whether `principal` is trusted. */
  isTrusted(principal: string): boolean {
    return this.#trusted(principal);
  }

  /** The replay-buffer id of feedback item `id` from `principal` (marks untrusted feedback for the share cap). */
  exampleId(principal: string, id: string): string {
    return `${this.isTrusted(principal) ? TRUSTED_PREFIX : UNTRUSTED_PREFIX}${encodeURIComponent(principal)}/${id}`;
  }

  /** True when `example` is feedback from an untrusted principal. */
  isUntrusted(example: TrainingExample): boolean {
    return example.provenance.origin === 'feedback' && example.id.startsWith(UNTRUSTED_PREFIX);
  }

  /** Most items `principal` may send in one call: its bucket's size (its hourly rate, at least 1; Infinity: no cap). */
  capacity(principal: string): number {
    const rate = this.isTrusted(principal) ? this.#rates.trusted : this.#rates.untrusted;
    return rate === Number.POSITIVE_INFINITY ? rate : Math.max(Math.floor(rate), 1);
  }

  /**
   * Takes `items` tokens from the principal's bucket. Returns 0 when it did, else the milliseconds until
   * they will be there (nothing is taken then). More items than the bucket holds are never allowed.
   */
  take(principal: string, items: number): number {
    const rate = this.isTrusted(principal) ? this.#rates.trusted : this.#rates.untrusted;
    if (rate === Number.POSITIVE_INFINITY || items <= 0) return 0;
    const now = this.#clock.now();
    const capacity = Math.max(rate, 1);
    const bucket = this.#buckets.get(principal) ?? { tokens: capacity, at: now };
    this.#buckets.delete(principal);
    bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.at) * rate) / 3_600_000);
    bucket.at = Math.max(bucket.at, now);
    this.#buckets.set(principal, bucket);
    if (this.#buckets.size > this.#maxPrincipals) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (items > capacity) return Number.POSITIVE_INFINITY;
    if (bucket.tokens >= items) {
      bucket.tokens -= items;
      return 0;
    }
    return Math.ceil(((items - bucket.tokens) * 3_600_000) / rate);
  }

  /**
   * Judges one label against the models' outputs: quarantined when an output is NaN or ±Infinity (reason
   * starting `non-finite-output`, whoever sent it), or when it is untrusted and the proposer and every
   * critic give some other class at least `contradictionConfidence` and the label at most `1 − that`.
   * Without critics only the proposer is asked. Trusted principals' labels are always accepted.
   */
  judge(principal: string, label: number, outputs: FeedbackOutputs | undefined): FeedbackVerdict {
    if (outputs !== undefined) {
      // Features the models answer NaN or ±Infinity on (every feature 3.4e38) can only poison a fit.
      for (const [who, p] of [
        ['proposer', outputs.proposer] as const,
        ...outputs.critics.map((q, c) => [`critic ${c}`, q] as const),
      ]) {
        for (let k = 0; k < p.length; k++) {
          if (p[k]! - p[k]! !== 0)
            return {
              decision: 'quarantine',
              reason: `non-finite-output: the ${who} answers ${p[k]} on these features`,
            };
        }
      }
    }
    if (outputs === undefined || this.isTrusted(principal)) return { decision: 'accept' };
    const c = this.contradictionConfidence;
    const contradicts = (p: Float32Array): number | undefined => {
      let best = 0;
      for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
      return best !== label && p[best]! >= c && (p[label] ?? 0) <= 1 - c ? best : undefined;
    };
    const byProposer = contradicts(outputs.proposer);
    if (byProposer === undefined) return { decision: 'accept' };
    for (const critic of outputs.critics) if (contradicts(critic) === undefined) return { decision: 'accept' };
    return {
      decision: 'quarantine',
      reason: `label ${label} contradicts the proposer and ${outputs.critics.length} critic(s), which give class ${byProposer} ≥ ${c}`,
    };
  }

  /**
   * The examples a retrain may use: every example not from untrusted feedback, plus the newest untrusted
   * ones up to `maxUntrustedShare` of the result. Order is kept.
   */
  select(examples: readonly TrainingExample[]): TrainingExample[] {
    const share = this.maxUntrustedShare;
    let untrusted = 0;
    for (const e of examples) if (this.isUntrusted(e)) untrusted++;
    const others = examples.length - untrusted;
    const allowed = share >= 1 ? untrusted : Math.min(untrusted, Math.floor((share * others) / (1 - share) + 1e-9));
    let skip = untrusted - allowed;
    if (skip === 0) return [...examples];
    return examples.filter((e) => {
      if (skip > 0 && this.isUntrusted(e)) {
        skip--;
        return false;
      }
      return true;
    });
  }

  /** A trainer that fits `inner` on {@link PoisoningGuard.select}'s examples. */
  wrapTrainer(inner: Trainer): Trainer {
    return {
      name: inner.name,
      fit: (base, examples, constraints) => inner.fit(base, this.select(examples), constraints),
    };
  }
}
