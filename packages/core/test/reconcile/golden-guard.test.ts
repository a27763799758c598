import { describe, expect, it } from 'vitest';
import type { GoldenSet } from '../../src/ports/batch.js';
import { goldenFingerprints, goldenGuard } from '../../src/reconcile/index.js';
import { contentHash } from '../../src/util/content-hash.js';
import { item, thrown } from './fixtures.js';

const width = 3;
const golden: GoldenSet = {
  x: new Float32Array([0.1, 0.2, 0.3, 4, 5, 6, -1, 0, 1]),
  rows: 3,
  labels: [0, 1, 0],
  ids: ['g0', 'g1', 'g2'],
};

describe('goldenGuard', () => {
  const gate = goldenGuard(golden, width);

  it('is named golden-guard and passes other items', () => {
    expect(gate.name).toBe('golden-guard');
    expect(gate.check(item({ itemId: 'new', x: new Float32Array([7, 8, 9]) }), 0)).toEqual({ outcome: 'pass' });
  });

  it('blocks a golden id whatever its features', () => {
    const decision = gate.check(item({ itemId: 'g1', x: new Float32Array([7, 8, 9]) }), 0);
    expect(decision).toMatchObject({ outcome: 'block', reason: 'golden' });
    if (decision.outcome === 'block') expect(decision.message).toContain('"g1"');
  });

  it('blocks a golden row re-sent under another id', () => {
    const decision = gate.check(item({ itemId: 'sneaky', x: new Float32Array([4, 5, 6]) }), 0);
    expect(decision).toMatchObject({ outcome: 'block', reason: 'golden' });
    if (decision.outcome === 'block') expect(decision.message).toContain('golden row 1');
  });

  it('blocks a golden row given as a view at a non-zero offset of a batch buffer', () => {
    const batch = new Float32Array([9, 9, 9, 9, 0.1, 0.2, 0.3, 9]);
    const view = batch.subarray(4, 7);
    expect(view.byteOffset).toBe(16);
    expect(gate.check(item({ itemId: 'row-1', x: view }), 0)).toMatchObject({ outcome: 'block', reason: 'golden' });
    // Same buffer, shifted by one value (byteOffset 4 is 4-aligned but not 8-aligned).
    const shifted = new Float32Array([9, -1, 0, 1]).subarray(1);
    expect(shifted.byteOffset).toBe(4);
    expect(gate.check(item({ itemId: 'row-2', x: shifted }), 0)).toMatchObject({ outcome: 'block', reason: 'golden' });
  });

  it('treats -0 as 0 and ignores items of another width', () => {
    expect(gate.check(item({ itemId: 'z', x: new Float32Array([-1, -0, 1]) }), 0).outcome).toBe('block');
    expect(gate.check(item({ itemId: 'w', x: new Float32Array([4, 5, 6, 7]) }), 0).outcome).toBe('pass');
  });

  it('works without golden ids', () => {
    const noIds = goldenGuard({ x: golden.x, rows: 3, labels: [0, 1, 0] }, width);
    expect(noIds.check(item({ itemId: 'g1', x: new Float32Array([7, 8, 9]) }), 0).outcome).toBe('pass');
    expect(noIds.check(item({ itemId: 'g1', x: new Float32Array([4, 5, 6]) }), 0).outcome).toBe('block');
  });

  it('rejects a golden set of the wrong shape', () => {
    expect(thrown(() => goldenGuard(golden, 4)).code).toBe('E_INPUT');
    expect(thrown(() => goldenGuard(golden, 0)).code).toBe('E_INPUT');
  });
});

describe('goldenFingerprints', () => {
  it('maps each row hash to its rows, duplicates together', () => {
    const dup: GoldenSet = { x: new Float32Array([1, 2, 3, 4, 1, 2]), rows: 3, labels: [0, 0, 1] };
    const prints = goldenFingerprints(dup, 2);
    expect(prints.size).toBe(2);
    expect(prints.get(contentHash(new Float32Array([1, 2])))).toEqual([0, 2]);
    expect(prints.get(contentHash(new Float32Array([3, 4])))).toEqual([1]);
  });
});
