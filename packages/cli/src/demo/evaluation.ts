import { DissonanceError } from '@dissonance/core';
import type { Dataset } from '@dissonance/core/mlp';
import type { DemoResult, StrategyResult } from './demo-result.js';
import { DEFAULT_SETTINGS } from './loop-settings.js';
import { pairedDifference } from './mean-sd.js';
import { runDemo, type DemoOptions } from './run-demo.js';
import { STRATEGIES } from './strategies.js';

/** Mean and sample standard deviation, as fractions. */
export interface EvaluationMeanSd {
  readonly mean: number;
  readonly sd: number;
}

/** One strategy in an {@link Evaluation}. */
export interface EvaluationStrategy {
  /** `default`, `random`, `uncertainty`, `margin`, `ceiling`, … */
  readonly name: string;
  /** How it chooses items, in words. */
  readonly label: string;
  readonly kind: 'default' | 'baseline' | 'ablation';
  /** Golden accuracy of the first proposer, before any label of the stream (the same for every strategy). */
  readonly start: EvaluationMeanSd;
  /** Final golden accuracy over seeds, a fraction in [0, 1]. */
  readonly final: EvaluationMeanSd;
  /** Final golden accuracy per seed, in seed order. */
  readonly finals: readonly number[];
  /** Oracle labels used (mean over seeds). */
  readonly labels: number;
  /**
   * Fraction of random's labels saved to reach random's final accuracy, read off the mean accuracy-vs-labels
   * curve (linear between retrain points): `1 − labels needed / random's labels`. `null` when the curve never
   * reaches random's final accuracy, when random was not run, or when random ended no higher than it started
   * (nothing to save); 0 for `random` itself.
   */
  readonly savings: number | null;
  /**
   * Paired per-seed difference of the final accuracy against random's (fractions), with `z`, the mean over its
   * standard error (`sd / √seeds`; `null` when there is none: one seed, or the same nonzero difference on every
   * seed). A winner is called only when `z` is above 2. Absent without random.
   */
  readonly vsRandom?: EvaluationMeanSd & { readonly z: number | null };
}

/** What `dissonance evaluate --json` prints and {@link evaluate} resolves to (stable, documented). */
export interface Evaluation {
  readonly dataset: { readonly name: string; readonly rows: number; readonly width: number; readonly classes: number };
  readonly protocol: {
    /** Rows per seed: golden holdout (never trained on), labelled seed set, stream. */
    readonly golden: number;
    readonly seedSet: number;
    readonly stream: number;
    readonly batch: number;
    /** Oracle budget as a share of the stream, and in labels. */
    readonly budget: number;
    readonly budgetLabels: number;
    readonly seeds: readonly number[];
    readonly retrainEveryBatches: number;
  };
  readonly strategies: readonly EvaluationStrategy[];
  /** Wall-clock seconds of the run. */
  readonly seconds: number;
}

/** Labels at which a mean curve first reaches `target` (linear interpolation), or undefined. */
export function labelsToReach(curve: StrategyResult['curve'], target: number): number | undefined {
  for (let i = 0; i < curve.length; i++) {
    const p = curve[i]!;
    if (p.accuracy.mean >= target - 1e-12) {
      if (i === 0) return p.labels;
      const q = curve[i - 1]!;
      const span = p.accuracy.mean - q.accuracy.mean;
      return span <= 0 ? p.labels : q.labels + ((target - q.accuracy.mean) / span) * (p.labels - q.labels);
    }
  }
  return undefined;
}

/** The {@link Evaluation} of a finished run. */
export function evaluationOf(
  result: DemoResult,
  retrainEveryBatches = DEFAULT_SETTINGS.retrainEveryBatches,
): Evaluation {
  const random = result.strategies.find((s) => s.name === 'random');
  const strategies = result.strategies.map((s): EvaluationStrategy => {
    let savings: number | null = null;
    let vsRandom: EvaluationStrategy['vsRandom'];
    if (random !== undefined) {
      const needed = labelsToReach(s.curve, random.final.mean);
      savings =
        s.name === 'random'
          ? 0
          : needed === undefined || random.labelsUsed === 0 || !(random.final.mean > random.seedOnly.mean)
            ? null
            : 1 - needed / random.labelsUsed;
      vsRandom = pairedDifference(s.perSeed.map((v, i) => v - random.perSeed[i]!));
    }
    return {
      name: s.name,
      label: s.label,
      kind: s.kind,
      start: { mean: s.seedOnly.mean, sd: s.seedOnly.sd },
      final: { mean: s.final.mean, sd: s.final.sd },
      finals: s.perSeed,
      labels: s.labelsUsed,
      savings,
      ...(vsRandom === undefined ? {} : { vsRandom }),
    };
  });
  return {
    dataset: { name: result.dataset, rows: result.rows, width: result.features, classes: result.classes },
    protocol: {
      golden: result.split.golden,
      seedSet: result.split.seedSet,
      stream: result.split.stream,
      batch: result.split.batch,
      budget: result.budget,
      budgetLabels: Math.round(result.budget * result.split.stream),
      seeds: result.seeds,
      retrainEveryBatches,
    },
    strategies,
    seconds: result.seconds,
  };
}

