import type { Gate, GateDecision } from '../ports/gate.js';
import type { Policy } from '../schema/policy.js';
import { withRowsCheck } from './gate-rows.js';
import { PASS } from './pass.js';

/**
 * Gate `quarantine`: blocks with reason `max-dissonance` an item whose dissonance is above
 * `policy.maxDissonance` (or is NaN): the models disagree too much for any label to be trusted.
 * The policy is read through `getPolicy` on every check, so a policy update takes effect at once.
 */
export function quarantineGate(getPolicy: () => Policy): Gate {
  const gate: Gate = {
    name: 'quarantine',
    check(item): GateDecision {
      const max = getPolicy().maxDissonance;
      const d = item.dissonance;
      if (d <= max) return PASS;
      return {
        outcome: 'block',
        reason: 'max-dissonance',
        message: `item ${JSON.stringify(item.itemId)}: dissonance ${d} > maxDissonance ${max}`,
      };
    },
  };
  return withRowsCheck(gate, (rows, open, now, decide) => {
    const max = getPolicy().maxDissonance;
    // No row above the policy's bound (an unknown range compares false): nothing to block.
    if ((rows.dissonanceMax ?? NaN) <= max) return;
    const dissonance = rows.dissonance;
    const n = rows.rows;
    for (let r = 0; r < n; r++) {
      if (!(dissonance[r]! <= max) && open[r] === 0) decide(r, gate.check(rows.item(r), now));
    }
  });
}
