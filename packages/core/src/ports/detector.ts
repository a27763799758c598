/**
 * Measures disagreement between two models' outputs, row by row.
 * `p` and `q` are `rows × classes` probabilities; the result has one value per row.
 */
export interface Detector {
  /** Discriminates pairwise detectors from committee detectors. */
  readonly kind: 'pairwise';
  /** Name used in events, metrics and reports, e.g. `jensen-shannon`. */
  readonly name: string;
  /** Largest value the measure can take (`Infinity` when unbounded). */
  readonly upperBound: number;
  /** Writes per-row dissonance into `out` (allocated when absent) and returns it. */
  measure(p: Float32Array, q: Float32Array, rows: number, classes: number, out?: Float32Array): Float32Array;
}

/**
 * Measures disagreement across a committee: the proposer first, then the critics.
 * Each member is `rows × classes` probabilities.
 */
export interface CommitteeDetector {
  /** Discriminates committee detectors from pairwise detectors. */
  readonly kind: 'committee';
  readonly name: string;
  readonly upperBound: number;
  /** Writes per-row disagreement into `out` (allocated when absent) and returns it. */
  measure(members: readonly Float32Array[], rows: number, classes: number, out?: Float32Array): Float32Array;
}