/** Input of {@link evaluate}: a labelled table and the protocol's knobs. */
export interface EvaluateInput {
  /** Row-major features, `rows × width`. */
  readonly x: Float32Array;
  readonly rows: number;
  readonly width: number;
  /** Class index per row, in `[0, classes)`. */
  readonly labels: Int32Array | readonly number[];
  /** Number of classes (default: the largest label + 1). */
  readonly classes?: number;
  /** Name in the result (default `data`). */
  readonly name?: string;
  /** Feature names (default `f0…`). */
  readonly features?: readonly string[];
  /** Oracle budget as a share of the stream (default 0.15). */
  readonly budget?: number;
  /** Seeds 1…n (default 5). */
  readonly seeds?: number;
  /** Strategies besides the default (default: every non-opt-in one). */
  readonly strategies?: readonly string[];
  /** ONNX bytes of your own first proposer (default: an MLP fitted on the seed set). */
  readonly proposer?: Uint8Array;
  /** Progress after each strategy × seed. */
  readonly onProgress?: DemoOptions['onProgress'];
}

/**
 * Runs the demo's protocol on your data: per seed a stratified split (golden 20 % never trained on, seed set
 * 5 %, the rest streamed in batches of 32), the same proposer, trainer, critics and 15 % label budget for every
 * strategy, and the {@link Evaluation} of the runs (final accuracies, paired differences against random,
 * label savings).
 *
 * @throws DissonanceError `E_INPUT` on inconsistent shapes or labels, or an unknown strategy name.
 */
export async function evaluate(input: EvaluateInput): Promise<Evaluation> {
  const { x, rows, width } = input;
  if (
    !Number.isSafeInteger(rows) ||
    rows < 1 ||
    !Number.isSafeInteger(width) ||
    width < 1 ||
    x.length !== rows * width
  ) {
    throw new DissonanceError(
      'E_INPUT',
      `evaluate: x must hold rows × width = ${rows} × ${width} values, got ${x.length}`,
    );
  }
  if (input.labels.length !== rows)
    throw new DissonanceError('E_INPUT', `evaluate: ${input.labels.length} labels for ${rows} rows`);
  let max = -1;
  for (let r = 0; r < rows; r++) {
    const l = input.labels[r]!;
    if (!Number.isSafeInteger(l) || l < 0)
      throw new DissonanceError('E_INPUT', `evaluate: label of row ${r} must be a non-negative integer, got ${l}`);
    max = Math.max(max, l);
  }
  const classes = input.classes ?? max + 1;
  if (max >= classes || classes < 2)
    throw new DissonanceError('E_INPUT', `evaluate: labels need at least two classes in [0, ${classes})`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]!))
      throw new DissonanceError(
        'E_INPUT',
        `evaluate: x[${i}] (row ${Math.floor(i / width)}, column ${i % width}) is not finite`,
      );
  }
  const unknown = input.strategies?.find((name) => !STRATEGIES.some((s) => s.name === name));
  if (unknown !== undefined)
    throw new DissonanceError(
      'E_INPUT',
      `evaluate: unknown strategy "${unknown}" (${STRATEGIES.map((s) => s.name).join(', ')})`,
    );
  const data: Dataset = {
    features: input.features ?? Array.from({ length: width }, (_, i) => `f${i}`),
    x,
    rows,
    labels: Int32Array.from(input.labels),
    classes,
  };
  const result = await runDemo({
    dataset: input.name ?? 'data',
    data,
    ...(input.budget === undefined ? {} : { budget: input.budget }),
    ...(input.seeds === undefined ? {} : { seeds: input.seeds }),
    ...(input.strategies === undefined ? {} : { strategies: input.strategies }),
    ...(input.proposer === undefined ? {} : { proposer: input.proposer }),
    ...(input.onProgress === undefined ? {} : { onProgress: input.onProgress }),
  });
  return evaluationOf(result);
}
