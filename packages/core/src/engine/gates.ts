import type { Clock } from '../clock/clock.js';
import { DissonanceError } from '../errors.js';
import type { GoldenSet } from '../ports/batch.js';
import type { Gate } from '../ports/gate.js';
import { budgetGate, finiteOutputGate, goldenGuard, quarantineGate, validateOutputGate } from '../reconcile/index.js';
import type { Policy } from '../schema/policy.js';

/**
 * The engine's built-in reconcile gates, by name:
 * - `finite`: blocks an item whose outputs hold NaN or ±Infinity (quarantined, never trained on); always first;
 * - `validate`: blocks outputs that are not probability distributions;
 * - `golden`: blocks items of the golden holdout (only when `golden` is configured);
 * - `quarantine`: blocks items above `maxDissonance` (only without label sources, which get them instead);
 * - `budget`: defers items over the hourly budget.
 */
export const BUILT_IN_GATES = ['finite', 'validate', 'golden', 'quarantine', 'budget'] as const;

/** The name of a built-in gate. */
export type BuiltInGateName = (typeof BUILT_IN_GATES)[number];

/** One entry of the engine's `gates` option: a built-in gate by name, or your own {@link Gate}. */
export type GateEntry = BuiltInGateName | Gate;

/** The engine's gates when `gates` is not set: every built-in gate, in this order. */
export const DEFAULT_GATES: readonly GateEntry[] = BUILT_IN_GATES;

/** What the built-in gates are made from. */
export interface GateContext {
  readonly policy: () => Policy;
  readonly clock: Clock;
  readonly golden: GoldenSet | undefined;
  readonly inputWidth: number;
  /** True when label sources take the items above `maxDissonance` (the `quarantine` gate is then left out). */
  readonly routed: boolean;
  /** The `validate` gate's tolerance on `|Σ p − 1|`. */
  readonly tolerance: number;
}

/**
 * The engine's gates in order from its `gates` option. `finite` must come first (the engine screens non-finite
 * rows with it before any other gate sees them); a name may appear once. Throws `E_CONFIG` otherwise.
 */
export function resolveGates(context: GateContext, entries: readonly GateEntry[] = DEFAULT_GATES): Gate[] {
  if (entries[0] !== 'finite') {
    throw new DissonanceError(
      'E_CONFIG',
      "gates: the list must start with 'finite' (non-finite outputs are never gated past)",
    );
  }
  const seen = new Set<string>();
  const gates: Gate[] = [];
  for (const entry of entries) {
    const name = typeof entry === 'string' ? entry : entry?.name;
    if (
      typeof entry !== 'string' &&
      (typeof entry !== 'object' || entry === null || typeof entry.check !== 'function')
    ) {
      throw new DissonanceError(
        'E_CONFIG',
        `gates: expected a built-in gate name (${BUILT_IN_GATES.join(', ')}) or a Gate with check()`,
      );
    }
    if (typeof name !== 'string' || name === '')
      throw new DissonanceError('E_CONFIG', 'gates: a gate needs a non-empty name');
    if (seen.has(name)) throw new DissonanceError('E_CONFIG', `gates: ${JSON.stringify(name)} appears twice`);
    seen.add(name);
    if (typeof entry !== 'string') {
      gates.push(entry);
      continue;
    }
    const gate = builtIn(entry, context);
    if (gate !== undefined) gates.push(gate);
  }
  return gates;
}

/** The built-in gate `name`, or undefined when it does not apply to this engine. */
function builtIn(name: string, context: GateContext): Gate | undefined {
  switch (name) {
    case 'finite':
      return finiteOutputGate();
    case 'validate':
      return validateOutputGate({ tolerance: context.tolerance });
    case 'golden':
      return context.golden === undefined ? undefined : goldenGuard(context.golden, context.inputWidth);
    case 'quarantine':
      // With label sources, items above maxDissonance are routed to them instead.
      return context.routed ? undefined : quarantineGate(context.policy);
    case 'budget':
      return budgetGate(context.policy, context.clock);
    default:
      throw new DissonanceError(
        'E_CONFIG',
        `gates: unknown gate ${JSON.stringify(name)} (built-in: ${BUILT_IN_GATES.join(', ')})`,
      );
  }
}
