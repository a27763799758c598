import { createPrng, entropyBits, type LabelAnswer, type LabelRequest, type LabelSource } from '@dissonance/core';

/** How a strategy ranks the items of a batch for the oracle: higher first. */
export type ItemScore = 'dissonance' | 'uncertainty' | 'random' | 'all';

/** Options of {@link quotaOracle}. */
export interface QuotaOracleOptions {
  readonly score: ItemScore;
  /** Most oracle labels over the whole stream (`Infinity` for the ceiling). */
  readonly budget: number;
  /** Batches in the stream: the budget is spread evenly over them, the unspent fraction carried forward. */
  readonly batches: number;
  /** True class of an item (the oracle, standing in for a person). */
  readonly truth: (itemId: string) => number;
  /** Seed of the `random` strategy's choice. */
  readonly seed: number;
  /** Called with the item ids labelled, for honest counting. */
  readonly onLabel?: (itemIds: readonly string[]) => void;
}

/** A label source that asks the oracle for a per-batch quota of items. */
export interface QuotaOracle extends LabelSource {
  /** Oracle labels given so far. */
  readonly used: number;
}

/**
 * Label source `oracle-quota`: per batch it may spend `budget / batches` labels plus what earlier batches
 * left unspent (never more than the budget in total), and asks the oracle for the highest-scoring items of
 * the batch — by the engine's dissonance, the proposer's entropy, a seeded random draw, or all of them.
 * Ties go to the earlier item. Answers are hard labels of weight 1, origin `oracle`.
 */
export function quotaOracle(options: QuotaOracleOptions): QuotaOracle {
  const { score, budget, batches, truth } = options;
  const perBatch = budget === Infinity ? Infinity : budget / Math.max(1, batches);
  const prng = createPrng(options.seed);
  let allowance = 0;
  let used = 0;
  return {
    name: `oracle-${score}`,
    get used() {
      return used;
    },
    label(requests) {
      const answers: (LabelAnswer | undefined)[] = new Array<LabelAnswer | undefined>(requests.length).fill(undefined);
      allowance = Math.min(allowance + perBatch, budget - used);
      const k = Math.min(requests.length, Math.floor(allowance + 1e-9));
      if (k <= 0) return Promise.resolve(answers);
      const chosen = choose(requests, k, score, prng);
      for (const i of chosen) {
        answers[i] = { target: { kind: 'hard', label: truth(requests[i]!.itemId) }, weight: 1, origin: 'oracle' };
      }
      used += chosen.length;
      allowance -= chosen.length;
      options.onLabel?.(chosen.map((i) => requests[i]!.itemId));
      return Promise.resolve(answers);
    },
  };
}

function choose(requests: readonly LabelRequest[], k: number, score: ItemScore, prng: ReturnType<typeof createPrng>): number[] {
  const indexes = requests.map((_, i) => i);
  if (score === 'all') return indexes.slice(0, k);
  if (score === 'random') return prng.shuffle(indexes).slice(0, k).sort((a, b) => a - b);
  const value = (r: LabelRequest): number => (score === 'dissonance' ? r.dissonance : entropyBits(r.proposer, 0, r.proposer.length));
  const values = requests.map(value);
  return indexes
    .sort((a, b) => values[b]! - values[a]! || a - b)
    .slice(0, k)
    .sort((a, b) => a - b);
}
