import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/security/canonical-json.js';
import { expectCode } from '../../src/testing/index.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
  });

  it('gives the same text whatever the insertion order', () => {
    expect(canonicalJson({ size: 3, sha256: 'ab', format: 'onnx' })).toBe(
      canonicalJson({ format: 'onnx', sha256: 'ab', size: 3 }),
    );
  });

  it('refuses values JSON cannot carry', async () => {
    await expectCode(() => canonicalJson({ a: Number.NaN }), 'E_INPUT');
    await expectCode(() => canonicalJson({ a: undefined as unknown as null }), 'E_INPUT');
  });
});
