import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isDissonanceError } from '../../src/index.js';
import { decodeBatch, encodeBatch } from '../../src/adapter-kit/index.js';
import { batchPayloadSchema } from '../../src/schema/batch-payload.js';
import { mutatedRecords } from '../mutated-records.js';

/** What zod alone decides of `payload`, with decodeBatch's own rows × width check. */
function zodAccepts(payload: unknown): boolean {
  const parsed = batchPayloadSchema.safeParse(payload);
  if (!parsed.success) return false;
  const values = typeof parsed.data.x === 'string' ? Math.floor((parsed.data.x.length * 3) / 16) : parsed.data.x.length;
  return values === parsed.data.rows * parsed.data.width;
}

function decodes(payload: unknown): boolean {
  try {
    decodeBatch(payload);
    return true;
  } catch (error) {
    if (!isDissonanceError(error, 'E_ENVELOPE')) throw error;
    return false;
  }
}

describe('decodeBatch', () => {
  it('accepts exactly what the zod schema accepts (its fast path never lets more through)', () => {
    const good = { ...encodeBatch({ x: new Float32Array(6).fill(0.5), rows: 2, ids: ['a', 'b'] }, 3) };
    const value = fc.oneof(
      fc.anything(),
      fc.constantFrom(0, -1, 1, 2, 3, 6, 1.5, 2 ** 53, Number.NaN, '2', null, undefined),
      fc.constantFrom(new Float32Array(6), new Float32Array(5), new Float64Array(6), new Uint8Array(24), [1, 2, 3]),
      fc.constantFrom([], ['a'], ['a', ''], ['x'.repeat(200)], ['x'.repeat(201)], ['a', 1], 'ab'),
    );
    fc.assert(
      fc.property(mutatedRecords(good, ['rows', 'width', 'x', 'ids', 'extra'], value), (candidate) => {
        expect(decodes(candidate)).toBe(zodAccepts(candidate));
      }),
      { numRuns: 3000 },
    );
    const inherited = Object.assign(Object.create({ extra: 1 }) as object, good);
    expect(decodes(inherited)).toBe(zodAccepts(inherited));
  });

  it('hands back the features as they are, with the rows and ids', () => {
    const x = new Float32Array([1, 2, 3, 4]);
    expect(decodeBatch({ rows: 2, width: 2, x })).toEqual({ x, rows: 2 });
    expect(decodeBatch({ rows: 2, width: 2, x }).x).toBe(x);
    expect(decodeBatch({ rows: 2, width: 2, x, ids: ['a', 'b'] })).toEqual({ x, rows: 2, ids: ['a', 'b'] });
  });

  it('names what is wrong: a bad field, or a length that is not rows × width', () => {
    expect(() => decodeBatch({ rows: 2, width: 2, x: new Float32Array(3) })).toThrow(
      /holds 3 values, expected rows × width = 4/,
    );
    expect(() => decodeBatch({ rows: 0, width: 2, x: new Float32Array(0) })).toThrow(/invalid batch payload at rows/);
    expect(() => decodeBatch({ rows: 1, width: 2, x: new Float32Array(2), extra: 1 })).toThrow(/invalid batch payload/);
  });
});
