import fc from 'fast-check';

/** A batch of `rows × classes` probability rows, row-major, as the detectors take it. */
export interface ProbBatch {
  readonly probs: Float32Array;
  readonly rows: number;
  readonly classes: number;
}

/**
 * One probability row: positive weights (exact zeros about one time in four) normalized in float64,
 * then stored as float32 like a model's output. Never all zero.
 */
export function probRow(classes: number): fc.Arbitrary<number[]> {
  const weight = fc.oneof(
    { arbitrary: fc.constant(0), weight: 1 },
    { arbitrary: fc.double({ min: 1e-6, max: 1, noNaN: true }), weight: 3 },
  );
  return fc.array(weight, { minLength: classes, maxLength: classes }).map((weights) => {
    const sum = weights.reduce((a, b) => a + b, 0);
    if (sum === 0) return weights.map((_, i) => (i === 0 ? 1 : 0));
    return weights.map((w) => w / sum);
  });
}

/** `rows` probability rows over `classes` classes, flattened into one Float32Array. */
export function probBatch(rows: number, classes: number): fc.Arbitrary<Float32Array> {
  return fc.array(probRow(classes), { minLength: rows, maxLength: rows }).map((list) => Float32Array.from(list.flat()));
}

/** Shape of a batch: 1–8 rows over `minClasses`–6 classes. */
export function shape(minClasses = 1, maxClasses = 6): fc.Arbitrary<{ rows: number; classes: number }> {
  return fc.record({ rows: fc.integer({ min: 1, max: 8 }), classes: fc.integer({ min: minClasses, max: maxClasses }) });
}

/** Two batches of the same shape: a proposer's and a critic's outputs. */
export function probPair(
  minClasses = 1,
  maxClasses = 6,
): fc.Arbitrary<{ p: Float32Array; q: Float32Array; rows: number; classes: number }> {
  return shape(minClasses, maxClasses).chain(({ rows, classes }) =>
    fc.record({
      p: probBatch(rows, classes),
      q: probBatch(rows, classes),
      rows: fc.constant(rows),
      classes: fc.constant(classes),
    }),
  );
}

/** A committee of 1–5 members over the same shape. */
export function committee(
  minMembers = 1,
  maxMembers = 5,
): fc.Arbitrary<{ members: Float32Array[]; rows: number; classes: number }> {
  return shape(1, 5).chain(({ rows, classes }) =>
    fc.record({
      members: fc.array(probBatch(rows, classes), { minLength: minMembers, maxLength: maxMembers }),
      rows: fc.constant(rows),
      classes: fc.constant(classes),
    }),
  );
}
