import { DissonanceError } from '../errors.js';
import type { Gate, GateDecision } from '../ports/gate.js';
import { withRowsCheck } from './gate-rows.js';
import { PASS } from './pass.js';

/** Options of {@link validateOutputGate}. */
export interface ValidateOutputOptions {
  /** Largest allowed `|Σ p − 1|` of a probability row (default `1e-3`). */
  readonly tolerance?: number;
}

/**
 * Gate `validate`: blocks with reason `invalid-output` an item whose proposer or critic probabilities are
 * not a distribution — a value that is NaN, ±Infinity or negative, a row that does not sum to 1 within
 * `tolerance`, an empty row, or a critic row of another length than the proposer's — or whose dissonance
 * is NaN or negative. A broken model must not produce training data. (`+Infinity` dissonance is left to the
 * quarantine gate.) No allocation unless it blocks.
 *
 * @throws DissonanceError `E_CONFIG` when `tolerance` is not a finite number ≥ 0.
 */
export function validateOutputGate(options: ValidateOutputOptions = {}): Gate {
  const tolerance = options.tolerance ?? 1e-3;
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new DissonanceError('E_CONFIG', `validate gate: tolerance must be a finite number ≥ 0, got ${tolerance}`, {
      details: { argument: 'tolerance', actual: String(tolerance) },
    });
  }
  const gate: Gate = {
    name: 'validate',
    check(item): GateDecision {
      const classes = item.proposer.length;
      let problem = distributionProblem(item.proposer, classes, tolerance);
      if (problem !== undefined) return invalid(item.itemId, `proposer ${problem}`);
      const critics = item.critics;
      for (let c = 0; c < critics.length; c++) {
        problem = distributionProblem(critics[c]!, classes, tolerance);
        if (problem !== undefined) return invalid(item.itemId, `critic ${c} ${problem}`);
      }
      const d = item.dissonance;
      if (!(d >= 0)) return invalid(item.itemId, `dissonance is ${d}`);
      return PASS;
    },
  };
  return withRowsCheck(gate, (rows, open, now, decide) => {
    const { proposer, critics, dissonance, classes } = rows;
    // Screened with this tolerance: only flagged rows can fail (and the non-finite ones are already stopped).
    const flags = rows.screenedTolerance === tolerance ? rows.nonFinite : undefined;
    if (rows.screenedTolerance === tolerance && flags === undefined) return;
    for (let r = 0; r < rows.rows; r++) {
      if (open[r] !== 0 || (flags !== undefined && flags[r] === 0)) continue;
      const offset = r * classes;
      let ok = dissonance[r]! >= 0 && isDistribution(proposer, offset, classes, tolerance);
      for (let c = 0; ok && c < critics.length; c++) ok = isDistribution(critics[c]!, offset, classes, tolerance);
      // The message (and the exact verdict) of a row that may not pass comes from the per-item check.
      if (!ok) {
        const decision = gate.check(rows.item(r), now);
        if (decision.outcome !== 'pass') decide(r, decision);
      }
    }
  });
}

/**
 * True only when {@link distributionProblem} finds nothing in `classes` values of `p` from `offset` (classes ≥ 1):
 * a NaN or +Infinity makes the sum fail the tolerance test, a negative value (−Infinity too) fails at once.
 */
function isDistribution(p: Float32Array, offset: number, classes: number, tolerance: number): boolean {
  let sum = 0;
  const end = offset + classes;
  for (let i = offset; i < end; i++) {
    const v = p[i]!;
    if (v < 0) return false;
    sum += v;
  }
  return Math.abs(sum - 1) <= tolerance;
}

/** Why `p` is not a probability row of `classes` values, or `undefined` when it is one. */
function distributionProblem(p: Float32Array, classes: number, tolerance: number): string | undefined {
  if (p.length === 0) return 'output is empty';
  if (p.length !== classes) return `output has ${p.length} classes, expected ${classes}`;
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const v = p[i]!;
    // Catches NaN, ±Infinity and negatives in one comparison pair.
    if (!(v >= 0) || v === Infinity) return `probability of class ${i} is ${v}`;
    sum += v;
  }
  if (Math.abs(sum - 1) > tolerance) return `probabilities sum to ${sum}, not 1 (tolerance ${tolerance})`;
  return undefined;
}

/** The block decision of this gate. */
function invalid(itemId: string, problem: string): GateDecision {
  return { outcome: 'block', reason: 'invalid-output', message: `item ${JSON.stringify(itemId)}: ${problem}` };
}
