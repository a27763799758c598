import { describe, expect, it } from 'vitest';
import { fitStandardScaler } from '../../src/data/index.js';

describe('fitStandardScaler', () => {
  it('fits on the given rows only', () => {
    // rows: [0, 10], [2, 10], [100, -50]; fit on rows 0 and 1.
    const x = Float32Array.from([0, 10, 2, 10, 100, -50]);
    const scaler = fitStandardScaler(x, 2, [0, 1]);
    expect([...scaler.mean]).toEqual([1, 10]);
    expect([...scaler.scale]).toEqual([1, 1]); // column 1 is constant on the fitted rows → scale 1
    expect([...scaler.transform(x, 3)]).toEqual([-1, 0, 1, 0, 99, -60]);
  });

  it('leaves the input untouched and rejects bad rows', () => {
    const x = Float32Array.from([1, 2, 3, 4]);
    const scaler = fitStandardScaler(x, 1, [0, 1, 2, 3]);
    const out = scaler.transform(x, 4);
    expect([...x]).toEqual([1, 2, 3, 4]);
    expect(out.reduce((s, v) => s + v, 0)).toBeCloseTo(0, 6);
    expect(() => fitStandardScaler(x, 1, [4])).toThrow(/outside/);
    expect(() => fitStandardScaler(x, 1, [])).toThrow(/no rows/);
    expect(() => fitStandardScaler(x, 3, [0])).toThrow(/rows × width/);
  });
});
