import type { Gate, GateDecision, ReconcileItem } from '../ports/gate.js';
import { PASS } from './pass.js';

/** What {@link runGates} decided, and which gate decided it (`''` when all passed). */
export interface GateChainResult {
  readonly decision: GateDecision;
  readonly gate: string;
}

/** The shared all-pass result. */
const ALL_PASSED: GateChainResult = Object.freeze({ decision: PASS, gate: '' });

/**
 * Runs `gates` in order on `item`; the first decision that is not `pass` decides and later gates are not
 * asked (so a later gate's resource, such as a budget token, is not spent). All pass → `{ decision: pass,
 * gate: '' }` (a shared frozen object).
 */
export function runGates(gates: readonly Gate[], item: ReconcileItem, now: number): GateChainResult {
  for (let i = 0; i < gates.length; i++) {
    const gate = gates[i]!;
    const decision = gate.check(item, now);
    if (decision.outcome !== 'pass') return { decision, gate: gate.name };
  }
  return ALL_PASSED;
}
