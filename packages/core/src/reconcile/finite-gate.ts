import type { Gate, GateDecision } from '../ports/gate.js';
import { isNonFinite, NAN_DISSONANCE, withRowsCheck } from './gate-rows.js';
import { PASS } from './pass.js';

/**
 * Gate `finite`: blocks with reason `non-finite-output` (a quarantine: the item is never labelled or trained on)
 * an item whose proposer or critic probabilities hold a NaN or ±Infinity, or whose dissonance is NaN — what
 * models answer for features far outside what they were trained on (every feature 3.4e38 overflows a layer).
 * The engine puts it first, before `validate`, and counts these items in `nonFinite`. No allocation unless it
 * blocks.
 */
export function finiteOutputGate(): Gate {
  const gate: Gate = {
    name: 'finite',
    check(item): GateDecision {
      let problem = outputProblem('proposer', item.proposer, 0, item.proposer.length);
      for (let c = 0; problem === undefined && c < item.critics.length; c++) {
        const q = item.critics[c]!;
        problem = outputProblem(`critic ${c}`, q, 0, q.length);
      }
      if (problem === undefined && item.dissonance !== item.dissonance) problem = 'dissonance is NaN';
      return problem === undefined ? PASS : block(item.itemId, problem);
    },
  };
  return withRowsCheck(gate, (rows, open, now, decide) => {
    const flags = rows.nonFinite;
    if (rows.screenedTolerance === undefined) {
      // Not screened: no flags to trust, every row is checked.
      for (let r = 0; r < rows.rows; r++) {
        if (open[r] !== 0) continue;
        const decision = gate.check(rows.item(r), now);
        if (decision.outcome !== 'pass') decide(r, decision);
      }
      return;
    }
    if (flags === undefined) return;
    const k = rows.classes;
    for (let r = 0; r < rows.rows; r++) {
      const flag = flags[r]!;
      if (!isNonFinite(flag) || open[r] !== 0) continue;
      let problem = flag === NAN_DISSONANCE ? 'dissonance is NaN' : outputProblem('proposer', rows.proposer, r * k, k);
      for (let c = 0; problem === undefined && c < rows.critics.length; c++)
        problem = outputProblem(`critic ${c}`, rows.critics[c]!, r * k, k);
      decide(r, block(rows.itemId(r), problem ?? 'an output is not finite'));
    }
  });
}

/** Names the first non-finite value of `values[offset, offset + length)`, or undefined. */
function outputProblem(who: string, values: Float32Array, offset: number, length: number): string | undefined {
  for (let i = 0; i < length; i++) {
    const v = values[offset + i]!;
    if (v - v !== 0) return `${who} probability of class ${i} is ${v}`;
  }
  return undefined;
}

/** The block decision of this gate. */
function block(itemId: string, problem: string): GateDecision {
  return { outcome: 'block', reason: 'non-finite-output', message: `item ${JSON.stringify(itemId)}: ${problem}` };
}
