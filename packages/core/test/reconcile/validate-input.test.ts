import { describe, expect, it } from 'vitest';
import { validateBatch } from '../../src/reconcile/index.js';
import type { Batch } from '../../src/ports/batch.js';
import { thrown } from './fixtures.js';

const limits = { width: 4, maxRows: 1024 };

function batch(rows: number, width = 4, ids?: string[]): Batch {
  const x = new Float32Array(rows * width).map((_, i) => i * 0.5);
  return ids === undefined ? { x, rows } : { x, rows, ids };
}

describe('validateBatch', () => {
  it('accepts a well-formed batch, with or without ids', () => {
    expect(() => validateBatch(batch(3), limits)).not.toThrow();
    expect(() => validateBatch(batch(2, 4, ['a', 'b']), limits)).not.toThrow();
    expect(() => validateBatch(batch(1024), limits)).not.toThrow();
  });

  it.each([
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'Infinity'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
  ])('rejects %s naming row, column and value', (value, text) => {
    const b = batch(5);
    b.x[3 * 4 + 2] = value;
    const error = thrown(() => validateBatch(b, limits));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain(`row 3, column 2 is ${text}`);
    expect(error.message.endsWith(`is ${text}`)).toBe(true);
    expect(error.details).toMatchObject({ row: 3, column: 2, value: text });
  });

  it('reports the first non-finite value and the id of its row', () => {
    const b = batch(4, 4, ['a', 'b', 'c', 'd']);
    b.x[2 * 4 + 3] = Number.POSITIVE_INFINITY;
    b.x[1 * 4 + 1] = Number.NaN;
    const error = thrown(() => validateBatch(b, limits));
    expect(error.message).toContain('row 1 (id "b"), column 1 is NaN');
    expect(error.details).toMatchObject({ row: 1, column: 1 });
  });

  it('rejects a wrong width, naming the width and both lengths', () => {
    const b: Batch = { x: new Float32Array(130), rows: 2 };
    const error = thrown(() => validateBatch(b, { width: 64, maxRows: 1024 }));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('wrong width');
    expect(error.message).toContain('2 × 64 = 128 values, got 130');
    expect(error.details).toMatchObject({ width: 64, expected: 128, actual: 130 });
  });

  it('rejects an empty batch', () => {
    const error = thrown(() => validateBatch({ x: new Float32Array(0), rows: 0 }, limits));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('empty batch: rows must be ≥ 1');
  });

  it.each([-1, 1.5, Number.NaN])('rejects rows = %s', (rows) => {
    const error = thrown(() => validateBatch({ x: new Float32Array(4), rows }, limits));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('rows must be a positive integer');
  });

  it('rejects an oversized batch before looking at the values', () => {
    const b: Batch = { x: new Float32Array(5000 * 4).fill(Number.NaN), rows: 5000 };
    const error = thrown(() => validateBatch(b, limits));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('oversized batch: 5000 rows > maxRows 1024');
  });

  it('rejects x that is not a Float32Array', () => {
    const bad = [new Float64Array(4), [1, 2, 3, 4], undefined];
    for (const x of bad) {
      const error = thrown(() => validateBatch({ x, rows: 1 } as unknown as Batch, limits));
      expect(error.code).toBe('E_INPUT');
      expect(error.message).toContain('x must be a Float32Array');
    }
    expect(thrown(() => validateBatch(null as unknown as Batch, limits)).code).toBe('E_INPUT');
  });

  it('rejects ids of the wrong length', () => {
    const error = thrown(() => validateBatch(batch(3, 4, ['a', 'b']), limits));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('ids has 2 entries, expected one per row (3)');
  });

  it('rejects a duplicate id', () => {
    const error = thrown(() => validateBatch(batch(3, 4, ['a', 'b', 'a']), limits));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain('duplicate id "a" at ids[2]');
  });

  it('rejects an empty or non-string id', () => {
    const empty = thrown(() => validateBatch(batch(2, 4, ['a', '']), limits));
    expect(empty.code).toBe('E_INPUT');
    expect(empty.message).toContain('ids[1] must be a non-empty string');
    const notString = thrown(() => validateBatch(batch(2, 4, ['a', 7 as unknown as string]), limits));
    expect(notString.code).toBe('E_INPUT');
    expect(notString.message).toContain('ids[1] must be a non-empty string');
  });

  it('rejects bad limits as E_CONFIG', () => {
    expect(thrown(() => validateBatch(batch(1), { width: 0, maxRows: 10 })).code).toBe('E_CONFIG');
    expect(thrown(() => validateBatch(batch(1), { width: 4, maxRows: 0 })).code).toBe('E_CONFIG');
  });
});
