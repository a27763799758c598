import { oracleLabels, type OracleLabelSource, type SelectionScore } from '@dissonance/core';

/** How a strategy ranks the items of a batch for the oracle: a public selection score, or every item. */
export type ItemScore = SelectionScore | 'all';

/** Options of {@link quotaOracle}. */
export interface QuotaOracleOptions {
  readonly score: ItemScore;
  /** Most oracle labels over the whole stream (`Infinity` for the ceiling). */
  readonly budget: number;
  /** Items in the stream: the budget is paced evenly over them (`pace: { items }`), unspent allowance carried forward. */
  readonly items: number;
  /** True class of an item (the oracle, standing in for a person). */
  readonly truth: (itemId: string) => number;
  /** Seed of the control arm's and the `random` score's draws. */
  readonly seed: number;
  /** k-center diversity factor (1: off). */
  readonly diversity?: number;
  /** Window selection over this many recent items (default 0: per batch). */
  readonly window?: number;
  /** Share of the labels on random items (default 0: none). */
  readonly controlFraction?: number;
  /** Called with the item ids labelled, for honest counting. */
  readonly onLabel?: (itemIds: readonly string[]) => void;
}

/** A label source that asks the oracle for a paced share of the stream. */
export type QuotaOracle = OracleLabelSource;

/**
 * The demo's oracle, built with the public API: `oracleLabels({ budget, pace: { items }, select, … })` — per
 * batch it may spend `budget × batch / items` labels plus what earlier batches left unspent, on the
 * best-ranked items of the batch. `all` (the ceiling) labels every item.
 */
export function quotaOracle(options: QuotaOracleOptions): QuotaOracle {
  const { score, budget, items, truth } = options;
  const unlimited = score === 'all' || budget === Infinity;
  return oracleLabels(
    (requests) => {
      options.onLabel?.(requests.map((r) => r.itemId));
      return Promise.resolve(requests.map((r) => truth(r.itemId)));
    },
    {
      budget: unlimited ? Infinity : budget,
      pace: unlimited ? 'greedy' : { items: Math.max(1, items) },
      select: score === 'all' ? 'first' : score,
      diversity: options.diversity ?? 1,
      window: unlimited ? 0 : (options.window ?? 0),
      controlFraction: options.controlFraction ?? 0,
      seed: options.seed,
    },
  );
}
