import { DissonanceError } from '../errors.js';
import type { Gate, GateDecision } from '../ports/gate.js';
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
  return {
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
