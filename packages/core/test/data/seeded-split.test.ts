import { describe, expect, it } from 'vitest';
import { seededSplit } from '../../src/data/index.js';

const labels = Array.from({ length: 200 }, (_, i) => i % 4);

describe('seededSplit', () => {
  it('is deterministic per seed and differs across seeds', () => {
    expect(seededSplit(200, { seed: 3, labels })).toEqual(seededSplit(200, { seed: 3, labels }));
    expect(seededSplit(200, { seed: 3, labels }).stream).not.toEqual(seededSplit(200, { seed: 4, labels }).stream);
  });

  it.each([undefined, labels])('parts are disjoint and cover every row (labels %#)', (given) => {
    const split = seededSplit(200, { seed: 1, ...(given === undefined ? {} : { labels: given }) });
    const all = [...split.golden, ...split.seedSet, ...split.stream];
    expect(new Set(all).size).toBe(200);
    expect(all.length).toBe(200);
    expect(split.golden.length).toBe(40);
    expect(split.seedSet.length).toBe(given === undefined ? 10 : 12); // stratified: ≥ 1 per class, rounded per class
  });

  it('stratifies golden and seed set', () => {
    const split = seededSplit(200, { seed: 2, labels });
    for (let c = 0; c < 4; c++) {
      expect(split.golden.filter((r) => labels[r] === c).length).toBe(10);
      expect(split.seedSet.filter((r) => labels[r] === c).length).toBeGreaterThanOrEqual(1);
    }
  });

  it('rejects bad shares and label counts', () => {
    expect(() => seededSplit(10, { seed: 1, golden: 0.6, seedSet: 0.5 })).toThrow(/shares/);
    expect(() => seededSplit(10, { seed: 1, labels: [1, 2] })).toThrow(/labels/);
    expect(() => seededSplit(0, { seed: 1 })).toThrow(/rows/);
  });
});
