import type { GoldenSet } from '@dissonance/core';
import { fitStandardScaler, seededSplit, type Dataset } from '@dissonance/core/mlp';

/** Rows of one part of a split: standardized features, labels and item ids. */
export interface Part {
  readonly x: Float32Array;
  readonly rows: number;
  readonly labels: Int32Array;
  readonly ids: readonly string[];
}

/** One seed's data: the golden holdout, the labelled seed set and the stream, standardized. */
export interface SeedData {
  readonly seed: number;
  readonly width: number;
  readonly classes: number;
  readonly golden: GoldenSet & { readonly ids: readonly string[] };
  readonly seedSet: Part;
  readonly stream: Part;
}

/** Item id of dataset row `row`: stable across seeds and strategies. */
export function rowId(row: number): string {
  return `row-${row}`;
}

/**
 * Splits `data` with `seed` (stratified: golden 20 %, seed set 5 %, the rest streamed in a seeded order) and
 * standardizes with a scaler fitted on the features of the non-golden rows only (seed set + stream, labels
 * unused): the golden rows influence nothing but validation.
 */
export function prepareSeed(
  data: Dataset,
  seed: number,
  shares: { golden: number; seedSet: number } = { golden: 0.2, seedSet: 0.05 },
  standardize = true,
): SeedData {
  const width = data.features.length;
  const split = seededSplit(data.rows, { seed, golden: shares.golden, seedSet: shares.seedSet, labels: data.labels });
  const scaler = fitStandardScaler(data.x, width, [...split.seedSet, ...split.stream]);
  const part = (indexes: readonly number[]): Part => {
    const raw = new Float32Array(indexes.length * width);
    indexes.forEach((r, i) => raw.set(data.x.subarray(r * width, (r + 1) * width), i * width));
    return {
      x: standardize ? scaler.transform(raw, indexes.length) : raw,
      rows: indexes.length,
      labels: Int32Array.from(indexes, (r) => data.labels[r]!),
      ids: indexes.map(rowId),
    };
  };
  const golden = part(split.golden);
  return {
    seed,
    width,
    classes: data.classes,
    golden: { x: golden.x, rows: golden.rows, labels: golden.labels, ids: golden.ids },
    seedSet: part(split.seedSet),
    stream: part(split.stream),
  };
}
