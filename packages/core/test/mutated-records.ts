import fc from 'fast-check';

/**
 * Copies of `good` with up to three changes each: a key of `fields` set to a `value`, or deleted — for property
 * tests that a hand-written fast path accepts exactly what its zod schema accepts.
 */
export function mutatedRecords(
  good: Record<string, unknown>,
  fields: readonly [string, ...string[]],
  value: fc.Arbitrary<unknown>,
): fc.Arbitrary<Record<string, unknown>> {
  return fc.array(fc.tuple(fc.constantFrom(...fields), value, fc.boolean()), { maxLength: 3 }).map((changes) => {
    const candidate: Record<string, unknown> = { ...good };
    for (const [key, v, remove] of changes) {
      if (remove) delete candidate[key];
      else candidate[key] = v;
    }
    return candidate;
  });
}
