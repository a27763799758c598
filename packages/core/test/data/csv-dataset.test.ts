import { describe, expect, it } from 'vitest';
import { isDissonanceError } from '../../src/errors.js';
import { parseCsvDataset } from '../../src/data/index.js';

function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (isDissonanceError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a throw');
}

describe('parseCsvDataset', () => {
  it('parses features and integer labels, skipping blank lines and \\r', () => {
    const data = parseCsvDataset('a,b,label\r\n1,2,0\r\n\n3.5,-4,2\n');
    expect(data.features).toEqual(['a', 'b']);
    expect(data.rows).toBe(2);
    expect([...data.x]).toEqual([1, 2, 3.5, -4]);
    expect([...data.labels]).toEqual([0, 2]);
    expect(data.classes).toBe(3);
  });

  it('accepts the label column anywhere', () => {
    const data = parseCsvDataset('label,a\n1,5\n');
    expect([...data.x]).toEqual([5]);
    expect([...data.labels]).toEqual([1]);
  });

  it.each([
    ['a,b\n1,2\n', 'line 1', 'no "label" column'],
    ['a,label\n1,0\n2\n', 'line 3', 'expected 2 fields, got 1'],
    ['a,label\n1,0\nx,1\n', 'line 3', 'column "a"'],
    ['a,label\n1,0\nInfinity,1\n', 'line 3', 'not a finite number'],
    ['a,label\n1,0.5\n', 'line 2', 'non-negative integer'],
    ['a,label\n1,-1\n', 'line 2', 'non-negative integer'],
    ['a,label\n', 'line 2', 'no data rows'],
    ['', 'line 1', 'no header'],
  ])('E_INPUT with the line number: %j', (text, line, problem) => {
    const error = errorOf(() => parseCsvDataset(text, { source: 'x.csv' }));
    expect(error.code).toBe('E_INPUT');
    expect(error.message).toContain(`x.csv: ${line}:`);
    expect(error.message).toContain(problem);
  });
});
