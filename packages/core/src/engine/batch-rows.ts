import type { ReconcileItem } from '../ports/gate.js';
import { isNonFinite } from '../reconcile/gate-rows.js';
import type { ReconcileRows } from './reconcile-items.js';

/**
 * What {@link BatchResult.dissonance} and the `dissonance` event read for a row whose model outputs were not
 * finite, instead of NaN: the largest finite float32 (3.4028234663852886e38). Finite, so it survives JSON;
 * above every `maxDissonance`; first when rows are sorted by dissonance. See `BatchResult.nonFiniteRows`.
 */
export const NON_FINITE_DISSONANCE = 3.4028234663852886e38;

/** No rows: shared by every batch whose outputs are all finite. */
const NO_ROWS: readonly number[] = Object.freeze([]);

/** A batch's ids: the caller's, or `${prefix}:${row}` made on first read (most batches never read them). */
export class RowIds {
  /** What default ids start with: `<run>:<batchId>`. */
  readonly #prefix: string;
  readonly #rows: number;
  #ids: readonly string[] | undefined;

  constructor(prefix: string, rows: number, given: readonly string[] | undefined) {
    this.#prefix = prefix;
    this.#rows = rows;
    this.#ids = given;
  }

  /** The id of row `r`. */
  get(r: number): string {
    return this.#ids?.[r] ?? `${this.#prefix}:${r}`;
  }

  /** Every id, made once. */
  all(): readonly string[] {
    if (this.#ids === undefined) {
      const ids = new Array<string>(this.#rows);
      for (let r = 0; r < this.#rows; r++) ids[r] = `${this.#prefix}:${r}`;
      this.#ids = ids;
    }
    return this.#ids;
  }
}

/**
 * Replaces the dissonance of rows `screenRows` flagged as not finite with {@link NON_FINITE_DISSONANCE}; returns those
 * rows (a shared empty array when `flags` is undefined).
 */
export function sanitizeNonFinite(flags: Uint8Array | undefined, dissonance: Float32Array): readonly number[] {
  if (flags === undefined) return NO_ROWS;
  const rows: number[] = [];
  for (let r = 0; r < flags.length; r++) {
    if (!isNonFinite(flags[r]!)) continue;
    rows.push(r);
    dissonance[r] = NON_FINITE_DISSONANCE;
  }
  return rows;
}

/** A batch's arrays as reconcile reads them ({@link ReconcileRows}); row items are views, made on demand. */
export class BatchRows implements ReconcileRows {
  constructor(
    readonly rows: number,
    readonly width: number,
    readonly classes: number,
    readonly x: Float32Array,
    readonly proposer: Float32Array,
    readonly critics: readonly Float32Array[],
    readonly dissonance: Float32Array,
    readonly nonFinite: Uint8Array | undefined,
    readonly screenedTolerance: number | undefined,
    readonly ids: RowIds,
    /** The version that served each row; undefined: `fallbackVersion` served them all. */
    readonly versions: readonly string[] | undefined,
    readonly fallbackVersion: string,
    readonly challengerRows: Uint8Array | undefined,
    /** The smallest and the largest of `dissonance` (NaN: unknown). */
    readonly dissonanceMin = NaN,
    readonly dissonanceMax = NaN,
  ) {}

  itemId(row: number): string {
    return this.ids.get(row);
  }

  item(row: number): ReconcileItem {
    const k = this.classes;
    const start = row * k;
    return {
      itemId: this.ids.get(row),
      x: this.x.subarray(row * this.width, (row + 1) * this.width),
      proposer: this.proposer.subarray(start, start + k),
      critics: this.critics.map((q) => q.subarray(start, start + k)),
      dissonance: this.dissonance[row] ?? 0,
    };
  }

  proposerVersion(row: number): string {
    return this.versions?.[row] ?? this.fallbackVersion;
  }

  challenger(row: number): boolean | undefined {
    return this.challengerRows === undefined ? undefined : this.challengerRows[row] === 1;
  }
}
