import { firstNonFinite } from '../simd/non-finite.js';
import { DissonanceError } from '../errors.js';
import type { Batch } from '../ports/batch.js';

/** Limits a batch is checked against by {@link validateBatch}. */
export interface BatchLimits {
  /** Features per row (model input width). */
  readonly width: number;
  /** Largest number of rows one batch may have. */
  readonly maxRows: number;
}

/**
 * The boundary check before the engine accepts a batch: shape, size, ids and values. Rows and columns in
 * messages and `details` are 0-based. One pass over the values, no allocation on success (a `Set` is
 * built only when `ids` are given).
 *
 * @throws DissonanceError `E_INPUT` when `x` is not a `Float32Array`; `rows` is not a positive integer
 *   (`empty batch` for 0); `rows > maxRows` (`oversized batch`); `x.length ≠ rows × width`
 *   (`wrong width`); `ids` has the wrong length, an empty or non-string id, or a duplicate; or a value is
 *   NaN or ±Infinity (the first one, with `details.row` and `details.column`).
 * @throws DissonanceError `E_CONFIG` when `width` or `maxRows` is not a positive integer.
 */
export function validateBatch(batch: Batch, opts: BatchLimits): void {
  validateBatchShape(batch, opts);
  checkFiniteFeatures(batch.x, opts.width, batch.ids);
}

/**
 * {@link validateBatch} without the scan of the values: every check but the last. For a caller that copies
 * `x` anyway and scans the copy with {@link checkFiniteFeatures} (the engine).
 *
 * @throws DissonanceError as {@link validateBatch}, except for non-finite values.
 */
export function validateBatchShape(batch: Batch, opts: BatchLimits): void {
  const { width, maxRows } = opts;
  if (!Number.isSafeInteger(width) || width < 1) {
    throw new DissonanceError('E_CONFIG', `width must be a positive integer, got ${String(width)}`, {
      details: { argument: 'width', actual: String(width) },
    });
  }
  if (!(Number.isSafeInteger(maxRows) || maxRows === Infinity) || maxRows < 1) {
    throw new DissonanceError('E_CONFIG', `maxRows must be a positive integer, got ${String(maxRows)}`, {
      details: { argument: 'maxRows', actual: String(maxRows) },
    });
  }
  if (typeof batch !== 'object' || batch === null) {
    throw inputError(`batch must be an object with x and rows, got ${describe(batch)}`, { argument: 'batch' });
  }
  const { x, rows, ids } = batch;
  if (!isFloat32Array(x)) {
    throw inputError(`x must be a Float32Array, got ${describe(x)}`, { argument: 'x', actual: describe(x) });
  }
  if (rows === 0) {
    throw inputError('empty batch: rows must be ≥ 1, got 0', { argument: 'rows', actual: 0 });
  }
  if (typeof rows !== 'number' || !Number.isSafeInteger(rows) || rows < 1) {
    throw inputError(`invalid rows: rows must be a positive integer (≥ 1), got ${describe(rows)}`, {
      argument: 'rows',
      actual: describe(rows),
    });
  }
  if (rows > maxRows) {
    throw inputError(`oversized batch: ${rows} rows > maxRows ${maxRows}`, { argument: 'rows', actual: rows, maxRows });
  }
  const expected = rows * width;
  if (x.length !== expected) {
    throw inputError(`wrong width: expected rows × width = ${rows} × ${width} = ${expected} values, got ${x.length}`, {
      argument: 'x',
      rows,
      width,
      expected,
      actual: x.length,
    });
  }
  if (ids !== undefined) checkIds(ids, rows);
}

/**
 * Throws `E_INPUT` naming the first NaN or ±Infinity of `x` (`details.row`, `details.column`, 0-based, with the
 * row's id when `ids` are given). One branch-free pass ({@link firstNonFinite}: WebAssembly SIMD for large
 * batches); only a batch that holds a bad value is scanned again to find it.
 */
export function checkFiniteFeatures(x: Float32Array, width: number, ids?: readonly string[]): void {
  const j = firstNonFinite(x);
  if (j < 0) return;
  const row = Math.floor(j / width);
  const column = j - row * width;
  const id = ids?.[row];
  const where = id === undefined ? `row ${row}` : `row ${row} (id ${JSON.stringify(id)})`;
  const value = String(x[j]);
  throw inputError(`non-finite feature: ${where}, column ${column} is ${value}`, { argument: 'x', row, column, value });
}

/** Checks `ids`: an array of `rows` distinct non-empty strings. */
function checkIds(ids: readonly string[], rows: number): void {
  if (!Array.isArray(ids)) {
    throw inputError(`ids must be an array of strings, got ${describe(ids)}`, { argument: 'ids' });
  }
  if (ids.length !== rows) {
    throw inputError(`ids has ${ids.length} entries, expected one per row (${rows})`, {
      argument: 'ids',
      expected: rows,
      actual: ids.length,
    });
  }
  const seen = new Set<string>();
  for (let row = 0; row < rows; row++) {
    const id: unknown = ids[row];
    if (typeof id !== 'string' || id.length === 0) {
      throw inputError(`ids[${row}] must be a non-empty string, got ${describe(id)}`, { argument: 'ids', row });
    }
    if (seen.has(id)) {
      throw inputError(`duplicate id ${JSON.stringify(id)} at ids[${row}]`, { argument: 'ids', row, id });
    }
    seen.add(id);
  }
}

/** True for a `Float32Array`, also one made in another realm (iframe, worker, vm context). */
function isFloat32Array(value: unknown): value is Float32Array {
  return (
    ArrayBuffer.isView(value) && (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Float32Array'
  );
}

/** A short description of a value for an error message. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value))
    return `a ${String((value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag])}`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value;
}

/** An `E_INPUT` error with details. */
function inputError(message: string, details: Readonly<Record<string, string | number>>): DissonanceError {
  return new DissonanceError('E_INPUT', message, { details });
}
