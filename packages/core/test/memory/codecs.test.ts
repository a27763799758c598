import { describe, expect, it } from 'vitest';
import { decodeFloat32, encodeFloat32 } from '../../src/util/base64.js';
import { randomId } from '../../src/util/ids.js';
import { sha256Hex } from '../../src/util/sha256.js';

const bits = (x: Float32Array): number[] => [...new Uint32Array(x.slice().buffer)];

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 vectors', async () => {
    expect(await sha256Hex(new TextEncoder().encode('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(await sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes only the bytes a view covers', async () => {
    const whole = new TextEncoder().encode('xxabcxx');
    expect(await sha256Hex(whole.subarray(2, 5))).toBe(await sha256Hex(new TextEncoder().encode('abc')));
  });
});

describe('randomId', () => {
  it('returns distinct version-4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 100 }, randomId));
    expect(ids.size).toBe(100);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('encodeFloat32 / decodeFloat32', () => {
  it('encodes little-endian IEEE-754 bytes as padded base64', () => {
    expect(encodeFloat32(new Float32Array([1]))).toBe('AACAPw==');
    expect(encodeFloat32(new Float32Array([]))).toBe('');
    expect([...decodeFloat32('AACAPw==')]).toEqual([1]);
    expect(decodeFloat32('')).toHaveLength(0);
  });

  it('round-trips every value bit for bit, -0 and extremes included', () => {
    const values = new Float32Array([
      0,
      -0,
      1.5,
      -3.4028234663852886e38,
      1.401298464324817e-45,
      Math.fround(0.1),
      Number.NaN,
    ]);
    expect(bits(decodeFloat32(encodeFloat32(values)))).toEqual(bits(values));
  });

  it('encodes only the view, and large arrays without overflowing the stack', () => {
    const backing = new Float32Array([9, 1, 2, 9]);
    expect([...decodeFloat32(encodeFloat32(backing.subarray(1, 3)))]).toEqual([1, 2]);
    const big = new Float32Array(1_000_003).map((_, i) => i * 0.5);
    const back = decodeFloat32(encodeFloat32(big));
    expect(back.length).toBe(big.length);
    expect(back[1_000_002]).toBe(500_001);
  });

  it('rejects malformed text with E_ENVELOPE', () => {
    for (const bad of ['AAA', 'AAA*', 'AA=A', 'A===', 'AAA=', 'AAAAAAA=', ' AAAAA==', 'AAAA\n']) {
      expect(() => decodeFloat32(bad), bad).toThrow(/E_ENVELOPE/);
    }
  });
});
