import { DissonanceError } from '../errors.js';
import { createPrng } from '../train/prng.js';

/** Row indexes of the three parts of a loop experiment. */
export interface LoopSplit {
  /** Held out for validation; never trained on. */
  readonly golden: readonly number[];
  /** Labelled from the start (shared by proposer and critics). */
  readonly seedSet: readonly number[];
  /** Everything else, in stream order. */
  readonly stream: readonly number[];
}

/** Options of {@link seededSplit}. */
export interface SplitOptions {
  readonly seed: number;
  /** Share of rows in the golden holdout (default 0.2). */
  readonly golden?: number;
  /** Share of rows in the labelled seed set (default 0.05). */
  readonly seedSet?: number;
  /**
   * Class per row: when given, golden and seed set are stratified (each class contributes its share,
   * rounded), and the seed set holds at least one row of every class that has ≥ 2 rows.
   */
  readonly labels?: Int32Array | readonly number[];
}

/**
 * Splits `rows` row indexes into golden / seed set / stream with a seeded shuffle: same seed → same split;
 * the parts are disjoint and cover every row.
 *
 * @throws DissonanceError `E_INPUT` on a bad row count or shares that are not in [0, 1) or sum to ≥ 1.
 */
export function seededSplit(rows: number, options: SplitOptions): LoopSplit {
  const goldenShare = options.golden ?? 0.2;
  const seedShare = options.seedSet ?? 0.05;
  if (!Number.isSafeInteger(rows) || rows < 1)
    throw new DissonanceError('E_INPUT', `split: rows must be a positive integer, got ${rows}`);
  if (!(goldenShare >= 0 && seedShare >= 0 && goldenShare + seedShare < 1)) {
    throw new DissonanceError(
      'E_INPUT',
      `split: shares golden ${goldenShare} + seed set ${seedShare} must be in [0, 1)`,
    );
  }
  if (options.labels !== undefined && options.labels.length !== rows) {
    throw new DissonanceError('E_INPUT', `split: ${options.labels.length} labels for ${rows} rows`);
  }
  const prng = createPrng(options.seed);
  const order = prng.shuffle(Array.from({ length: rows }, (_, i) => i));
  const golden: number[] = [];
  const seedSet: number[] = [];
  const stream: number[] = [];
  const labels = options.labels;
  if (labels === undefined) {
    const g = Math.round(rows * goldenShare);
    const s = Math.round(rows * seedShare);
    return { golden: order.slice(0, g), seedSet: order.slice(g, g + s), stream: order.slice(g + s) };
  }
  const byClass = new Map<number, number[]>();
  for (const r of order) {
    const label = labels[r]!;
    const list = byClass.get(label);
    if (list === undefined) byClass.set(label, [r]);
    else list.push(r);
  }
  const taken = new Set<number>();
  for (const list of [...byClass.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1])) {
    const g = Math.round(list.length * goldenShare);
    const s = Math.max(list.length >= 2 ? 1 : 0, Math.round(list.length * seedShare));
    golden.push(...list.slice(0, g));
    seedSet.push(...list.slice(g, g + s));
    for (const r of list.slice(0, g + s)) taken.add(r);
  }
  const inOrder = (a: number[]): number[] => {
    const rank = new Map(order.map((r, i) => [r, i]));
    return a.sort((p, q) => rank.get(p)! - rank.get(q)!);
  };
  for (const r of order) if (!taken.has(r)) stream.push(r);
  return { golden: inOrder(golden), seedSet: inOrder(seedSet), stream };
}
