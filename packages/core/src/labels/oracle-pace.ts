import { DissonanceError } from '../errors.js';

/**
 * How an oracle's label budget is spread over the stream:
 * - `{ rate }`: at most `rate` labels per item offered (e.g. 0.1: the top tenth of the traffic), what a call
 *   leaves unspent carried forward;
 * - `{ items }`: the budget spread evenly over this many items expected (a per-batch quota of
 *   `budget × batch / items`), unspent allowance carried forward;
 * - `'greedy'`: every eligible request is asked while the budget lasts (the budget may be gone after the
 *   first batches).
 */
export type OraclePace = 'greedy' | { readonly rate: number } | { readonly items: number };

/** The pace used when a finite budget is given and no `pace`: a tenth of the items offered. */
export const DEFAULT_ORACLE_PACE: OraclePace = Object.freeze({ rate: 0.1 });

/** Allowance per item offered under `pace` (Infinity for greedy). Not part of the public API. */
export function allowancePerItem(pace: OraclePace, budget: number): number {
  if (pace === 'greedy') return Infinity;
  if ('rate' in pace) return pace.rate;
  return budget === Infinity ? Infinity : budget / pace.items;
}

/**
 * Checks a pace. Not part of the public API.
 *
 * @throws DissonanceError `E_CONFIG` on a rate outside (0, 1] or an item count that is not a positive integer.
 */
export function checkPace(pace: OraclePace): void {
  const bad = (argument: string, actual: unknown): never => {
    throw new DissonanceError('E_CONFIG', `oracle: pace.${argument} is invalid: ${String(actual)}`, {
      details: { source: 'oracle', argument: `pace.${argument}`, actual: String(actual) },
    });
  };
  if (pace === 'greedy') return;
  if (typeof pace !== 'object' || pace === null) bad('kind', pace);
  if ('rate' in pace) {
    if (!(pace.rate > 0 && pace.rate <= 1)) bad('rate', pace.rate);
  } else if ('items' in pace) {
    if (!(Number.isSafeInteger(pace.items) && pace.items > 0)) bad('items', pace.items);
  } else bad('kind', JSON.stringify(pace));
}
