import { DissonanceError } from '../errors.js';

/**
 * Checks the shape arguments of a measure and returns the array to write into: `out` when given,
 * else a fresh `Float32Array(rows)`. Cheap: looks at lengths only, never at the values.
 * Used by every detector in this folder; not part of the public API.
 *
 * @throws DissonanceError `E_INPUT` when `rows` or `classes` is not a usable count, or when `out`
 *   is shorter than `rows`.
 */
export function checkShape(
  detector: string,
  rows: number,
  classes: number,
  out: Float32Array | undefined,
): Float32Array {
  if (!Number.isSafeInteger(rows) || rows < 0) {
    throw new DissonanceError('E_INPUT', `${detector}: rows must be a non-negative integer, got ${rows}`, {
      details: { detector, argument: 'rows', actual: String(rows) },
    });
  }
  if (!Number.isSafeInteger(classes) || classes < 1) {
    throw new DissonanceError('E_INPUT', `${detector}: classes must be a positive integer, got ${classes}`, {
      details: { detector, argument: 'classes', actual: String(classes) },
    });
  }
  if (out === undefined) return new Float32Array(rows);
  if (out.length < rows) {
    throw new DissonanceError(
      'E_INPUT',
      `${detector}: out has ${out.length} values, expected at least rows = ${rows}`,
      {
        details: { detector, argument: 'out', expected: rows, actual: out.length },
      },
    );
  }
  return out;
}

/**
 * Checks that one probability array holds at least `rows × classes` values.
 *
 * @throws DissonanceError `E_INPUT` naming the argument, the expected and the actual length.
 */
export function checkProbs(
  detector: string,
  argument: string,
  probs: Float32Array,
  rows: number,
  classes: number,
): void {
  const expected = rows * classes;
  if (probs.length < expected) {
    throw new DissonanceError(
      'E_INPUT',
      `${detector}: ${argument} has ${probs.length} values, expected at least rows × classes = ${expected} (${rows} × ${classes})`,
      { details: { detector, argument, expected, actual: probs.length } },
    );
  }
}

/**
 * Checks the arguments of a pairwise measure and returns the array to write into.
 *
 * @throws DissonanceError `E_INPUT` on a bad count or a short `p`, `q` or `out`.
 */
export function checkPair(
  detector: string,
  p: Float32Array,
  q: Float32Array,
  rows: number,
  classes: number,
  out: Float32Array | undefined,
): Float32Array {
  const result = checkShape(detector, rows, classes, out);
  checkProbs(detector, 'p', p, rows, classes);
  checkProbs(detector, 'q', q, rows, classes);
  return result;
}

/**
 * Checks the arguments of a committee measure and returns the array to write into. A committee needs
 * at least one member (the proposer); all members must have the same length, at least `rows × classes`.
 *
 * @throws DissonanceError `E_INPUT` on an empty committee, members of different lengths, a bad count
 *   or a short member or `out`.
 */
export function checkCommittee(
  detector: string,
  members: readonly Float32Array[],
  rows: number,
  classes: number,
  out: Float32Array | undefined,
): Float32Array {
  const result = checkShape(detector, rows, classes, out);
  const first = members[0];
  if (first === undefined) {
    throw new DissonanceError('E_INPUT', `${detector}: the committee is empty, expected at least the proposer`, {
      details: { detector, argument: 'members', expected: 1, actual: 0 },
    });
  }
  checkProbs(detector, 'members[0]', first, rows, classes);
  for (let j = 1; j < members.length; j++) {
    const member = members[j]!;
    if (member.length !== first.length) {
      throw new DissonanceError(
        'E_INPUT',
        `${detector}: members[${j}] has ${member.length} values, expected ${first.length} like members[0]`,
        { details: { detector, argument: `members[${j}]`, expected: first.length, actual: member.length } },
      );
    }
  }
  return result;
}
