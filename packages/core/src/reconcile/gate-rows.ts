import type { Gate, GateDecision, ReconcileItem } from '../ports/gate.js';

/**
 * One batch as the reconcile gates see it over its arrays, without an object per row: the engine's hot path.
 * Row `r` of each array is what {@link GateRows.item} would give as views. Not part of the public API.
 */
export interface GateRows {
  readonly rows: number;
  /** Features per row. */
  readonly width: number;
  /** Classes per probability row. */
  readonly classes: number;
  /** `rows × width` features. */
  readonly x: Float32Array;
  /** `rows × classes` proposer probabilities. */
  readonly proposer: Float32Array;
  /** One `rows × classes` array per critic. */
  readonly critics: readonly Float32Array[];
  /** Per-row dissonance. */
  readonly dissonance: Float32Array;
  /**
   * Per row, what {@link screenRows} found (0: nothing), or undefined when it found nothing in any row. The
   * `dissonance` of a row flagged non-finite may have been replaced already (the engine reports no NaN).
   */
  readonly nonFinite: Uint8Array | undefined;
  /**
   * The validate tolerance {@link screenRows} used, when it screened these rows: a row it did not flag is then
   * known to be a valid distribution with dissonance ≥ 0 under that tolerance. Undefined: not screened.
   */
  readonly screenedTolerance: number | undefined;
  /**
   * The smallest and the largest of `dissonance`, when the detect stage knows them (undefined or NaN: unknown, as
   * when a row was flagged). Lets a gate that compares dissonance with a policy value skip its loop when no row
   * can be on the other side.
   */
  readonly dissonanceMin?: number;
  readonly dissonanceMax?: number;
  /** The id of row `r`. */
  itemId(row: number): string;
  /** Row `r` as an item of views, for a gate's exact per-item check (the rare path). */
  item(row: number): ReconcileItem;
}

/** The engine's validate-gate tolerance on `|Σ p − 1|`, also what its detect stage screens rows with. */
export const OUTPUT_TOLERANCE = 1e-3;

/** {@link GateRows.nonFinite}: a proposer or critic probability of the row is NaN or ±Infinity. */
export const NON_FINITE_OUTPUT = 1;
/** {@link GateRows.nonFinite}: the outputs are finite but the row's dissonance is NaN. */
export const NAN_DISSONANCE = 2;
/**
 * {@link GateRows.nonFinite}: everything is finite, but a probability row is negative somewhere or does not sum
 * to 1 within the tolerance, or the dissonance is negative: the validate gate decides.
 */
export const SUSPECT = 4;

/**
 * Runs a gate over every row `r` with `open[r] === 0` (no earlier gate stopped it), in row order, and calls
 * `decide(r, decision)` for each row it does not pass. Equivalent to calling `gate.check(rows.item(r), now)` on
 * those rows in order, side effects (a budget token) included, but without building the item when it passes.
 * `openRows` counts the rows with `open[r] === 0` (at most `rows.rows`; `open` may be longer than the batch).
 */
export type RowsCheck = (
  rows: GateRows,
  open: Uint8Array,
  now: number,
  decide: (row: number, decision: GateDecision) => void,
  openRows: number,
) => void;

const rowsChecks = new WeakMap<Gate, RowsCheck>();

/** Registers the batch form of a built-in gate; returns the gate. */
export function withRowsCheck<G extends Gate>(gate: G, check: RowsCheck): G {
  rowsChecks.set(gate, check);
  return gate;
}

/** The batch form of `gate`: its own when it registered one, else `gate.check` on each open row's item. */
export function rowsCheckOf(gate: Gate): RowsCheck {
  return rowsChecks.get(gate) ?? ((rows, open, now, decide) => perItem(gate, rows, open, now, decide));
}

/** Any gate over rows: `check` on each open row's item. */
function perItem(
  gate: Gate,
  rows: GateRows,
  open: Uint8Array,
  now: number,
  decide: (row: number, decision: GateDecision) => void,
): void {
  for (let r = 0; r < rows.rows; r++) {
    if (open[r] !== 0) continue;
    const decision = gate.check(rows.item(r), now);
    if (decision.outcome !== 'pass') decide(r, decision);
  }
}

/**
 * One pass over a batch's outputs: flags each row whose proposer or critic probabilities hold a NaN or ±Infinity
 * ({@link NON_FINITE_OUTPUT}), else whose dissonance is NaN ({@link NAN_DISSONANCE}), else that the validate
 * gate with `tolerance` might block ({@link SUSPECT}); undefined when no row is flagged (the common case: no
 * allocation). A float64 sum of float32 values cannot overflow, so it is finite exactly when every value is.
 */
export function screenRows(
  proposer: Float32Array,
  critics: readonly Float32Array[],
  dissonance: Float32Array,
  rows: number,
  classes: number,
  tolerance: number,
): Uint8Array | undefined {
  let flags: Uint8Array | undefined;
  for (let r = 0; r < rows; r++) {
    const start = r * classes;
    const end = start + classes;
    let flag = screenRow(proposer, start, end, tolerance);
    for (let c = 0; c < critics.length && flag !== NON_FINITE_OUTPUT; c++) {
      const critic = screenRow(critics[c]!, start, end, tolerance);
      if (critic !== 0) flag = critic;
    }
    const d = dissonance[r]!;
    if (flag !== NON_FINITE_OUTPUT) {
      if (d !== d) flag = NAN_DISSONANCE;
      else if (!(d >= 0)) flag = SUSPECT;
    }
    if (flag !== 0) (flags ??= new Uint8Array(rows))[r] = flag;
  }
  return flags;
}

/** {@link NON_FINITE_OUTPUT}, {@link SUSPECT} or 0 for the probability row `p[start, end)`. */
function screenRow(p: Float32Array, start: number, end: number, tolerance: number): number {
  let sum = 0;
  let negative = false;
  for (let i = start; i < end; i++) {
    const v = p[i]!;
    sum += v;
    if (v < 0) negative = true;
  }
  if (sum - sum !== 0) return NON_FINITE_OUTPUT;
  return negative || !(Math.abs(sum - 1) <= tolerance) ? SUSPECT : 0;
}

/** True when `flag` (of {@link GateRows.nonFinite}) marks a row whose outputs or dissonance are not finite. */
export function isNonFinite(flag: number): boolean {
  return flag === NON_FINITE_OUTPUT || flag === NAN_DISSONANCE;
}
