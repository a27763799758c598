import { DissonanceError, type ErrorCode } from '../errors.js';
import { firstNonFinite } from '../simd/non-finite.js';

/** The largest finite float32; a float64 beyond it becomes ±Infinity when stored in a `Float32Array`. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Throws `code` naming the first NaN or ±Infinity of `x` by row and column (0-based, `details.row`,
 * `details.column`, `details.value`), `where` prefixing the message. One pass ({@link firstNonFinite}); only a batch
 * that holds one is scanned again to find it.
 */
export function checkFiniteRows(x: Float32Array, width: number, code: ErrorCode, where: string): void {
  const j = firstNonFinite(x);
  if (j < 0) return;
  const row = Math.floor(j / width);
  const column = j - row * width;
  throw new DissonanceError(code, `${where}: non-finite feature: row ${row}, column ${column} is ${String(x[j])}`, {
    details: { field: 'x', row, column, value: String(x[j]) },
  });
}

/**
 * Features that arrive as JS numbers (JSON), as float32: `rows` arrays of `width` numbers each. Every value must
 * be a finite number that float32 can hold: NaN, ±Infinity and magnitudes above {@link FLOAT32_MAX} (which
 * float32 would turn into ±Infinity, e.g. 1e39) are refused with `E_INPUT` naming the row and column.
 *
 * @throws DissonanceError `E_INPUT` on a row of another width or a value float32 cannot hold finitely.
 */
export function float32FromNumbers(rows: readonly (readonly number[])[], width: number): Float32Array {
  const x = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    if (row.length !== width) {
      throw new DissonanceError('E_INPUT', `row ${r}: expected ${width} values, got ${row.length}`, {
        details: { row: r, expected: width, actual: row.length },
      });
    }
    for (let c = 0; c < width; c++) {
      const v = row[c]!;
      if (typeof v !== 'number' || !(Math.abs(v) <= FLOAT32_MAX)) {
        const problem =
          typeof v !== 'number'
            ? `is not a number`
            : Number.isFinite(v)
              ? `${v} overflows float32 (largest ${FLOAT32_MAX})`
              : `is ${String(v)}`;
        throw new DissonanceError('E_INPUT', `row ${r}, column ${c}: ${problem}`, {
          details: { row: r, column: c, value: String(v) },
        });
      }
      x[r * width + c] = v;
    }
  }
  return x;
}
