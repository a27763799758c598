import { DissonanceError } from '../errors.js';
import type { GoldenSet } from '../ports/batch.js';
import type { Gate, GateDecision } from '../ports/gate.js';
import { contentHash } from '../util/content-hash.js';
import { withRowsCheck } from './gate-rows.js';
import { PASS } from './pass.js';

/**
 * Content hash ({@link contentHash}) of each golden row → the golden rows with that hash (usually one).
 * Lets a caller recognise a golden row by its values whatever id it comes under.
 *
 * @throws DissonanceError `E_INPUT` when `width` is not a positive integer or `golden.x.length ≠ rows × width`.
 */
export function goldenFingerprints(golden: GoldenSet, width: number): ReadonlyMap<string, readonly number[]> {
  if (!Number.isSafeInteger(width) || width < 1) {
    throw new DissonanceError('E_INPUT', `golden set: width must be a positive integer, got ${width}`, {
      details: { argument: 'width', actual: String(width) },
    });
  }
  if (golden.x.length !== golden.rows * width) {
    throw new DissonanceError(
      'E_INPUT',
      `golden set: expected rows × width = ${golden.rows} × ${width} = ${golden.rows * width} values, got ${golden.x.length}`,
      { details: { argument: 'golden.x', expected: golden.rows * width, actual: golden.x.length } },
    );
  }
  const byHash = new Map<string, number[]>();
  for (let row = 0; row < golden.rows; row++) {
    const hash = contentHash(golden.x, row * width, width);
    const rows = byHash.get(hash);
    if (rows === undefined) byHash.set(hash, [row]);
    else rows.push(row);
  }
  return byHash;
}

/**
 * Gate `golden-guard`: blocks with reason `golden` every item whose id is one of `golden.ids`, or whose
 * features equal a golden row's (same Float32 values; `+0`/`-0` alike), so that a golden row re-sent under
 * another id is still never trained on. A hash match is confirmed value by value: no false positives.
 *
 * The golden set is indexed once, here: build a new guard when it changes. Cost per item: one hash of
 * the item's features.
 *
 * @throws DissonanceError `E_INPUT` on a golden set whose shape does not match `width`.
 */
export function goldenGuard(golden: GoldenSet, width: number): Gate {
  const fingerprints = goldenFingerprints(golden, width);
  const ids = new Set(golden.ids ?? []);
  const gx = golden.x;
  const gate: Gate = {
    name: 'golden-guard',
    check(item): GateDecision {
      if (ids.has(item.itemId)) {
        return block(`item ${JSON.stringify(item.itemId)} has the id of a golden row`);
      }
      const x = item.x;
      if (x.length !== width) return PASS;
      const candidates = fingerprints.get(contentHash(x));
      if (candidates === undefined) return PASS;
      for (const row of candidates) {
        if (sameValues(x, gx, row * width, width)) {
          return block(`item ${JSON.stringify(item.itemId)} has the features of golden row ${row}`);
        }
      }
      return PASS;
    },
  };
  return withRowsCheck(gate, (rows, open, now, decide) => {
    const x = rows.x;
    const sameWidth = rows.width === width;
    for (let r = 0; r < rows.rows; r++) {
      if (open[r] !== 0) continue;
      // Only a row whose id or hash matches can be blocked: check() decides those.
      if (
        (ids.size > 0 && ids.has(rows.itemId(r))) ||
        !sameWidth ||
        fingerprints.has(contentHash(x, r * width, width))
      ) {
        const decision = gate.check(rows.item(r), now);
        if (decision.outcome !== 'pass') decide(r, decision);
      }
    }
  });
}

/** True when `x` equals `width` values of `g` from `offset` (NaN equal to NaN, `-0` to `+0`). */
function sameValues(x: Float32Array, g: Float32Array, offset: number, width: number): boolean {
  for (let i = 0; i < width; i++) {
    const a = x[i]!;
    const b = g[offset + i]!;
    if (a !== b && !(a !== a && b !== b)) return false;
  }
  return true;
}

/** The block decision of this gate. */
function block(message: string): GateDecision {
  return { outcome: 'block', reason: 'golden', message };
}
