import type { Clock } from '../clock/clock.js';
import type { Gate, GateDecision } from '../ports/gate.js';
import type { Policy } from '../schema/policy.js';
import { withRowsCheck } from './gate-rows.js';
import { PASS } from './pass.js';
import { TokenBucket } from './token-bucket.js';

/** The budget gate, with its bucket exposed for metrics and tests. */
export interface BudgetGate extends Gate {
  /** The token bucket behind the gate (`policy.dBudgetPerHour` tokens per hour). */
  readonly bucket: TokenBucket;
}

/**
 * Gate `budget`: at most `policy.dBudgetPerHour` dissonant items pass per hour (a continuously refilled
 * token bucket that starts full). Items below `policy.dissonanceThreshold` pass without spending a token;
 * a dissonant item takes one; when none is left it is deferred with reason `over-budget` and `retryAt` =
 * when the next token will be there — deferred, never dropped: the engine retries it then. Several items
 * deferred together share one `retryAt`; the first retried takes the token and the rest are deferred again.
 *
 * A change of `policy.dBudgetPerHour` is picked up on the next check (fill fraction kept). Put this gate
 * last: the token it takes is spent even if a later stage drops the item.
 */
export function budgetGate(getPolicy: () => Policy, clock: Clock): BudgetGate {
  const bucket = new TokenBucket(getPolicy().dBudgetPerHour, clock);
  const gate: BudgetGate = {
    name: 'budget',
    bucket,
    check(item, now): GateDecision {
      const policy = getPolicy();
      if (policy.dBudgetPerHour !== bucket.perHour) bucket.setRate(policy.dBudgetPerHour, now);
      if (item.dissonance < policy.dissonanceThreshold) return PASS;
      if (bucket.tryTake(now)) return PASS;
      const retryAt = bucket.nextTokenAt(now);
      return {
        outcome: 'defer',
        reason: 'over-budget',
        message: `item ${JSON.stringify(item.itemId)}: dissonance budget of ${policy.dBudgetPerHour}/h spent; next token at ${retryAt}`,
        retryAt,
      };
    },
  };
  return withRowsCheck(gate, (rows, open, now, decide, openRows) => {
    if (openRows === 0) return;
    const policy = getPolicy();
    const threshold = policy.dissonanceThreshold;
    const dissonance = rows.dissonance;
    const n = rows.rows;
    // What check() does first on every item, done once: the policy cannot change within this call.
    if (policy.dBudgetPerHour !== bucket.perHour) bucket.setRate(policy.dBudgetPerHour, now);
    const dissonant = countDissonant(dissonance, n, open, openRows, threshold, rows.dissonanceMin, rows.dissonanceMax);
    // The dissonant rows take tokens in row order, as one check() each would: the first `taken` get one.
    let tokens = dissonant === 0 ? 0 : bucket.tryTakeMany(dissonant, now);
    if (tokens === dissonant) return;
    for (let r = 0; r < n; r++) {
      if (open[r] !== 0 || dissonance[r]! < threshold) continue;
      if (tokens > 0) {
        tokens--;
        continue;
      }
      // No token left: check() finds none either (same `now`) and builds the defer decision.
      decide(r, gate.check(rows.item(r), now));
    }
  });
}

/**
 * How many of the `openRows` open rows (`open[r] === 0`) have a dissonance of at least `threshold` (NaN counts, as
 * in `check()`). Without a loop when the batch's range (`min`, `max`; undefined or NaN: unknown) puts every row on
 * one side of the threshold.
 */
function countDissonant(
  dissonance: Float32Array,
  rows: number,
  open: Uint8Array,
  openRows: number,
  threshold: number,
  min: number | undefined,
  max: number | undefined,
): number {
  if ((max ?? NaN) < threshold) return 0;
  if ((min ?? NaN) >= threshold) return openRows;
  let dissonant = 0;
  if (openRows === rows) {
    for (let r = 0; r < rows; r++) if (!(dissonance[r]! < threshold)) dissonant++;
    return dissonant;
  }
  for (let r = 0; r < rows; r++) if (open[r] === 0 && !(dissonance[r]! < threshold)) dissonant++;
  return dissonant;
}
